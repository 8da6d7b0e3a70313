"""One palette shared by every frame of an animation.

Clustering happens in premultiplied RGBA, so a faint edge pixel sits near the transparent
entry and a half-transparent red sits between red and transparent: soft edges quantise to
soft edges instead of fringes. A shared palette keeps colours from flickering between frames,
and deterministic nearest-colour mapping (no dithering) keeps static regions byte-identical
from frame to frame, which is what makes the APNG small.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from popcon.domain.errors import InvalidInput

# Channel weights of the clustering space (premultiplied R, G, B, alpha); the eye is most
# sensitive to green and to the silhouette (alpha).
_WEIGHTS = np.array([1.0, 1.2, 0.8, 1.1], np.float32)


@dataclass(frozen=True)
class Quantized:
    """Palette (K x 4 RGBA uint8, entry 0 fully transparent) and one index map per frame."""

    palette: np.ndarray
    indices: list[np.ndarray]

    def to_rgba(self, i: int) -> np.ndarray:
        return self.palette[self.indices[i]]


def _features(px: np.ndarray) -> np.ndarray:
    """RGBA uint8 rows -> weighted premultiplied float features."""
    f = px.astype(np.float32)
    a = f[:, 3:4] / 255.0
    f[:, :3] *= a
    return f * _WEIGHTS


def _unpremultiply(centres: np.ndarray) -> np.ndarray:
    c = centres / _WEIGHTS
    a = np.clip(c[:, 3:4], 0.0, 255.0)
    rgb = np.where(a > 0.5, c[:, :3] * 255.0 / np.maximum(a, 1e-3), 0.0)
    return np.clip(np.concatenate([rgb, a], axis=1) + 0.5, 0, 255).astype(np.uint8)


def _pack(px: np.ndarray) -> np.ndarray:
    return px.astype(np.uint32) @ np.array([1 << 24, 1 << 16, 1 << 8, 1], np.uint32)


def build_palette(
    frames: Sequence[np.ndarray], colours: int = 256, *, sample: int = 40_000, seed: int = 0
) -> np.ndarray:
    """A palette of at most `colours` RGBA entries for all `frames` together; entry 0 is transparent.

    Exact when the clip already has few enough colours (no loss); otherwise k-means++ over a
    deterministic sample of the visible pixels of every frame.
    """
    if not 2 <= colours <= 256:
        raise InvalidInput(f"palette size must be 2..256, got {colours}")
    if not frames:
        raise InvalidInput("no frames to quantise")
    visible = np.concatenate([f.reshape(-1, 4)[f.reshape(-1, 4)[:, 3] > 0] for f in frames])
    transparent = np.zeros((1, 4), np.uint8)
    if len(visible) == 0:
        return transparent
    uniq = np.unique(_pack(visible))
    if len(uniq) <= colours - 1:
        exact = np.stack([(uniq >> s) & 0xFF for s in (24, 16, 8, 0)], axis=1).astype(np.uint8)
        return np.concatenate([transparent, exact])
    rng = np.random.default_rng(seed)
    pick = visible if len(visible) <= sample else visible[rng.choice(len(visible), sample, replace=False)]
    data = _features(pick)
    cv2.setRNGSeed(seed)
    criteria = (cv2.TERM_CRITERIA_EPS | cv2.TERM_CRITERIA_MAX_ITER, 16, 0.5)
    _, _, centres = cv2.kmeans(data, colours - 1, None, criteria, 1, cv2.KMEANS_PP_CENTERS)
    pal = _unpremultiply(centres)
    pal = pal[pal[:, 3] > 0]  # a cluster of near-invisible pixels is the transparent entry's job
    pal = np.unique(pal, axis=0)
    return np.concatenate([transparent, pal])


def _nearest(feat: np.ndarray, centres: np.ndarray, chunk: int = 32_768) -> np.ndarray:
    """Index of the nearest centre for each feature row (squared Euclidean, chunked for memory)."""
    c2 = (centres**2).sum(axis=1)
    out = np.empty(len(feat), np.uint8)
    ct = centres.T.copy()
    for s in range(0, len(feat), chunk):
        x = feat[s : s + chunk]
        d = c2[None, :] - 2.0 * (x @ ct)
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
