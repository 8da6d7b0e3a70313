"""Apply one frame's refinement to a whole clip: clicks and mask carried frame to frame.

Why this way: neighbouring frames of a short loop differ by a few pixels, so the previous frame's mask,
warped by dense optical flow, is a good prior for the next one, and the user's clicks, moved by the same
flow, still point at the same parts of the character. A click that lands outside the object after the
move (or a negative one that lands inside) is re-placed or dropped, so drift never flips its meaning.
Runs forward and backward from the edited frame; reports progress and honours cancellation.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import cv2
import numpy as np

from popcon.domain.errors import Canceled, InvalidInput
from popcon.vision.segment.base import Click, Segmenter, click_arrays, normalize_prior

__all__ = ["move_clicks", "propagate"]

FLOW_SIDE = 320  # optical flow on a copy this size: enough for the motion of a sticker clip


def _grey_small(rgb: np.ndarray, scale: float) -> np.ndarray:
    g = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    return cv2.resize(g, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA) if scale < 1 else g


def _flow(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Dense flow a -> b (pixels of the small copy)."""
    return cv2.calcOpticalFlowFarneback(a, b, None, 0.5, 3, 21, 3, 5, 1.1, 0)  # type: ignore[call-overload]  # OpenCV takes None for an output array; its stubs do not


def _warp_mask(mask: np.ndarray, back_flow: np.ndarray, scale: float) -> np.ndarray:
    """Pull `mask` (previous frame) into the next frame using the next -> previous flow."""
    h, w = mask.shape
    fl = cv2.resize(back_flow, (w, h), interpolation=cv2.INTER_LINEAR) / np.float32(scale)
    gx, gy = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    return cv2.remap(mask, gx + fl[..., 0], gy + fl[..., 1], cv2.INTER_LINEAR, borderValue=0.0)


def move_clicks(
    clicks: Sequence[Click], flow: np.ndarray | None, scale: float, mask: np.ndarray
) -> list[Click]:
    """Move clicks by `flow` (previous -> next, small-copy pixels), then check them against `mask`.

    A positive click must fall inside the object (else it moves to the object's most interior point
    near it); a negative click must fall outside (else it is dropped: the object moved over it).
    """
    h, w = mask.shape
    xy, pos = click_arrays(clicks, (h, w))
    inside = mask > 0.5
    dist = None
    out: list[Click] = []
    for (x, y), positive in zip(xy, pos, strict=True):
        if flow is not None:
            fh, fw = flow.shape[:2]
            sx = int(np.clip(round(x * scale), 0, fw - 1))
            sy = int(np.clip(round(y * scale), 0, fh - 1))
            dx, dy = flow[sy, sx] / scale
            x, y = float(np.clip(x + dx, 0, w - 1)), float(np.clip(y + dy, 0, h - 1))
        ix, iy = round(x), round(y)
        if positive and not inside[iy, ix]:
            if not inside.any():
                continue
            if dist is None:
                dist = cv2.distanceTransform(inside.astype(np.uint8), cv2.DIST_L2, 5)
            r = 40
            y0, y1, x0, x1 = max(0, iy - r), min(h, iy + r + 1), max(0, ix - r), min(w, ix + r + 1)
            win = dist[y0:y1, x0:x1]
            if win.max() <= 0:
                win, y0, x0 = dist, 0, 0
            j = int(win.argmax())
            y, x = float(y0 + j // win.shape[1]), float(x0 + j % win.shape[1])
        elif not positive and inside[iy, ix]:
            continue
        out.append(Click(x, y, bool(positive)))
    return out


def propagate(
    segmenter: Segmenter,
    frames: Sequence[np.ndarray],
    start: int,
    clicks: Sequence[Click],
    mask: np.ndarray,
    *,
    keys: Sequence[str] | None = None,
    progress: Callable[[int, int], None] | None = None,
    cancel: Callable[[], bool] | None = None,
) -> list[np.ndarray]:
    """Masks for every frame (float32 0..1); `mask` is the user's result on `frames[start]`.

    `keys` name the frames for the segmenter's prepare cache (pass the web UI's frame ids so frames it
    already prepared are reused). `progress(done, total)` after each frame; `cancel()` returning true
    stops with `Canceled`.
    """
    n = len(frames)
    if not 0 <= start < n:
        raise InvalidInput(f"frame {start} is not in a clip of {n} frames")
    h, w = frames[start].shape[:2]
    first = normalize_prior(mask, (h, w))
    assert first is not None
    out: list[np.ndarray | None] = [None] * n
    out[start] = first
    scale = min(1.0, FLOW_SIDE / max(h, w))
    greys: dict[int, np.ndarray] = {}

    def grey(i: int) -> np.ndarray:
        if i not in greys:
            greys[i] = _grey_small(frames[i][..., :3], scale)
        return greys[i]

    done, total = 1, n
    if progress:
        progress(done, total)
    for step in (1, -1):
        prev, moved = start, list(clicks)
        i = start + step
        while 0 <= i < n:
            if cancel and cancel():
                raise Canceled("propagation canceled")
            if frames[i].shape[:2] != (h, w):
                raise InvalidInput("all frames of a clip must have the same size")
            fwd = _flow(grey(prev), grey(i))
            back = _flow(grey(i), grey(prev))
            prior = _warp_mask(out[prev], back, scale)  # type: ignore[arg-type]
            moved = move_clicks(moved, fwd, scale, prior)
            prepared = segmenter.prepare(frames[i][..., :3], key=keys[i] if keys else None)
            out[i] = segmenter.predict(prepared, moved, prior=prior) if moved else prior
            done += 1
            if progress:
                progress(done, total)
            prev, i = i, i + step
            greys.pop(prev - 2 * step, None)
    return [m for m in out if m is not None]
