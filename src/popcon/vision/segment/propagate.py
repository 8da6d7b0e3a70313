"""Apply one frame's refinement to a whole clip: clicks and mask carried frame to frame.

Why this way: neighbouring frames of a short loop differ by a few pixels, so the previous frame's mask,
warped by dense optical flow, is a good prior for the next one, and the user's clicks, moved by the same
flow, still point at the same parts of the character. A click that lands outside the object after the
move (or a negative one that lands inside) is re-placed or dropped, so drift never flips its meaning.
Runs forward and backward from the edited frame; reports progress and honours cancellation.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import cv2
import numpy as np

from popcon.domain.errors import Canceled, InvalidInput
from popcon.vision.segment.base import Click, Segmenter, click_arrays, normalize_prior

__all__ = ["guard_edit", "move_clicks", "propagate", "propagate_edit"]

# OpenCV takes None for an output array; its stubs say so in some releases and not in others.
_FARNEBACK: Callable[..., Any] = cv2.calcOpticalFlowFarneback
FLOW_SIDE = 320  # optical flow on a copy this size: enough for the motion of a sticker clip


def _grey_small(rgb: np.ndarray, scale: float) -> np.ndarray:
    g = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    return cv2.resize(g, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA) if scale < 1 else g


def _flow(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Dense flow a -> b (pixels of the small copy)."""
    flow: np.ndarray = _FARNEBACK(a, b, None, 0.5, 3, 21, 3, 5, 1.1, 0)
    return flow


def _warp_mask(mask: np.ndarray, back_flow: np.ndarray, scale: float) -> np.ndarray:
    """Pull `mask` (previous frame) into the next frame using the next -> previous flow."""
    h, w = mask.shape[:2]
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
    h, w = mask.shape[:2]
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
    return _propagate(segmenter, frames, start, clicks, mask, None, keys, progress, cancel)[0]


def _propagate(
    segmenter: Segmenter,
    frames: Sequence[np.ndarray],
    start: int,
    clicks: Sequence[Click],
    mask: np.ndarray,
    track: np.ndarray | None,
    keys: Sequence[str] | None,
    progress: Callable[[int, int], None] | None,
    cancel: Callable[[], bool] | None,
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Masks for every frame, and `track` (h x w x c float32 maps of the start frame) carried along
    the same optical flow chain, frame by frame (empty list when no track is given)."""
    n = len(frames)
    if not 0 <= start < n:
        raise InvalidInput(f"frame {start} is not in a clip of {n} frames")
    h, w = frames[start].shape[:2]
    first = normalize_prior(mask, (h, w))
    assert first is not None
    out: list[np.ndarray | None] = [None] * n
    out[start] = first
    tracked: list[np.ndarray | None] = [None] * n
    tracked[start] = track
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
            if track is not None:
                tracked[i] = _warp_mask(tracked[prev], back, scale)  # type: ignore[arg-type]
            moved = move_clicks(moved, fwd, scale, prior)
            prepared = segmenter.prepare(frames[i][..., :3], key=keys[i] if keys else None)
            out[i] = segmenter.predict(prepared, moved, prior=prior) if moved else prior
            done += 1
            if progress:
                progress(done, total)
            prev, i = i, i + step
            greys.pop(prev - 2 * step, None)
    return [m for m in out if m is not None], [t for t in tracked if t is not None]


NEAR_PX = 4  # the warped source edit is trusted to this many px (flow error on a sticker clip)
FAR_PX = 15  # ... and the propagated mask, inside the character, this far from it


def _grow(m: np.ndarray, px: int) -> np.ndarray:
    k = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * px + 1, 2 * px + 1))
    return cv2.dilate((m > 0.5).astype(np.uint8), k) > 0


def guard_edit(
    op: str, mask: np.ndarray, auto: np.ndarray, src_edit: np.ndarray, src_added: np.ndarray
) -> np.ndarray:
    """Make a propagated layer mask safe for its frame (all float32 0..1 maps of that frame).

    `auto` is the frame's own automatic alpha; `src_edit` the source frame's layer mask and `src_added`
    what the source edit showed beyond the source's automatic cut-out, both warped to this frame.
    Rules: a propagated edit never shows a pixel that is neither in this frame's automatic cut-out nor
    where the user's edit added one (so no background blob appears: the re-segmentation may spill into
    it); and a keep never drops a part of the automatic cut-out that the user's kept region covers
    (so a thin part the re-segmentation missed, an antenna or a tear, stays). Erase and restore act
    only where the user's own edit lands after warping.
    """
    m = np.clip(mask.astype(np.float32), 0.0, 1.0)
    a = np.clip(auto.astype(np.float32), 0.0, 1.0)
    near = _grow(src_edit, NEAR_PX)
    if op == "keep":
        region = near | ((m > 0.5) & _grow(src_edit, FAR_PX))
        added = _grow(src_added, NEAR_PX)
        return np.maximum(np.where(region, a, 0.0), np.where(added, m, 0.0)).astype(np.float32)
    # erase and restore: only where the user's edit went; restore shows at most the edit's own area
    return np.where(near, m, 0.0).astype(np.float32)


def propagate_edit(
    segmenter: Segmenter,
    frames: Sequence[np.ndarray],
    start: int,
    op: str,
    clicks: Sequence[Click],
    mask: np.ndarray,
    autos: Sequence[np.ndarray],
    *,
    keys: Sequence[str] | None = None,
    progress: Callable[[int, int], None] | None = None,
    cancel: Callable[[], bool] | None = None,
) -> list[np.ndarray]:
    """One edit layer carried to every frame and made safe there (see `guard_edit`).

    `autos` are every frame's automatic alpha (float 0..1 or uint8). The start frame keeps the user's
    mask unchanged.
    """
    if len(autos) != len(frames):
        raise InvalidInput("one automatic cut-out per frame is needed")
    h, w = frames[start].shape[:2]
    src = normalize_prior(mask, (h, w))
    assert src is not None
    alphas = [_alpha01(x) for x in autos]
    added = np.clip(src - alphas[start], 0.0, 1.0)
    track = np.dstack([src, added]).astype(np.float32)
    masks, tracked = _propagate(segmenter, frames, start, clicks, src, track, keys, progress, cancel)
    out = []
    for i, (m, t) in enumerate(zip(masks, tracked, strict=True)):
        out.append(src if i == start else guard_edit(op, m, alphas[i], t[..., 0], t[..., 1]))
    return out


def _alpha01(a: np.ndarray) -> np.ndarray:
    a = np.asarray(a)
    if a.ndim == 3:
        a = a[..., -1]
    return a.astype(np.float32) / 255.0 if a.dtype == np.uint8 else np.clip(a.astype(np.float32), 0.0, 1.0)
