"""Fit an animation into a platform's byte budget: the shared vocabulary and the palette search.

Every codec (popcon.media.formats) answers with the same `Fit` and `Knobs`, picks frame counts
with `frame_count_steps` and `select_frames`, and raises `BudgetExceeded` when nothing fits.

The palette search (APNG and GIF; the codec passes its writer) orders the knobs by how much
each one hurts a small character animation: palette colours first (256 -> 32: banding in
gradients is hardly visible at 180 px), then frame count (motion gets choppier but loop timing
stays exact whole seconds), then scale (only where the preset's canvas is not fixed). Everything
is encoded in memory; the first result that fits at the best knob setting is kept. Nothing ever
silently exceeds the budget.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, ClassVar, Protocol

import numpy as np
from PIL import Image

from popcon.domain.errors import PopconError
from popcon.domain.platforms import PlatformPreset
from popcon.media.canvas import resize_premultiplied
from popcon.media.interrupt import checkpoint
from popcon.media.palette import Quantized, psnr, quantize

COLOUR_STEPS: tuple[int, ...] = (256, 192, 128, 96, 64, 48, 32)
SCALE_STEPS: tuple[float, ...] = (1.0, 0.9, 0.8, 0.7)


class BudgetExceeded(PopconError):
    """Even the lowest quality the rules allow does not fit the byte budget."""

    code: ClassVar[str] = "over_budget"


@dataclass(frozen=True)
class Knobs:
    """The quality settings a fit chose: frame count and scale, plus the format's own knob."""

    frames: int
    scale: float = 1.0
    colours: int | None = None  # palette formats
    crf: int | None = None  # WebM

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None}

    def __str__(self) -> str:
        return ", ".join(f"{k} {v}" for k, v in self.to_dict().items())


@dataclass(frozen=True)
class Fit:
    """The encoding a codec chose for a clip, with the search that led to it."""

    data: bytes
    knobs: Knobs
    source_frames: list[int]  # which input frames were kept, in order
    delays_ms: list[int]
    loops: int  # plays (0 = forever)
    attempts: list[tuple[Knobs, int]] = field(default_factory=list)  # (knobs, bytes) in search order
    psnr_db: float | None = None  # against the input frames, where the codec measures it cheaply

    @property
    def size(self) -> int:
        return len(self.data)


def select_frames(n_src: int, n_out: int) -> list[int]:
    """`n_out` evenly spaced input frames of a seamless loop, starting with frame 0 (the still preview).

    With n_out > n_src frames repeat (to reach a platform minimum); the loop length is unchanged
    because the delays are recomputed for the new count.
    """
    return [(i * n_src) // n_out for i in range(n_out)]


def max_frames(seconds: float, min_delay_ms: int) -> int:
    """Most frames a loop of `seconds` can hold when no delay may be shorter than `min_delay_ms` (1/100 s)."""
    return max(1, round(seconds * 100) // max(1, -(-min_delay_ms // 10)))


def frame_count_steps(n_src: int, preset: PlatformPreset, seconds: float | None = None) -> list[int]:
    """Frame counts to try, best first: as many as allowed, then ~3/4, ~1/2, the minimum.

    With `seconds`, the count is also capped by the preset's fps limit and shortest delay.
    """
    lo, hi = preset.frames.min, preset.frames.max
    t = preset.timing
    if seconds:
        if t.max_fps:
            hi = min(hi, int(t.max_fps * seconds + 1e-9))
        if t.min_delay_ms > 1:
            hi = min(hi, max_frames(seconds, t.min_delay_ms) if t.delay_unit_ms == 10 else hi)
        hi = max(hi, lo)
    start = min(max(n_src, lo), hi)
    steps = [start, round(start * 0.75), round(start * 0.5), lo]
    out: list[int] = []
    for s in steps:
        s = min(max(s, lo), hi)
        if s not in out and s <= start:
            out.append(s)
    return out


def budget_exceeded(
    preset: PlatformPreset, budget: int, smallest: tuple[int, Knobs] | None, hint: str
) -> BudgetExceeded:
    got = f"{smallest[0]} bytes at {smallest[1]}" if smallest else "nothing encoded"
    return BudgetExceeded(
        f"cannot fit {preset.name} budget of {budget} bytes: the smallest encoding was {got}; {hint}"
    )


class PaletteWriter(Protocol):
    """What a palette format adds to the search: its frame preparation, timing and container."""

    def prepare(self, frames: list[np.ndarray], preset: PlatformPreset) -> list[np.ndarray]: ...

    def delays_ms(self, n: int, seconds: float, preset: PlatformPreset) -> list[int]: ...

    def write(self, q: Quantized, delays_ms: list[int], loops: int, preset: PlatformPreset) -> bytes: ...


def _scale_steps(preset: PlatformPreset, size: tuple[int, int]) -> list[tuple[float, tuple[int, int]]]:
    if not preset.allow_scale:
        return [(1.0, size)]
    out = []
    for s in SCALE_STEPS:
        w, h = max(1, round(size[0] * s)), max(1, round(size[1] * s))
        if max(w, h) >= preset.canvas.min_long_side:
            out.append((s, (w, h)))
    return out or [(1.0, size)]


def fit_palette(
    frames: Sequence[np.ndarray],
    seconds: float,
    preset: PlatformPreset,
    writer: PaletteWriter,
    *,
    loops: int | None = None,
    max_bytes: int | None = None,
    colour_steps: Sequence[int] = COLOUR_STEPS,
) -> Fit:
    """Encode canvas-sized RGBA `frames` (one loop lasting `seconds`) as the best palette file within budget.

    Raises BudgetExceeded (with the smallest size reached) when no knob setting fits.
    """
    budget = max_bytes or preset.max_bytes
    plays = preset.loops_for(seconds) if loops is None else loops
    h, w = frames[0].shape[:2]
    attempts: list[tuple[Knobs, int]] = []
    smallest: tuple[int, Knobs] | None = None
    steps = sorted(set(colour_steps), reverse=True)

    for scale, size in _scale_steps(preset, (w, h)):
        scaled = list(frames) if scale == 1.0 else [resize_premultiplied(f, size) for f in frames]
        scaled = writer.prepare(scaled, preset)
        for n in frame_count_steps(len(frames), preset, seconds):
            picks = select_frames(len(frames), n)
            clip = [scaled[i] for i in picks]
            delays = writer.delays_ms(n, seconds, preset)
            cache: dict[int, tuple[bytes, Quantized]] = {}

            def encode(
                c: int,
                clip: list[np.ndarray] = clip,
                delays: list[int] = delays,
                cache: dict[int, tuple[bytes, Quantized]] = cache,
                n: int = n,
                scale: float = scale,
            ) -> int:
                nonlocal smallest
                if c not in cache:
                    checkpoint()
                    q = quantize(clip, c)
                    cache[c] = (writer.write(q, delays, plays, preset), q)
                size_ = len(cache[c][0])
                knobs = Knobs(frames=n, scale=scale, colours=c)
                attempts.append((knobs, size_))
                if smallest is None or size_ < smallest[0]:
                    smallest = (size_, knobs)
                return size_

            # Best first; if the worst palette does not fit this frame count, none will.
            if encode(steps[0]) <= budget:
                best = steps[0]
            elif len(steps) == 1 or encode(steps[-1]) > budget:
                continue
            else:
                lo, hi = 0, len(steps) - 1  # steps[hi] fits, steps[lo] does not
                while hi - lo > 1:
                    mid = (lo + hi) // 2
                    if encode(steps[mid]) <= budget:
                        hi = mid
                    else:
                        lo = mid
                best = steps[hi]
            data, q = cache[best]
            score = None
            if scale == 1.0:
                vals = [psnr(frames[s], q.to_rgba(i)) for i, s in enumerate(picks)]
                score = round(float(np.mean([min(v, 99.0) for v in vals])), 2)
            knobs = Knobs(frames=n, scale=scale, colours=best)
            return Fit(data, knobs, picks, delays, plays, attempts, score)
    raise budget_exceeded(
        preset, budget, smallest, "simplify the animation (less detail or motion) or use fewer frames"
    )


def decode_palette_file(data: bytes, preset: PlatformPreset) -> tuple[list[np.ndarray], float]:
    """RGBA frames of an APNG/GIF (Pillow composites disposal) and the loop length to refit it to.

    The length snaps to the nearest one the preset allows (LINE: 1-4 s), else whole seconds.
    """
    with Image.open(io.BytesIO(data)) as im:
        frames, total_ms = [], 0
        for i in range(getattr(im, "n_frames", 1)):
            im.seek(i)
            frames.append(np.asarray(im.convert("RGBA")).copy())
            total_ms += int(im.info.get("duration", 0) or 0)
    if preset.timing.loop_seconds:
        return frames, min(preset.timing.loop_seconds, key=lambda s: abs(s * 1000 - total_ms))
    return frames, max(1, round(total_ms / 1000))


class PaletteCodec:
    """What the palette formats (APNG, GIF) share: the palette search to fit, Pillow to decode.

    A subclass says how frames are prepared, how delays are counted and how a file is written."""

    name: str

    def prepare(self, frames: list[np.ndarray], preset: PlatformPreset) -> list[np.ndarray]:
        raise NotImplementedError

    def delays_ms(self, n: int, seconds: float, preset: PlatformPreset) -> list[int]:
        raise NotImplementedError

    def write(self, q: Quantized, delays_ms: list[int], loops: int, preset: PlatformPreset) -> bytes:
        raise NotImplementedError

    def fit(
        self,
        frames: Sequence[np.ndarray],
        seconds: float,
        preset: PlatformPreset,
        *,
        max_bytes: int | None = None,
        loops: int | None = None,
    ) -> Fit:
        return fit_palette(frames, seconds, preset, self, loops=loops, max_bytes=max_bytes)

    def decode(self, data: bytes, preset: PlatformPreset) -> tuple[list[np.ndarray], float]:
        return decode_palette_file(data, preset)
