"""Smooth per-clip background model for the matte.

Why: backgrounds from video models are not one colour (vignettes, gradients, noise, compression), but
they are smooth and the camera is static. A low-order polynomial per channel, fitted robustly to the
temporal median of the clip over pixels that look like background, models them once per clip.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np

FIT_STEP = 16  # fitting grid: 1/16 resolution is plenty for a smooth model (and a cheap solve)
WORK_SCALE = 2  # coarse segmentation runs at 1/2 resolution
DEGREE = 3
INLIER_TOL = 10.0
LIGHT_BG = 247.0


def _design(h: int, w: int, degree: int = DEGREE) -> np.ndarray:
    """Polynomial terms x^i y^j (i + j <= degree) on a normalised h x w grid, shape (h*w, terms)."""
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    x = x / max(w - 1, 1) * 2 - 1
    y = y / max(h - 1, 1) * 2 - 1
    cols = [x**i * y**j for i in range(degree + 1) for j in range(degree + 1 - i)]
    return np.stack([c.ravel() for c in cols], 1)


@dataclass
class Background:
    """The fitted model: polynomial coefficients plus a cached half-resolution rendering."""

    coef: np.ndarray  # (terms, 3)
    height: int
    width: int
    small: np.ndarray  # (h/scale, w/scale, 3) float32
    scale: int
    key: bool

    def __post_init__(self) -> None:
        self.small_u8 = np.clip(self.small + 0.5, 0, 255).astype(np.uint8)
        self.inv_sum = 1.0 / np.maximum(self.small.sum(-1), 1.0)
        # Pure white: a flat white region inside the figure is then as likely an eye as a hole.
        self.light = float(self.small[::8, ::8].min(-1).mean()) > LIGHT_BG
        self._full: np.ndarray | None = None

    def render(self, h: int, w: int) -> np.ndarray:
        return (_design(h, w) @ self.coef).reshape(h, w, 3).astype(np.float32)

    def full(self, y0: int, y1: int, x0: int, x1: int) -> np.ndarray:
        """Full-resolution background for a crop (rendered from the small model; it is smooth)."""
        if self._full is None:
            self._full = cv2.resize(self.small, (self.width, self.height), interpolation=cv2.INTER_LINEAR)
        return self._full[y0:y1, x0:x1]


def _fit(med: np.ndarray, seed: np.ndarray) -> np.ndarray:
    h, w = med.shape[:2]
    a = _design(h, w)
    vals = med.reshape(-1, 3)
    inl = seed.ravel()
    coef = np.zeros((a.shape[1], 3), np.float32)
    for _ in range(3):
        if inl.sum() < a.shape[1] * 4:
            coef[:] = 0
            coef[0] = np.median(vals[seed.ravel()], 0) if seed.any() else np.median(vals, 0)
            break
        coef, *_ = np.linalg.lstsq(a[inl], vals[inl], rcond=None)
        res = np.abs(vals - a @ coef).max(1)
        inl = res < INLIER_TOL
    return coef.astype(np.float32)


def fit_background(frames: Sequence[np.ndarray], key_color: tuple[int, int, int] | None = None) -> Background:
    """Fit the clip's background from all frames (temporal median, then robust polynomial fit)."""
    h, w = frames[0].shape[:2]
    gh, gw = max(h // FIT_STEP, 8), max(w // FIT_STEP, 8)
    idx = np.linspace(0, len(frames) - 1, min(len(frames), 12)).round().astype(int)
    smalls = np.stack(
        [cv2.resize(frames[i][..., :3], (gw, gh), interpolation=cv2.INTER_AREA) for i in idx]
    ).astype(np.float32)
    med = np.median(smalls, 0)
    if key_color is not None:
        seed = np.abs(med - np.asarray(key_color, np.float32)).max(-1) < 40
    else:
        seed = np.zeros((gh, gw), bool)
        b = max(2, min(gh, gw) // 16)
        seed[:b] = seed[-b:] = True
        seed[:, :b] = seed[:, -b:] = True
        # The border itself may hold foreground (a character cut by the frame): keep border pixels
        # that agree with the border's median colour.
        ref = np.median(med[seed], 0)
        seed &= np.abs(med - ref).max(-1) < 30
    coef = _fit(med, seed)
    sh, sw = max(h // WORK_SCALE, 1), max(w // WORK_SCALE, 1)
    # The model is smooth: render it on the fitting grid and interpolate up.
    grid = (_design(gh, gw) @ coef).reshape(gh, gw, 3).astype(np.float32)
    small = cv2.resize(grid, (sw, sh), interpolation=cv2.INTER_LINEAR)
    return Background(coef, h, w, small, WORK_SCALE, key_color is not None)
