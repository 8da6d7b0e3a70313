"""The records of an exported set (`ExportSummary`) and of each of its files (`ExportedFile`), from the
encoder through the manifest and the job record to the API and the CLI.

One shape all the way up: the export stage builds them, `manifest.json` stores their dump, the job
keeps a brief copy, and readers go through `from_json` / `from_manifest` (which also read what was
written before the records existed, e.g. files listed as `{"name": ...}`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path, PurePath
from typing import Any, Literal

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, computed_field


@dataclass(frozen=True)
class RuleResult:
    """One platform rule checked against a file: the measured value beside the limit.

    `rule` is the rule's stable id (`canvas_size`, `file_size`, ...): a UI words a failed rule from
    its catalogue (`rule.<id>`) with the measured value and the limit.
    """

    rule: str
    passed: bool
    measured: Any
    limit: Any
    severity: Literal["error", "warning"] = "error"
    message: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class TriedKnobs(BaseModel):
    """The quality settings of one encode: frame count and scale, plus the format's own knob."""

    model_config = ConfigDict(extra="ignore")

    frames: int = 0
    scale: float = 1.0
    colours: int | None = None  # palette formats
    crf: int | None = None  # WebM


class EncodeKnobs(TriedKnobs):
    """What the encoder chose for one file and the search that led to it (kept in the manifest)."""

    loops: int = 0  # plays (0 = forever)
    seconds: float = 0.0  # how long one play lasts on the platform
    delays_ms: list[int] = Field(default_factory=list)
    source_frames: list[int] = Field(default_factory=list)  # which cut-out frames were kept, in order
    attempts: list[tuple[TriedKnobs, int]] = Field(default_factory=list)  # (knobs, bytes) in search order


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
    knobs: EncodeKnobs | None = None  # None in the job's brief copy
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

    @classmethod
    def from_manifest(cls, entry: dict[str, Any]) -> ExportedFile:
        return cls.model_validate(entry)


class LeftOut(BaseModel):
    """An action left out of a set (it could not fit the platform's byte budget), and why."""

    model_config = ConfigDict(extra="ignore")

    action_id: str
    label: str = ""
    error: str = ""
    code: str | None = None  # the error's stable code (over_budget); None in manifests written before


class WarningCode(BaseModel):
    """A set warning's stable code and the values its message is made of (a UI words it itself)."""

    code: str
    params: dict[str, Any] = Field(default_factory=dict)


class ExportSummary(BaseModel):
    """One exported set of one platform preset: the one shape the export stage returns, `manifest.json`
    stores, the job record keeps (`brief`), the API answers and the CLI prints.

    Paths are never stored: `zip` is the ZIP's name inside the job's export folder (the set's files lie
    in the folder named after `preset` beside it), so a moved data folder still reads. `from_json` reads
    every shape written before: job records that held absolute paths (`dir`, `zip`, `manifest`,
    `preview`) and summary-only files, and manifests from before `round` or `failed` existed.
    """

    model_config = ConfigDict(extra="ignore")

    preset: str  # the platform preset id ("line-emoji"): the folder's name and the job's key
    platform: str = ""  # the store it is for ("line")
    zip: str = ""  # file name, relative to the job's export folder
    created_unix: int | None = None
    round: str | None = None  # the export round that published it (resume skips a published set)
    warnings: list[str] = Field(default_factory=list)
    # beside each warning: its code, or None (free text only); manifests written before codes: empty
    warning_codes: list[WarningCode | None] = Field(default_factory=list)
    failed: list[LeftOut] = Field(default_factory=list)
    files: list[ExportedFile] = Field(default_factory=list)
    extra_images: list[str] = Field(default_factory=list)  # tab / main images, by file name
    extra_rules: dict[str, list[RuleResult]] = Field(default_factory=dict)
    captions: dict[str, str] = Field(default_factory=dict)  # action id -> caption drawn on it

    @property
    def valid(self) -> bool:
        return all(f.valid for f in self.files)

    def manifest_json(self) -> str:
        """The text of `manifest.json` (measured values that are not JSON become strings)."""
        return json.dumps(self.model_dump(), indent=2, default=str)

    def brief(self) -> ExportSummary:
        """The copy the job record keeps: without encoder knobs or rules that passed (the manifest
        has them), so a 40-file set stays a small row; validity and problems read the same."""
        files = [
            f.model_copy(update={"knobs": None, "rules": [r for r in f.rules if not r.passed]})
            for f in self.files
        ]
        return self.model_copy(update={"files": files, "extra_rules": {}})

    def to_json(self) -> dict[str, Any]:
        """Plain JSON for the job record's column (measured values that are not JSON become strings)."""
        loaded: dict[str, Any] = json.loads(json.dumps(self.model_dump(), default=str))
        return loaded

    @classmethod
    def from_json(cls, raw: Mapping[str, Any], preset: str | None = None) -> ExportSummary:
        """A stored summary or manifest. Old job records held absolute paths; `zip` keeps its name
        only (the ZIP was always written beside the set's folder). `preset`: the key it was stored
        under, for records that did not name it."""
        data = dict(raw)
        data.setdefault("preset", preset or Path(str(data.get("dir") or "")).name)
        zip_name = str(data.get("zip") or "")
        data["zip"] = PurePath(zip_name).name if zip_name else f"{data['preset']}.zip"
        return cls.model_validate(data)
