"""Fit a cut-out clip onto a platform canvas.

Crops empty transparent margins with ONE bounding box for the whole clip (a per-frame crop
would make the character jump), then scales in premultiplied alpha so soft edges keep their
colour instead of picking up the dark/white of the invisible pixels around them.
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

from popcon.domain.errors import InvalidInput
from popcon.domain.platforms import CanvasRule
from popcon.media.interrupt import checkpoint

ALPHA_EMPTY = 8  # alpha at or below this counts as empty margin (matting leaves faint noise)


def union_bbox(
    frames: Sequence[np.ndarray], threshold: int = ALPHA_EMPTY
) -> tuple[int, int, int, int] | None:
    """(x0, y0, x1, y1) exclusive box covering every visible pixel of every frame, or None if all empty."""
    mask = None
    for f in frames:
        _check_rgba(f)
        m = f[:, :, 3] > threshold
        mask = m if mask is None else (mask | m)
    if mask is None or not mask.any():
        return None
    ys = np.flatnonzero(mask.any(axis=1))
    xs = np.flatnonzero(mask.any(axis=0))
    return int(xs[0]), int(ys[0]), int(xs[-1]) + 1, int(ys[-1]) + 1


def target_size(rule: CanvasRule, content_w: int, content_h: int) -> tuple[int, int]:
    """Output canvas size: the exact size, or the largest allowed box for the content's aspect."""
    if rule.mode == "exact" or rule.square:
        side = min(rule.width, rule.height)
        return (side, side) if rule.mode == "fit" else (rule.width, rule.height)
    scale = min(rule.width / content_w, rule.height / content_h)
    w = min(rule.width, max(1, round(content_w * scale)))
    h = min(rule.height, max(1, round(content_h * scale)))
    if max(w, h) < rule.min_long_side:  # e.g. LINE stickers: one side must reach 270
        if w >= h:
            w = min(rule.width, rule.min_long_side)
        else:
            h = min(rule.height, rule.min_long_side)
    return w, h


def resize_premultiplied(rgba: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """High-quality RGBA resize (area filter down, cubic up) in premultiplied float."""
    _check_rgba(rgba)
    w, h = size
    if (rgba.shape[1], rgba.shape[0]) == (w, h):
        return rgba.copy()
    f = rgba.astype(np.float32) / 255.0
    f[:, :, :3] *= f[:, :, 3:4]
    down = w < rgba.shape[1] or h < rgba.shape[0]
    r = cv2.resize(f, (w, h), interpolation=cv2.INTER_AREA if down else cv2.INTER_CUBIC)
    r = np.clip(r, 0.0, 1.0)
    a = r[:, :, 3:4]
    rgb = np.where(a > 1e-6, r[:, :, :3] / np.maximum(a, 1e-6), 0.0)
    out = np.concatenate([np.clip(rgb, 0.0, 1.0), a], axis=2)
    return (out * 255.0 + 0.5).astype(np.uint8)


def fit_frames(
    frames: Sequence[np.ndarray],
    rule: CanvasRule,
    margin_px: int = 0,
    *,
    size: tuple[int, int] | None = None,
) -> list[np.ndarray]:
    """Crop the clip's common empty margins and centre it on the canvas (RGBA, same count as input).

    `size` overrides the preset's canvas (used for the tab image and for scaled-down retries).
    """
    if not frames:
        raise InvalidInput("no frames to fit on the canvas")
    shape = frames[0].shape
    if any(f.shape != shape for f in frames):
        raise InvalidInput("all frames of a clip must have the same size")
    box = union_bbox(frames)
    if box is None:
        raise InvalidInput("every frame is fully transparent: nothing to export")
    x0, y0, x1, y1 = box
    cw, ch = x1 - x0, y1 - y0
    W, H = size or target_size(rule, cw, ch)
    avail_w, avail_h = max(1, W - 2 * margin_px), max(1, H - 2 * margin_px)
    scale = min(avail_w / cw, avail_h / ch)
    nw, nh = max(1, min(avail_w, round(cw * scale))), max(1, min(avail_h, round(ch * scale)))
    ox, oy = (W - nw) // 2, (H - nh) // 2
    out: list[np.ndarray] = []
    for f in frames:
        checkpoint()  # a canceled export stops here too (the resize is a large part of an encode)
        canvas = np.zeros((H, W, 4), np.uint8)
        canvas[oy : oy + nh, ox : ox + nw] = resize_premultiplied(f[y0:y1, x0:x1], (nw, nh))
        out.append(canvas)
    return out


def _check_rgba(f: np.ndarray) -> None:
    if f.dtype != np.uint8 or f.ndim != 3 or f.shape[2] != 4:
        raise InvalidInput(f"expected an RGBA uint8 frame, got {f.dtype} {f.shape}")
