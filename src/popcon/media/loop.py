"""Pick the best seamless loop of whole seconds inside a clip, and sample it to a frame count.

LINE plays an animation for exactly 1, 2, 3 or 4 seconds, and reviewers want the last frame to
lead back into the first. A video model's clip rarely loops by itself, so we search every window
of a whole number of seconds for the one whose end comes closest to its start, among windows that
actually move (a still window loops perfectly but makes a refused, lifeless emoji).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from popcon.domain.errors import InvalidInput

_FEATURE = 48  # side of the thumbnails compared


@dataclass(frozen=True)
class Loop:
    start: int  # first frame of the loop
    length: int  # frames in one loop (frame start+length would be the first again)
    seconds: int
    seam: float  # mean abs difference (0-255) between the frame after the loop and its first
    motion: float  # mean abs difference between neighbouring frames inside the loop


def _features(frames: Sequence[np.ndarray]) -> np.ndarray:
    """Thumbnails compared for seams and motion; RGBA frames are premultiplied (composited on black),
    since the colour under a transparent pixel is no part of the picture."""
    return np.stack(
        [
            cv2.resize(_visible(f), (_FEATURE, _FEATURE), interpolation=cv2.INTER_AREA).astype(np.float32)
            for f in frames
        ]
    )


def _visible(frame: np.ndarray) -> np.ndarray:
    if frame.ndim == 3 and frame.shape[2] == 4:
        a = cv2.extractChannel(frame, 3)
        return cv2.multiply(cv2.cvtColor(frame, cv2.COLOR_RGBA2RGB), cv2.merge([a, a, a]), scale=1 / 255)
    return frame[..., :3]


def find_loop(
    frames: Sequence[np.ndarray],
    fps: float,
    *,
    seconds: Sequence[int] = (1, 2, 3, 4),
    prefer_seconds: int | None = None,
) -> Loop:
    """The window of whole seconds with the smallest seam among windows that move.

    A clip shorter than one second (or than any allowed length) is an error the user can act on.
    """
    n = len(frames)
    feats = _features(frames)
    steps = np.abs(np.diff(feats, axis=0)).mean(axis=(1, 2, 3)) if n > 1 else np.zeros(0)
    candidates: list[Loop] = []
    for sec in seconds:
        length = round(sec * fps)
        if length < 2 or length > n:
            continue
        # A window of `length` frames loops when frame start+length matches frame start; when the
        # clip ends with the window, its own last frame (one step before the seam) stands in.
        for start in range(0, n - length + 1):
            end = start + length if start + length < n else start + length - 1
            seam = float(np.abs(feats[end] - feats[start]).mean())
            motion = float(steps[start : start + length - 1].mean()) if length > 1 else 0.0
            candidates.append(Loop(start, length, sec, seam, motion))
    if not candidates:
        raise InvalidInput(f"the clip has {n} frames at {fps:.1f} fps: at least one whole second is needed")
    best_motion = max(c.motion for c in candidates)
    lively = [c for c in candidates if c.motion >= 0.35 * best_motion] or candidates

    def cost(c: Loop) -> tuple[float, int, float, int]:
        # Seams within half a grey level are equally good: then prefer the asked length, then the
        # livelier window, then the earliest (the clip's first frame is the intended start pose).
        pref = 0 if prefer_seconds is None else abs(c.seconds - prefer_seconds)
        return (round(c.seam * 2) / 2, pref, -round(c.motion, 1), c.start)

    return min(lively, key=cost)


def sample_loop(frames: Sequence[np.ndarray], loop: Loop, count: int) -> list[np.ndarray]:
    """`count` frames evenly spread over one loop, starting at its first frame."""
    count = max(1, min(count, loop.length))
    idx = [loop.start + (k * loop.length) // count for k in range(count)]
    return [frames[i] for i in idx]


def frames_for(seconds: int, *, max_frames: int = 20, min_frames: int = 5, target_fps: int = 12) -> int:
    """How many working frames one loop gets: smooth enough, within the platforms' frame caps."""
    return int(min(max_frames, max(min_frames, seconds * target_fps)))


def dark_border_box(frames: Sequence[np.ndarray], threshold: float = 18.0) -> tuple[int, int, int, int]:
    """(top, bottom, left, right) of the picture inside black bars some video models add."""
    mx = None  # brightest value of each pixel over the sampled frames (uint8 maxima: no big temporaries)
    for f in frames[:: max(1, len(frames) // 8)]:
        m = np.maximum(np.maximum(f[..., 0], f[..., 1]), f[..., 2])
        mx = m if mx is None else np.maximum(mx, m, out=mx)
    assert mx is not None
    h, w = mx.shape
    rows = np.where(mx.mean(axis=1) > threshold)[0]
    cols = np.where(mx.mean(axis=0) > threshold)[0]
    if rows.size == 0 or cols.size == 0:
        return 0, h, 0, w
    top, bottom, left, right = int(rows[0]), int(rows[-1]) + 1, int(cols[0]), int(cols[-1]) + 1
    # Only crop real bars: thin slivers stay, and a dark picture is not cropped away.
    if bottom - top < h // 2 or right - left < w // 2:
        return 0, h, 0, w
    top = top if top >= 4 else 0
    left = left if left >= 4 else 0
    bottom = bottom if h - bottom >= 4 else h
    right = right if w - right >= 4 else w
    return top, bottom, left, right


def crop_dark_borders(frames: Sequence[np.ndarray]) -> list[np.ndarray]:
    """The frames without the black bars some video models add (RGBA frames have none: their dark
    transparent pixels are no bars)."""
    if frames and frames[0].ndim == 3 and frames[0].shape[2] == 4:
        return list(frames)
    top, bottom, left, right = dark_border_box(frames)
    return [f[top:bottom, left:right] for f in frames]
