"""Typed reports kept with a job: one shape from the stage that makes them to the store, the API and
the CLI. Stored as plain JSON; `from_json` reads every shape written before (missing keys default)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

MatteSource = Literal["matte", "alpha"]
MATTE_LOW_CONFIDENCE = "matte_low_confidence"
CUTOUT_LOW_CONFIDENCE = "cutout_low_confidence"


@dataclass(frozen=True)
class MatteReport:
    """How an action's cut-outs were made: by the automatic matte (with its per-frame confidence and a
    warning for the user when a frame's background could not be separated), or from the clip's own
    alpha (nothing guessed: confidence 1 everywhere)."""

    source: MatteSource = "matte"
    confidence: tuple[float, ...] = ()
    min_confidence: float = 1.0
    low_frames: tuple[int, ...] = ()
    warning: str | None = None

    @property
    def warning_code(self) -> str | None:
        """The warning's stable code (every report, stored ones included, warns only of low confidence)."""
        return MATTE_LOW_CONFIDENCE if self.warning else None

    @classmethod
    def own_alpha(cls, frames: int) -> MatteReport:
        return cls("alpha", (1.0,) * frames)

    def to_json(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "confidence": list(self.confidence),
            "min_confidence": self.min_confidence,
            "low_frames": list(self.low_frames),
            "warning": self.warning,
        }

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> MatteReport:
        """A stored report; those written before `source` existed were all made by the matte."""
        source = raw.get("source", "matte")
        return cls(
            source="alpha" if source == "alpha" else "matte",
            confidence=tuple(float(c) for c in raw.get("confidence", ())),
            min_confidence=float(raw.get("min_confidence", 1.0)),
            low_frames=tuple(int(f) for f in raw.get("low_frames", ())),
            warning=raw.get("warning"),
        )


@dataclass(frozen=True)
class CutoutReport:
    """How sure the cut-out of an uploaded character is: the job keeps it (in its options) so the web
    page can ask the user to check a doubtful one."""

    confidence: float
    kind: str = ""  # what the cut-out took the picture for ("figure", "drawing", ...)
    warning: str | None = None
    warning_code: str | None = None  # the warning's stable code (a UI words it itself)

    def __post_init__(self) -> None:
        """Reports stored before codes warned only of low confidence: a warning always has its code."""
        if self.warning and not self.warning_code:
            object.__setattr__(self, "warning_code", CUTOUT_LOW_CONFIDENCE)


@dataclass(frozen=True)
class Usage:
    """What one provider call consumed, as the service reported it (or as estimated beforehand); the
    job keeps each billed call with the action it was made for."""

    provider: str
    model: str
    unit: str  # "second", "image", ...
    quantity: float
    cost: float | None = None
    currency: str | None = None
    estimated: bool = False
    action: str | None = None  # the action id it was made for (None: the character)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> Usage:
        cost = raw.get("cost")
        return cls(
            provider=str(raw.get("provider", "")),
            model=str(raw.get("model", "")),
            unit=str(raw.get("unit", "")),
            quantity=float(raw.get("quantity") or 0.0),
            cost=None if cost is None else float(cost),
            currency=raw.get("currency"),
            estimated=bool(raw.get("estimated", False)),
            action=raw.get("action"),
        )


class ProviderTask(BaseModel):
    """The billed cloud task made for one action's clip, as the provider's ledger notes it (no secret).

    Why kept: a task is billed when it is created, so a retry, a resume or another runner polls this
    task again instead of paying for a new one. The provider reads and writes it as plain JSON through
    its ledger (`providers.base.TaskRecord`); the job keeps it typed. A key a provider adds that this
    record does not name yet is kept as it is (`extra="allow"`), so no ledger entry is ever lost.
    """

    model_config = ConfigDict(extra="allow", frozen=True)

    provider: str
    state: str  # "sending": the create went out, no answer yet; "created": the service named the task
    what: str = ""  # what it makes ("clip", "start pose")
    model: str = ""
    request: Any = None  # the settings that shaped the request: a record made with others is not reused
    fingerprint: str = ""
    prompt_sha: str = ""
    sent_at: float | None = None
    task_id: str | None = None
    created_at: float | None = None
    billed: bool = False
    adopted: bool = False  # found in the account's task list after a lost create
    rejected: list[str] = Field(default_factory=list)  # tasks found that were made for another prompt
    lost: str | None = None  # why the create's answer was lost
    lookup_refused: bool = False

    def to_json(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude_unset=True)  # exactly the keys the ledger wrote

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> ProviderTask:
        return cls.model_validate(dict(raw))
