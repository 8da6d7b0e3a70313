"""Still PNG codec: the first frame as an optimised RGBA PNG (LINE tab images).

A still has no knob worth searching: it is lossless and a few KB at tab sizes, so the budget
is only checked, never traded against.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

import numpy as np
from PIL import Image

from popcon.domain.exports import RuleResult
from popcon.domain.platforms import PlatformPreset
from popcon.media.budget import Fit, Knobs, budget_exceeded
from popcon.media.validate import validate_png


class PngCodec:
    """Still PNG: frame 0 only, lossless."""

    name = "png"

    def fit(
        self,
        frames: Sequence[np.ndarray],
        seconds: float,
        preset: PlatformPreset,
        *,
        max_bytes: int | None = None,
        loops: int | None = None,
    ) -> Fit:
        buf = io.BytesIO()
        Image.fromarray(frames[0], "RGBA").save(buf, "PNG", optimize=True)
        data = buf.getvalue()
        budget = max_bytes or preset.max_bytes
        knobs = Knobs(frames=1)
        if len(data) > budget:
            raise budget_exceeded(preset, budget, (len(data), knobs), "use a simpler first frame")
        return Fit(data, knobs, [0], [round(seconds * 1000)], 0, [(knobs, len(data))], 99.0)

    def validate(self, data: bytes, preset: PlatformPreset) -> list[RuleResult]:
        return validate_png(data, preset)

    def decode(self, data: bytes, preset: PlatformPreset) -> tuple[list[np.ndarray], float]:
        with Image.open(io.BytesIO(data)) as im:
            return [np.asarray(im.convert("RGBA")).copy()], 1.0


CODEC = PngCodec()
