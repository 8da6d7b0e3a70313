"""Synthetic and sample clips (RGBA frames) the media and export tests encode."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from PIL import Image

from tests.conftest import SAMPLES


def disc_clip(n: int = 20, size: int = 512, radius: int = 70, travel: int = 120) -> list[np.ndarray]:
    """An anti-aliased disc with a colour gradient that moves on a loop (transparent background)."""
    ss = 4  # supersample for soft edges
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32)
    grad = np.stack([xx / size * 255, yy / size * 255, np.full_like(xx, 160)], axis=2)
    frames = []
    for i in range(n):
        ph = 2 * np.pi * i / n
        cx, cy = size / 2 + travel * np.cos(ph), size / 2 + travel * 0.5 * np.sin(ph)
        big = np.zeros((size * ss, size * ss), np.uint8)
        cv2.circle(big, (round(cx * ss), round(cy * ss)), radius * ss, 255, -1, lineType=cv2.LINE_AA)
        a = cv2.resize(big, (size, size), interpolation=cv2.INTER_AREA)
        rgb = grad.copy()
        rgb[..., 2] = (rgb[..., 2] + 90 * np.sin(ph + xx / 40)).clip(0, 255)
        f = np.dstack([rgb.astype(np.uint8), a])
        f[a == 0, :3] = 255  # junk colour under invisible pixels must never show
        frames.append(f)
    return frames


def sample_clip(name: str = "fox", n: int = 20, size: int = 512, degrees: float = 12.0) -> list[np.ndarray]:
    """A real cut-out rocking and bobbing on a seamless loop."""
    path = SAMPLES / f"{name}.png"
    if not path.is_file():
        pytest.skip(f"sample {path} missing")
    im = Image.open(path).convert("RGBA").resize((size, size), Image.Resampling.LANCZOS)
    out = []
    for i in range(n):
        ph = 2 * np.pi * i / n
        r = im.rotate(degrees * np.sin(ph), Image.Resampling.BICUBIC, translate=(0, -20 * abs(np.sin(ph))))
        out.append(np.asarray(r).copy())
    return out
