"""Take a flat, hued background (a key colour) out of single pixels: alpha and decontaminated colour.

Why: the matte decides per region what is character; a refine "restore" overrides that decision where
the user clicks, so it needs every pixel of the frame in a form that can be pasted: a keyer. The key's
bright channels exceed its dark ones (on green, G > max(R, B)); a pixel that exceeds by a share of the
key's own margin holds at least that share of the key (the colours around it were chosen far from
the key's hue). Its alpha is what remains, its colour the pixel with that much key taken out, and no
channel may still lean to the key's hue afterwards. A background without a hue (white, grey) has
nothing to key on: its pixels come back as they are.
"""

from __future__ import annotations

import cv2
import numpy as np

RGB = tuple[int, int, int]

MIN_MARGIN = 64  # a background whose channels spread less than this has no hue to key on


def key_channels(key: RGB | np.ndarray) -> tuple[np.ndarray, float] | None:
    """(the key's bright channels, by how much they exceed its dark ones), or None without a hue."""
    k = np.asarray(key, np.float32).reshape(3)
    high = k >= (k.max() + k.min()) / 2
    if high.all():
        return None
    margin = float(k[high].min() - k[~high].max())
    return (high, margin) if margin >= MIN_MARGIN else None


def key_lean(rgb: np.ndarray, key: RGB | np.ndarray) -> np.ndarray:
    """Per pixel, how far its colour leans to the key's hue: 1 = the key itself, <= 0 = not at all."""
    found = key_channels(key)
    if found is None:
        return np.zeros(rgb.shape[:2], np.float32)
    high, margin = found
    px = rgb[..., :3].astype(np.float32)
    return (px[..., high].min(-1) - px[..., ~high].max(-1)) / margin


def unmix_key(rgb: np.ndarray, key: RGB | np.ndarray, window: int = 9) -> np.ndarray:
    """RGBA uint8 (straight alpha): every pixel with the flat `key` taken out of it and its colour
    decontaminated (I = a F + (1 - a) K solved for F, then despilled).

    A pixel's lean to the key's hue mixes linearly: lean(I) = a lean(F) + (1 - a). lean(F) is taken
    from the least key-like pixel within `window` px (the character's own colours lean away from the
    key by different amounts), at most 0, which makes the pixel as opaque as its hue allows."""
    px = np.ascontiguousarray(rgb[..., :3]).astype(np.float32)
    found = key_channels(key)
    if found is None:
        return np.dstack([rgb[..., :3], np.full(rgb.shape[:2], 255, np.uint8)])
    high, _ = found
    lean = np.minimum(key_lean(px, key), 1.0)
    # The character's own lean near each pixel: the least key-like pixel around it (the solid colour
    # beside an anti-aliased rim), never above 0.
    local = np.minimum(cv2.erode(lean, np.ones((window, window), np.uint8)), 0.0)
    alpha = np.clip((1.0 - lean) / (1.0 - local), 0.0, 1.0)
    a = np.maximum(alpha, 1.0 / 255)[..., None]
    col = (px - (1.0 - a) * np.asarray(key, np.float32).reshape(1, 1, 3)) / a
    excess = np.maximum(col[..., high].min(-1) - col[..., ~high].max(-1), 0.0)
    col[..., high] -= excess[..., None]
    a8 = np.round(alpha * 255).astype(np.uint8)
    out = np.clip(col + 0.5, 0, 255).astype(np.uint8)
    out[a8 == 0] = 0
    return np.dstack([out, a8])


def frame_background(rgb: np.ndarray) -> RGB:
    """The colour of a frame's flat background: the median of its outer border (1/16 of the side)."""
    h, w = rgb.shape[:2]
    b = max(2, min(h, w) // 16)
    strip = np.concatenate(
        [
            rgb[:b, :, :3].reshape(-1, 3),
            rgb[-b:, :, :3].reshape(-1, 3),
            rgb[:, :b, :3].reshape(-1, 3),
            rgb[:, -b:, :3].reshape(-1, 3),
        ]
    )
    med = np.median(strip, axis=0)
    return int(med[0]), int(med[1]), int(med[2])


def hued_background(frame: np.ndarray) -> RGB | None:
    """The frame's background colour when it is a key (flat and hued), else None: a clip from
    elsewhere names no key, yet a green or blue screen is one."""
    bg = frame_background(frame)
    return bg if key_channels(bg) is not None else None


__all__ = ["frame_background", "hued_background", "key_channels", "key_lean", "unmix_key"]
