"""Automatic matte on a textured backdrop (woven cloth).

The clip is built here with exact truth: a pale character whose colour lies within the cloth's own
texture amplitude, moving a little so that its inside is covered in every frame (the clip's median
there is the character, not the cloth). The drop shadow cast into a hole is in test_matte.py.
"""

from __future__ import annotations

import cv2
import numpy as np

from popcon.vision.matte import matte_frames

H, W = 240, 320


def _cloth(rng: np.random.Generator) -> np.ndarray:
    """A woven cloth: warp and weft threads (period about 7 px, +-7 levels) with grain."""
    yy, xx = np.mgrid[0:H, 0:W].astype(np.float32)
    weave = 5 * np.sin(2 * np.pi * xx / 7.0) * np.sign(np.sin(2 * np.pi * yy / 14.0))
    weave += 3 * np.sin(2 * np.pi * yy / 7.0)
    base = np.float32([226, 228, 232])
    return base + weave[..., None] + rng.normal(0, 1.0, (H, W, 1)).astype(np.float32)


def _pale_blob(shift: int) -> tuple[np.ndarray, np.ndarray]:
    """A smooth pale figure (a ghost's body), anti-aliased (colour, alpha)."""
    s = 4
    a = np.zeros((H * s, W * s), np.uint8)
    cx, cy = (160 + shift) * s, 125 * s
    cv2.ellipse(a, (cx, cy), (55 * s, 70 * s), 0, 0, 360, 255, -1)
    alpha = cv2.resize(a, (W, H), interpolation=cv2.INTER_AREA).astype(np.float32) / 255
    yy = np.mgrid[0:H, 0:W][0].astype(np.float32)
    # Smooth shading from a light top to a slightly darker, bluer bottom: always within the cloth's
    # amplitude of its mean colour.
    t = np.clip((yy - (cy / s - 70)) / 140, 0, 1)[..., None]
    col = np.float32([240, 236, 244]) * (1 - t) + np.float32([230, 226, 242]) * t
    return np.broadcast_to(col, (H, W, 3)).copy(), alpha


def _iou(o: np.ndarray, a: np.ndarray) -> float:
    p, t = o[..., 3] > 127, a > 0.5
    return float((p & t).sum() / max((p | t).sum(), 1))


def test_pale_figure_on_woven_cloth_is_whole_and_the_cloth_is_not_kept() -> None:
    """The figure's inside is covered in every frame, so the clip's median there is the figure; its colour
    is within the cloth's texture. Still the figure is whole (it is smoother than cloth ever is) and no
    piece of cloth is kept."""
    rng = np.random.default_rng(11)
    cloth = _cloth(rng)
    frames, alphas = [], []
    for t in range(8):
        col, a = _pale_blob(shift=(t % 4) * 2)
        bg = cloth + rng.normal(0, 1.0, (H, W, 1)).astype(np.float32)
        frames.append(np.clip(col * a[..., None] + bg * (1 - a[..., None]) + 0.5, 0, 255).astype(np.uint8))
        alphas.append(a)
    out = matte_frames(frames)
    for o, a in zip(out, alphas, strict=True):
        inside = cv2.erode((a > 0.99).astype(np.uint8), np.ones((9, 9), np.uint8)) > 0
        assert (o[..., 3][inside] > 127).mean() > 0.98
        far = cv2.dilate((a > 0).astype(np.uint8), np.ones((15, 15), np.uint8)) == 0
        assert (o[..., 3][far] > 127).mean() < 0.005
        assert _iou(o, a) > 0.92
