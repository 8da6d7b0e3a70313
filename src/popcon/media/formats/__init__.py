"""One codec per output format, looked up by the name a preset gives (`format` in platforms.toml).

A codec encodes a clip within a byte budget (`fit`), checks bytes against a preset's rules
(`validate`) and reads its own files back (`decode`, for re-fitting a file that breaks a rule).
Everything above media asks this module for the codec; nothing else branches on a format name,
so a new format is one module here plus one line in CODECS.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

import numpy as np

from popcon.domain.errors import InvalidInput
from popcon.domain.exports import RuleResult
from popcon.domain.platforms import PlatformPreset
from popcon.media.budget import BudgetExceeded, Fit, Knobs
from popcon.media.canvas import fit_frames
from popcon.media.formats import apng, gif, png, webm
from popcon.media.validate import failures

__all__ = ["CODECS", "BudgetExceeded", "Codec", "Fit", "Knobs", "codec_for", "ensure_compliant"]


class Codec(Protocol):
    """Encode + fit to the byte budget + validate, for one file format."""

    name: str

    def fit(
        self,
        frames: Sequence[np.ndarray],
        seconds: float,
        preset: PlatformPreset,
        *,
        max_bytes: int | None = None,
        loops: int | None = None,
    ) -> Fit:
        """Best encoding of canvas-sized RGBA `frames` (one loop of `seconds`) within the budget.

        Raises BudgetExceeded, naming the smallest size reached, when nothing fits.
        """
        ...

    def validate(self, data: bytes, preset: PlatformPreset) -> list[RuleResult]:
        """Every rule of `preset` that applies to this format, with the measured values."""
        ...

    def decode(self, data: bytes, preset: PlatformPreset) -> tuple[list[np.ndarray], float]:
        """RGBA frames of a file and the loop length (seconds) to re-fit it to for `preset`."""
        ...


CODECS: dict[str, Codec] = {c.name: c for c in (apng.CODEC, gif.CODEC, webm.CODEC, png.CODEC)}


def codec_for(target: PlatformPreset | str) -> Codec:
    """The codec of a preset (by its `format`) or of a format name."""
    name = target if isinstance(target, str) else target.format
    try:
        return CODECS[name]
    except KeyError:
        raise InvalidInput(f"no codec for format {name!r}; known: {', '.join(sorted(CODECS))}") from None


def fit_budget(
    frames: Sequence[np.ndarray],
    seconds: float,
    preset: PlatformPreset,
    *,
    max_bytes: int | None = None,
    loops: int | None = None,
) -> Fit:
    """The preset's codec fitting `frames` to its byte budget (see Codec.fit)."""
    return codec_for(preset).fit(frames, seconds, preset, max_bytes=max_bytes, loops=loops)


def validate_bytes(data: bytes, preset: PlatformPreset) -> list[RuleResult]:
    """Validate `data` with the checker of the preset's format."""
    return codec_for(preset).validate(data, preset)


def validate_file(path: Path, preset: PlatformPreset) -> list[RuleResult]:
    return validate_bytes(Path(path).read_bytes(), preset)


def ensure_compliant(data: bytes, preset: PlatformPreset, seconds: float | None = None) -> bytes:
    """Return `data` untouched when it already passes every rule; otherwise re-fit it from its frames.

    Skipping the re-encode keeps hand-made files bit-exact when nothing needs changing.
    """
    codec = codec_for(preset)
    if not failures(codec.validate(data, preset)):
        return data
    frames, length = codec.decode(data, preset)
    canvas = fit_frames(frames, preset.canvas, preset.margin_px)
    return codec.fit(canvas, seconds or length, preset).data
