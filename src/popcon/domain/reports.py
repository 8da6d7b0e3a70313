"""Typed reports kept with a job: one shape from the stage that makes them to the store, the API and
the CLI. Stored as plain JSON; `from_json` reads every shape written before (missing keys default)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

MatteSource = Literal["matte", "alpha"]
MATTE_LOW_CONFIDENCE = "matte_low_confidence"


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
