"""The character's silhouette at a small working size, and the geometry the auto-rig reads from it.

Everything the auto-rig does is measured on the alpha mask, never on colours, so a drawing on paper, a
flat mascot and a soft 3D render rig alike. The mask is brought to a fixed working size first: the
measures are then in the same units for every input and one rig takes a few tens of milliseconds.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from PIL import Image
from scipy import ndimage

WORK_SIZE = 256  # longest side of the working mask


@dataclass(frozen=True)
class Silhouette:
    mask: np.ndarray  # (h, w) bool, the largest solid component with its holes filled
    scale: float  # working pixels per image pixel
    width: int  # the image's size
    height: int

    def to_image(self, x: float, y: float) -> tuple[float, float]:
        """A working-mask point in the image's pixels."""
        return ((x + 0.5) / self.scale - 0.5, (y + 0.5) / self.scale - 0.5)


def silhouette(image: Image.Image, threshold: int = 128) -> Silhouette | None:
    """The main solid shape of an RGBA image (None when it has no opaque pixels)."""
    rgba = image.convert("RGBA")
    w, h = rgba.size
    scale = min(1.0, WORK_SIZE / max(w, h))
    alpha = np.asarray(rgba)[..., 3]
    if scale < 1.0:
        alpha = cv2.resize(
            alpha, (max(1, round(w * scale)), max(1, round(h * scale))), interpolation=cv2.INTER_AREA
        )
    mask = alpha >= threshold
    labels, n = ndimage.label(mask, structure=np.ones((3, 3), bool))
    if n == 0:
        return None
    sizes = np.bincount(labels.ravel())[1:]
    mask = ndimage.binary_fill_holes(labels == 1 + int(np.argmax(sizes)))
    return Silhouette(mask=np.asarray(mask, bool), scale=scale, width=w, height=h)


def distance(mask: np.ndarray) -> np.ndarray:
    """Euclidean distance of each inside pixel to the outside (the local half-thickness)."""
    padded = np.pad(mask.astype(np.uint8), 1)
    return cv2.distanceTransform(padded, cv2.DIST_L2, 5)[1:-1, 1:-1]


def opening(mask: np.ndarray, radius: float) -> np.ndarray:
    """The union of every disc of `radius` that fits inside the shape: the thick parts, limbs removed."""
    d = distance(mask)
    seeds = (d > radius).astype(np.uint8)
    if not seeds.any():
        return np.zeros_like(mask)
    grown = cv2.distanceTransform(np.pad(1 - seeds, 1, constant_values=1), cv2.DIST_L2, 5)[1:-1, 1:-1]
    return (grown <= radius) & mask


_CROSS = np.ones((3, 3), np.uint8)


def geodesic(region: np.ndarray, sources: np.ndarray) -> np.ndarray:
    """Steps from `sources` to every pixel of `region` moving inside it (-1 where unreachable).

    Grown one 8-neighbour ring at a time with OpenCV dilations restricted to the region: a bent arm is
    followed where a straight-line distance would cut across the body, at array speed.
    """
    dist = np.full(region.shape, -1, np.int32)
    reg = region.astype(np.uint8)
    reached = (sources & region).astype(np.uint8)
    dist[reached > 0] = 0
    step = 0
    while True:
        grown = np.asarray(cv2.dilate(reached, _CROSS), np.uint8) & reg
        new = (grown > 0) & (reached == 0)
        if not new.any():
            return dist
        step += 1
        dist[new] = step
        reached = grown


def dilate(mask: np.ndarray, radius: int, iterations: int = 1) -> np.ndarray:
    """Grow a mask by `radius` pixels (square neighbourhood); OpenCV's, many times faster than SciPy's."""
    kernel = np.ones((2 * radius + 1, 2 * radius + 1), np.uint8)
    return cv2.dilate(mask.astype(np.uint8), kernel, iterations=iterations).astype(bool)
