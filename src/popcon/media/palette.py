"""One palette shared by every frame of an animation.

Clustering happens on what a person sees: each pixel is represented by its colour composited
on a light and on a dark chat background (6 numbers, linear in premultiplied RGBA), so the
error being minimised is the visible error on both, a faint edge pixel sits near the
transparent entry and a half-transparent red sits between red and transparent: soft edges
quantise to soft edges instead of fringes (a plain premultiplied space under-weights alpha
errors, which show against a light background; measured -0.4 dB there). A shared palette
keeps colours from flickering between frames, and deterministic nearest-colour mapping (no
dithering) keeps static regions byte-identical from frame to frame, which is what makes the
APNG small.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np

from popcon.domain.errors import InvalidInput

# The two reference backgrounds: white and #1e1e1e (a dark chat theme; bench/export.py scores on both).
LIGHT, DARK = 255.0, 30.0
# OpenCV takes None for an output array; its stubs say so in some releases and not in others.
_KMEANS: Callable[..., Any] = cv2.kmeans
SAMPLE_ITERATIONS = 4  # k-means passes on the sample: the refinement below does the fine work
# (16 passes cost 2.5 s more over the 8-emoji demo set for +0.012 dB)
REFINE_ITERATIONS = 8  # at most; Lloyd passes over the full colour histogram after the sampled k-means
REFINE_TOLERANCE = 0.25  # stop once no centre moves more than this (levels)
REFINE_MAX_COLOURS = 200_000  # larger histograms (noise, big canvases) are subsampled by pixel count


@dataclass(frozen=True)
class Quantized:
    """Palette (K x 4 RGBA uint8, entry 0 fully transparent) and one index map per frame."""

    palette: np.ndarray
    indices: list[np.ndarray]

    def to_rgba(self, i: int) -> np.ndarray:
        return self.palette[self.indices[i]]


def _features(px: np.ndarray) -> np.ndarray:
    """RGBA uint8 rows -> float features: the colour over the light and over the dark background."""
    f = px.astype(np.float32)
    a = f[:, 3:4] / 255.0
    pre = f[:, :3] * a
    return np.concatenate([pre + LIGHT * (1.0 - a), pre + DARK * (1.0 - a)], axis=1)


def _unpremultiply(centres: np.ndarray) -> np.ndarray:
    """Feature centres back to RGBA uint8 (the inverse of `_features` for any mean of features)."""
    light, dark = centres[:, :3], centres[:, 3:]
    clear = np.clip((light - dark).mean(axis=1, keepdims=True) / (LIGHT - DARK), 0.0, 1.0)  # 1 - alpha
    a = 1.0 - clear
    pre = (light - LIGHT * clear + dark - DARK * clear) / 2.0
    rgb = np.where(a > 1e-3, pre / np.maximum(a, 1e-3), 0.0)
    return np.clip(np.concatenate([rgb, a * 255.0], axis=1) + 0.5, 0, 255).astype(np.uint8)


def _pack(px: np.ndarray) -> np.ndarray:
    return px.astype(np.uint32) @ np.array([1 << 24, 1 << 16, 1 << 8, 1], np.uint32)


def build_palette(
    frames: Sequence[np.ndarray], colours: int = 256, *, sample: int = 20_000, seed: int = 0
) -> np.ndarray:
    """A palette of at most `colours` RGBA entries for all `frames` together; entry 0 is transparent.

    Exact when the clip already has few enough colours (no loss); otherwise k-means++ over a
    deterministic sample of the visible pixels of every frame. The refinement over every distinct
    colour then moves the centres, so a 20k sample loses ~0.05 dB against 40k at 2/3 of the time.
    """
    if not 2 <= colours <= 256:
        raise InvalidInput(f"palette size must be 2..256, got {colours}")
    if not frames:
        raise InvalidInput("no frames to quantise")
    visible = np.concatenate([f.reshape(-1, 4)[f.reshape(-1, 4)[:, 3] > 0] for f in frames])
    transparent = np.zeros((1, 4), np.uint8)
    if len(visible) == 0:
        return transparent
    uniq, counts = np.unique(_pack(visible), return_counts=True)
    if len(uniq) <= colours - 1:
        exact = np.stack([(uniq >> s) & 0xFF for s in (24, 16, 8, 0)], axis=1).astype(np.uint8)
        return np.concatenate([transparent, exact])
    rng = np.random.default_rng(seed)
    pick = visible if len(visible) <= sample else visible[rng.choice(len(visible), sample, replace=False)]
    data = _features(pick)
    cv2.setRNGSeed(seed)
    criteria = (cv2.TERM_CRITERIA_EPS | cv2.TERM_CRITERIA_MAX_ITER, SAMPLE_ITERATIONS, 0.5)
    _, _, centres = _KMEANS(data, colours - 1, None, criteria, 1, cv2.KMEANS_PP_CENTERS)
    centres = _refine((uniq, counts), centres)
    pal = _unpremultiply(centres)
    pal = pal[pal[:, 3] > 0]  # a cluster of near-invisible pixels is the transparent entry's job
    pal = np.unique(pal, axis=0)
    return np.concatenate([transparent, pal])


def _refine(packed_unique: tuple[np.ndarray, np.ndarray], centres: np.ndarray) -> np.ndarray:
    """Lloyd iterations on every distinct colour (weighted by count), not just the k-means sample.

    The sample fixes where clusters are; these passes move each centre to the true mean of the
    pixels that will map to it, which is what the PSNR of the result depends on.
    """
    keys, counts = packed_unique
    if len(keys) > REFINE_MAX_COLOURS:  # draw pixels (not colours) so the distribution is kept
        rng = np.random.default_rng(0)
        pick = rng.choice(len(keys), REFINE_MAX_COLOURS, p=counts / counts.sum())
        idx, counts = np.unique(pick, return_counts=True)
        keys = keys[idx]
    colours = np.stack([(keys >> s) & 0xFF for s in (24, 16, 8, 0)], axis=1).astype(np.uint8)
    x = _features(colours)
    w = counts.astype(np.float32)
    c = centres.astype(np.float32).copy()
    for _ in range(REFINE_ITERATIONS):
        lab = _nearest(x, c)
        cw = np.bincount(lab, weights=w, minlength=len(c))
        sums = np.stack(
            [np.bincount(lab, weights=x[:, k] * w, minlength=len(c)) for k in range(x.shape[1])], axis=1
        )
        nz = cw > 0
        moved = float(np.abs(sums[nz] / cw[nz, None] - c[nz]).max()) if nz.any() else 0.0
        c[nz] = sums[nz] / cw[nz, None]
        if moved < REFINE_TOLERANCE:
            break
    return c


def _nearest(feat: np.ndarray, centres: np.ndarray, chunk: int = 8_192) -> np.ndarray:
    """Index of the nearest centre for each feature row (squared Euclidean, chunked, in place).

    Small chunks and in-place arithmetic keep the distance block in cache: 3x faster than
    materialising `c2 - 2 x.c` per 32k rows, and this runs a dozen times per palette.
    """
    ct = np.ascontiguousarray(centres.T, dtype=np.float32)
    c2 = (ct**2).sum(axis=0)
    x = np.ascontiguousarray(feat, dtype=np.float32)
    out = np.empty(len(x), np.uint8 if len(centres) <= 256 else np.int32)
    for s in range(0, len(x), chunk):
        d = x[s : s + chunk] @ ct
        d *= -2.0
        d += c2
        out[s : s + chunk] = d.argmin(axis=1)
    return out


def apply_palette(frames: Sequence[np.ndarray], palette: np.ndarray) -> list[np.ndarray]:
    """Map every pixel of every frame to its nearest palette entry (HxW uint8 index maps)."""
    if len(palette) > 256 or palette[0, 3] != 0:
        raise InvalidInput("palette must have <= 256 entries with a transparent entry 0")
    h, w = frames[0].shape[:2]
    flat = np.concatenate([f.reshape(-1, 4) for f in frames])
    idx = np.zeros(len(flat), np.uint8)
    vis = flat[:, 3] > 0
    if vis.any() and len(palette) > 1:
        keys, inverse = np.unique(_pack(flat[vis]), return_inverse=True)
        colours = np.stack([(keys >> s) & 0xFF for s in (24, 16, 8, 0)], axis=1).astype(np.uint8)
        idx[vis] = _nearest(_features(colours), _features(palette))[inverse.reshape(-1)]
    return [m.reshape(h, w) for m in np.split(idx, len(frames))]


def quantize(frames: Sequence[np.ndarray], colours: int = 256, *, seed: int = 0) -> Quantized:
    """Shared-palette quantisation of a whole clip."""
    palette = build_palette(frames, colours, seed=seed)
    return Quantized(palette, apply_palette(frames, palette))


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    """PSNR (dB) of two RGBA frames compared premultiplied, so invisible colour does not count."""
    fa, fb = a.astype(np.float64), b.astype(np.float64)
    fa[..., :3] *= fa[..., 3:4] / 255.0
    fb[..., :3] *= fb[..., 3:4] / 255.0
    mse = float(((fa - fb) ** 2).mean())
    return float("inf") if mse == 0 else 10.0 * np.log10(255.0**2 / mse)
