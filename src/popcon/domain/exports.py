"""The record of one exported file, from the encoder through the manifest to the API.

One shape all the way up: the export stage builds it, `manifest.json` stores its dump, and the
web routes read it back with `from_manifest` (which also reads manifests written before the
record existed, where extra images were listed as `{"name": ...}`).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, computed_field


@dataclass(frozen=True)
class RuleResult:
    """One platform rule checked against a file: the measured value beside the limit."""

    rule: str
    passed: bool
    measured: Any
    limit: Any
    severity: Literal["error", "warning"] = "error"
    message: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


SUMMARY_FIELDS = {"file_name", "action_id", "bytes", "frames", "seconds", "loops", "valid"}


class ExportedFile(BaseModel):
    """One file of an exported set with what was measured while making and checking it."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True, arbitrary_types_allowed=True)

    file_name: str = Field(validation_alias=AliasChoices("file_name", "name"))
    action_id: str | None = None
    label: str | None = None
    bytes: int | None = None
    frames: int | None = None
    seconds: int | None = None
    loops: int | None = None
    knobs: dict[str, Any] = Field(default_factory=dict)
    psnr_db: float | None = None
    encode_seconds: float | None = None
    rules: list[RuleResult] = Field(default_factory=list)
    path: Path | None = Field(default=None, exclude=True)  # where it lies now; not stored

    @computed_field  # type: ignore[prop-decorator]
    @property
    def valid(self) -> bool:
        """No error-severity rule failed (warnings do not block submission)."""
        return not any(not r.passed and r.severity == "error" for r in self.rules)

    @property
    def problems(self) -> list[str]:
        """Readable messages of the rules that did not pass (errors and warnings)."""
        return [r.message or r.rule for r in self.rules if not r.passed]

    def manifest_entry(self) -> dict[str, Any]:
        """The dict stored in manifest.json (JSON-ready apart from measured values, which use str)."""
        return self.model_dump()

    def summary(self) -> dict[str, Any]:
        """The short form kept with the job (name, size, counts, verdict; no rules or knobs)."""
        return self.model_dump(include=SUMMARY_FIELDS)

    @classmethod
    def from_manifest(cls, entry: dict[str, Any]) -> ExportedFile:
        return cls.model_validate(entry)
