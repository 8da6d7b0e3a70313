"""Background model for the matte: smooth per clip, static texture from the clip, drift per frame.

Why: backgrounds from video models are not one colour. They have vignettes and gradients (a low-order
polynomial per channel, fitted robustly to the clip's temporal median), static textures such as paper or
cloth (the half-resolution temporal median itself, wherever it agrees with the smooth fit within the
texture's own amplitude, so a character that stood still is not taken as texture), and they drift in
level, tint and vignette from frame to frame (a degree-2 correction fitted per frame).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import cv2
import numpy as np

from popcon.vision.texture import smoother_than_backdrop

FIT_STEP = 16  # fitting grid: 1/16 resolution is plenty for a smooth model (and a cheap solve)
WORK_SCALE = 2  # coarse segmentation runs at 1/2 resolution
DEGREE = 3
INLIER_TOL = 10.0
LIGHT_BG = 247.0
FRAME_TOL = 6.0  # a grid cell whose drift differs this much from the frame's median drift is not background
TEX_MIN, TEX_MAX = 7.0, 28.0  # bounds on how far the texture may depart from the smooth fit
MEDIAN_FRAMES = 9


def _design(h: int, w: int, degree: int = DEGREE) -> np.ndarray:
    """Polynomial terms x^i y^j (i + j <= degree) on a normalised h x w grid, shape (h*w, terms)."""
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    x = x / max(w - 1, 1) * 2 - 1
    y = y / max(h - 1, 1) * 2 - 1
    cols = [x**i * y**j for i in range(degree + 1) for j in range(degree + 1 - i)]
    return np.stack([c.ravel() for c in cols], 1)


def border_strip(h: int, w: int) -> np.ndarray:
    """The outer 1/16 of a frame: the cheapest place that is background in almost every clip."""
    b = max(2, min(h, w) // 16)
    m = np.zeros((h, w), bool)
    m[:b] = m[-b:] = True
    m[:, :b] = m[:, -b:] = True
    return m


@dataclass
class Background:
    """The fitted model at half resolution, plus what the matte needs to know about it."""

    height: int
    width: int
    small: np.ndarray  # (h/scale, w/scale, 3) float32: the background colour per pixel
    scale: int
    key: bool
    grid: np.ndarray  # the smooth model on the fitting grid (gh, gw, 3)
    inliers: np.ndarray  # fitting-grid cells that are background in the clip's median
    known: np.ndarray  # half-res bool: the texture there was seen (not hidden by the character all along)
    texture: float  # robust spread of the static texture around the smooth fit (0 for flat backgrounds)
    light: bool = False
    _full: np.ndarray | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        self.small_u8 = np.clip(self.small + 0.5, 0, 255).astype(np.uint8)
        # Pure white: a flat white region inside the figure is then as likely an eye as a hole.
        self.light = float(self.small[::8, ::8].min(-1).mean()) > LIGHT_BG

    @property
    def inv_sum(self) -> np.ndarray:
        """1 / (R + G + B) of the background, for brightness ratios (contact shadows)."""
        return 1.0 / np.maximum(cv2.transform(self.small, np.ones((1, 3), np.float32)), 1.0)

    def full(self, y0: int, y1: int, x0: int, x1: int) -> np.ndarray:
        """Full-resolution background for a crop, interpolated from the half-resolution model."""
        s = self.scale
        sy0, sx0 = max(y0 // s - 1, 0), max(x0 // s - 1, 0)
        sy1, sx1 = min(-(-y1 // s) + 1, self.small.shape[0]), min(-(-x1 // s) + 1, self.small.shape[1])
        part = cv2.resize(self.small[sy0:sy1, sx0:sx1], ((sx1 - sx0) * s, (sy1 - sy0) * s))
        oy, ox = y0 - sy0 * s, x0 - sx0 * s
        return part[oy : oy + y1 - y0, ox : ox + x1 - x0]

    def for_frame(self, rgb: np.ndarray) -> Background:
        """This model re-fitted to one frame: real footage drifts in level, tint and vignette per frame.

        The drift is smooth, so a degree-2 correction is fitted on the grid cells that are background in
        the clip's median and agree with the frame's median drift (the character moved onto the others).
        Frame 1 of a real clip, the exact start image, is often 5-15 levels brighter: this absorbs it.
        """
        gh, gw = self.grid.shape[:2]
        g = cv2.resize(rgb, (gw, gh), interpolation=cv2.INTER_AREA).astype(np.float32)
        r = (g - self.grid).reshape(-1, 3)
        ok = self.inliers.ravel()
        if ok.sum() < 12:
            return self
        med = np.median(r[ok], 0)
        ok = ok & (np.abs(r - med).max(1) < FRAME_TOL)
        if ok.sum() < 12:
            return self
        a = _design(gh, gw, 2)
        corr = np.zeros((gh * gw, 3), np.float32) + med
        if ok.sum() >= a.shape[1] * 6:
            coef, *_ = np.linalg.lstsq(a[ok], r[ok], rcond=None)
            corr = (a @ coef).astype(np.float32)
        corr = corr.reshape(gh, gw, 3)
        corr_small = cv2.resize(corr, self.small.shape[1::-1], interpolation=cv2.INTER_LINEAR)
        return replace(self, small=self.small + corr_small, grid=self.grid + corr, _full=None)


def _fit(med: np.ndarray, seed: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
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
    res = np.abs(vals - a @ coef).max(1)
    return coef.astype(np.float32), (res < INLIER_TOL).reshape(h, w)


def fit_background(frames: Sequence[np.ndarray], key_color: tuple[int, int, int] | None = None) -> Background:
    """Fit the clip's background from its frames (temporal median, robust polynomial fit, texture)."""
    h, w = frames[0].shape[:2]
    gh, gw = max(h // FIT_STEP, 8), max(w // FIT_STEP, 8)
    sh, sw = max(h // WORK_SCALE, 1), max(w // WORK_SCALE, 1)
    idx = np.linspace(0, len(frames) - 1, min(len(frames), MEDIAN_FRAMES)).round().astype(int)
    halves = np.stack([cv2.resize(frames[i][..., :3], (sw, sh), interpolation=cv2.INTER_AREA) for i in idx])
    half_med = np.median(halves, 0).astype(np.float32) if len(idx) > 1 else halves[0].astype(np.float32)
    med = cv2.resize(half_med, (gw, gh), interpolation=cv2.INTER_AREA)
    if key_color is not None:
        seed = np.abs(med - np.asarray(key_color, np.float32)).max(-1) < 40
    else:
        seed = border_strip(gh, gw)
        # The border itself may hold foreground (a character cut by the frame): keep border pixels
        # that agree with the border's median colour.
        ref = np.median(med[seed], 0)
        seed &= np.abs(med - ref).max(-1) < 30
    coef, inliers = _fit(med, seed)
    # The model is smooth: render it on the fitting grid and interpolate up.
    grid = (_design(gh, gw) @ coef).reshape(gh, gw, 3).astype(np.float32)
    smooth = cv2.resize(grid, (sw, sh), interpolation=cv2.INTER_LINEAR)
    # Static texture (paper, cloth): how far the background departs from the smooth fit, measured where
    # it certainly is background (the frame's border), decides how far the median may be trusted.
    dev = np.abs(half_med - smooth).max(-1)
    strip = border_strip(sh, sw)
    texture = float(np.percentile(dev[strip], 90)) if key_color is None else 0.0
    tex_tol = float(np.clip(1.5 * texture + 3.0, TEX_MIN, TEX_MAX))
    known = dev < tex_tol
    if texture > 2.0:
        # A character that stood still is in the median; on cloth its surface is smoother than the
        # weave, so where the median is smoother than the backdrop ever is, it is not the backdrop.
        known &= ~smoother_than_backdrop(half_med, strip)
    # Only trust the median where it was seen as background in most sampled frames: a pixel covered by
    # the character in half the frames has a median that is the character's colour.
    small = np.where(known[..., None], half_med, smooth) if texture > 2.0 else smooth
    return Background(
        h,
        w,
        np.ascontiguousarray(small, np.float32),
        WORK_SCALE,
        key_color is not None,
        grid,
        inliers,
        known,
        texture,
    )
