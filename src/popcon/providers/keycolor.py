"""Pick the flat background ("key") colour for generated clips.

The matte later removes the background by colour distance, so the key must be as far as
possible from every colour the character wears. Shared by the offline animator and the cloud
video providers, hence deterministic and cheap (the image is subsampled).
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np
from PIL import Image

# Saturated, camera-style key colours, in order of preference (ties go to the earlier one).
KEY_CANDIDATES: tuple[tuple[int, int, int], ...] = (
    (0, 255, 0),  # green
    (0, 0, 255),  # blue
    (255, 0, 255),  # magenta
    (0, 255, 255),  # cyan
    (255, 255, 0),  # yellow
    (255, 0, 0),  # red
)

_MAX_SAMPLES = 20_000
_PERCENTILE = 1.0  # ignore the closest 1 % of pixels (anti-aliasing, stray noise)
_PREFERENCE_STEP = 0.5  # Lab units a later candidate must win by to beat an earlier one


def _to_lab(rgb: np.ndarray) -> np.ndarray:
    """(N, 3) uint8 RGB -> (N, 3) float32 CIE Lab (L in 0..100)."""
    px = (rgb.reshape(-1, 1, 3).astype(np.float32)) / 255.0
    return cv2.cvtColor(px, cv2.COLOR_RGB2LAB).reshape(-1, 3)


def _opaque_pixels(character: Image.Image | np.ndarray) -> np.ndarray:
    """Subsampled opaque RGB pixels of the character, (N, 3) uint8."""
    arr = np.asarray(character.convert("RGBA") if isinstance(character, Image.Image) else character)
    if arr.ndim == 2:
        arr = np.repeat(arr[..., None], 3, axis=2)
    h, w = arr.shape[:2]
    step = max(1, int(np.sqrt(h * w / _MAX_SAMPLES)))
    sub = arr[::step, ::step]
    rgb = sub[..., :3][sub[..., 3] >= 128] if sub.shape[2] == 4 else sub[..., :3].reshape(-1, 3)
    return np.ascontiguousarray(rgb, dtype=np.uint8)


def choose_key_color(
    character: Image.Image | np.ndarray, extra_colors: Sequence[tuple[int, int, int]] = ()
) -> tuple[int, int, int]:
    """The candidate key colour whose nearest character colour (1st percentile, Lab) is farthest.

    `extra_colors` are colours that will also be drawn over the clip (effect overlays) and must
    survive the key too.
    """
    rgb = _opaque_pixels(character)
    lab = _to_lab(rgb) if len(rgb) else None
    extra = _to_lab(np.asarray(extra_colors, dtype=np.uint8).reshape(-1, 3)) if extra_colors else None
    if lab is None and extra is None:
        return KEY_CANDIDATES[0]
    keys = _to_lab(np.asarray(KEY_CANDIDATES, dtype=np.uint8))
    best, best_score = KEY_CANDIDATES[0], -np.inf
    for i, (cand, key) in enumerate(zip(KEY_CANDIDATES, keys, strict=True)):
        score = np.inf
        if lab is not None:
            dist = np.sqrt(((lab - key) ** 2).sum(axis=1))
            score = float(np.percentile(dist, _PERCENTILE)) if len(dist) > 100 else float(dist.min())
        if extra is not None:  # a few exact colours: each one counts, no percentile
            score = min(score, float(np.sqrt(((extra - key) ** 2).sum(axis=1)).min()))
        score -= i * _PREFERENCE_STEP
        if score > best_score:
            best, best_score = cand, score
    return best


def key_distance(character: Image.Image | np.ndarray, key: tuple[int, int, int]) -> float:
    """Lab distance from `key` to the closest opaque character pixel (for diagnostics and tests)."""
    rgb = _opaque_pixels(character)
    if len(rgb) == 0:
        return float("inf")
    lab = _to_lab(rgb)
    k = _to_lab(np.asarray([key], dtype=np.uint8))[0]
    return float(np.sqrt(((lab - k) ** 2).sum(axis=1)).min())
