"""Fit an animation into a platform's byte budget.

A search over quality knobs ordered by how much each one hurts a small character animation:
palette colours first (256 -> 32: banding in gradients is hardly visible at 180 px), then
frame count (motion gets choppier but loop timing stays exact whole seconds), then scale
(only where the preset's canvas is not fixed). Everything is encoded in memory; the first
result that fits at the best knob setting is kept. Nothing ever silently exceeds the budget.
The same search drives APNG and GIF (the preset's format picks the writer); WebM has its own
knob (CRF) in popcon.media.webm but reuses the frame-count helpers here.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from PIL import Image

from popcon.domain.errors import PopconError
from popcon.domain.platforms import PlatformPreset
from popcon.media.apng import encode_apng, frame_delays_ms
from popcon.media.canvas import fit_frames, resize_premultiplied
from popcon.media.gif import encode_gif, flatten_alpha, frame_delays_cs, max_frames
from popcon.media.palette import Quantized, quantize
from popcon.media.validate import failures, validate_bytes

COLOUR_STEPS: tuple[int, ...] = (256, 192, 128, 96, 64, 48, 32)
SCALE_STEPS: tuple[float, ...] = (1.0, 0.9, 0.8, 0.7)


class BudgetExceeded(PopconError):
    """Even the lowest quality the rules allow does not fit the byte budget."""


@dataclass(frozen=True)
class Knobs:
    colours: int
    frames: int
    scale: float = 1.0


@dataclass(frozen=True)
class FitResult:
    data: bytes
    knobs: Knobs
    source_frames: list[int]  # which input frames were kept, in order
    delays_ms: list[int]
    loops: int
    attempts: list[tuple[Knobs, int]] = field(default_factory=list)  # (knobs, bytes) in search order
    quantized: Quantized | None = None

    @property
    def size(self) -> int:
        return len(self.data)


def select_frames(n_src: int, n_out: int) -> list[int]:
    """`n_out` evenly spaced input frames of a seamless loop, starting with frame 0 (the still preview).

    With n_out > n_src frames repeat (to reach a platform minimum); the loop length is unchanged
    because the delays are recomputed for the new count.
    """
    return [(i * n_src) // n_out for i in range(n_out)]


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


def _scale_steps(preset: PlatformPreset, size: tuple[int, int]) -> list[tuple[float, tuple[int, int]]]:
    if not preset.allow_scale:
        return [(1.0, size)]
    out = []
    for s in SCALE_STEPS:
        w, h = max(1, round(size[0] * s)), max(1, round(size[1] * s))
        if max(w, h) >= preset.canvas.min_long_side:
            out.append((s, (w, h)))
    return out or [(1.0, size)]


def fit_budget(
    frames: Sequence[np.ndarray],
    seconds: float,
    preset: PlatformPreset,
    *,
    loops: int | None = None,
    max_bytes: int | None = None,
    colour_steps: Sequence[int] = COLOUR_STEPS,
) -> FitResult:
    """Encode canvas-sized RGBA `frames` (one loop lasting `seconds`) as the best APNG/GIF within budget.

    Raises BudgetExceeded (with the smallest size reached) when no knob setting fits.
    """
    gif = preset.format == "gif"
    budget = max_bytes or preset.max_bytes
    plays = preset.loops_for(seconds) if loops is None else loops
    h, w = frames[0].shape[:2]
    attempts: list[tuple[Knobs, int]] = []
    smallest: tuple[int, Knobs] | None = None
    steps = sorted(set(colour_steps), reverse=True)

    for scale, size in _scale_steps(preset, (w, h)):
        scaled = list(frames) if scale == 1.0 else [resize_premultiplied(f, size) for f in frames]
        if gif:
            scaled = flatten_alpha(scaled, preset.edge_colour(), preset.alpha)
        for n in frame_count_steps(len(frames), preset, seconds):
            picks = select_frames(len(frames), n)
            clip = [scaled[i] for i in picks]
            if gif:
                cs = frame_delays_cs(n, seconds, max(1, preset.timing.min_delay_ms // 10))
                delays = [d * 10 for d in cs]
            else:
                delays = frame_delays_ms(n, seconds)
            cache: dict[int, tuple[bytes, Quantized]] = {}

            def encode(
                c: int,
                clip: list[np.ndarray] = clip,
                delays: list[int] = delays,
                cache: dict[int, tuple[bytes, Quantized]] = cache,
                n: int = n,
                scale: float = scale,
            ) -> int:
                if c not in cache:
                    q = quantize(clip, c)
                    if gif:
                        cs_ = [d // 10 for d in delays]
                        data_ = encode_gif(
                            q.palette, q.indices, cs_, plays, transparent=preset.alpha != "none"
                        )
                    else:
                        data_ = encode_apng(q.palette, q.indices, delays, plays)
                    cache[c] = (data_, q)
                size_ = len(cache[c][0])
                attempts.append((Knobs(c, n, scale), size_))
                nonlocal smallest
                if smallest is None or size_ < smallest[0]:
                    smallest = (size_, Knobs(c, n, scale))
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
            return FitResult(data, Knobs(best, n, scale), picks, delays, plays, attempts, q)
    got = f"{smallest[0]} bytes at {smallest[1]}" if smallest else "nothing encoded"
    raise BudgetExceeded(
        f"cannot fit {preset.name} budget of {budget} bytes: the smallest encoding was {got}; "
        "simplify the animation (less detail or motion) or use fewer frames"
    )


def ensure_compliant(data: bytes, preset: PlatformPreset, seconds: int | None = None) -> bytes:
    """Return `data` untouched when it already passes every rule; otherwise re-fit it from its frames.

    Skipping the re-encode keeps hand-made files bit-exact when nothing needs changing.
    APNG and GIF are refitted here; WebM through popcon.media.webm.ensure_compliant_webm.
    """
    if not failures(validate_bytes(data, preset)):
        return data
    if preset.format == "webm":
        from popcon.media.webm import ensure_compliant_webm

        return ensure_compliant_webm(data, preset)
    with Image.open(io.BytesIO(data)) as im:
        frames, total_ms = [], 0
        for i in range(getattr(im, "n_frames", 1)):
            im.seek(i)
            frames.append(np.asarray(im.convert("RGBA")).copy())
            total_ms += int(im.info.get("duration", 0) or 0)
    if seconds is None and preset.timing.loop_seconds:
        seconds = min(preset.timing.loop_seconds, key=lambda s: abs(s * 1000 - total_ms))
    secs = seconds or max(1, round(total_ms / 1000))
    canvas = fit_frames(frames, preset.canvas, preset.margin_px)
    return fit_budget(canvas, secs, preset).data
