"""What the refine page shows of a frame besides the files: how many frames each platform plays, and
the frame as the user sees their character (the key colour the clip was made on turned neutral)."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
from PIL import Image

from popcon.domain.errors import InvalidInput
from popcon.domain.platforms import get_platform
from popcon.media.budget import frame_count_steps
from popcon.media.images import read_png

NEUTRAL = (236, 235, 241)  # the page's panel grey: the background a user never uploaded is not shown
KEY_NEAR, KEY_FAR = 60.0, 140.0  # RGB distance to the key colour: fully replaced below, kept above


def export_frames(platforms: list[str], n_src: int, seconds: int | None) -> dict[str, int]:
    """How many of the action's frames each platform's file plays (the export's first choice)."""
    out = {}
    for name in platforms:
        try:
            preset = get_platform(name)
        except InvalidInput:
            continue
        out[preset.id] = frame_count_steps(n_src, preset, seconds)[0]
    return out


def neutral_view_of(original: Path, cutout: Path, key: tuple[int, int, int] | None) -> bytes:
    """`neutral_view` of the frame files (the cut-out is used when it exists); a frame with its own
    alpha is shown over the neutral grey."""
    frame = read_png(original)
    if frame.shape[2] == 4 or key is None:
        return _png(on_neutral(frame))
    return neutral_view(frame[..., :3], key, read_png(cutout) if cutout.exists() else None)


def on_neutral(frame: np.ndarray) -> np.ndarray:
    """An RGBA frame (straight alpha) over the neutral grey, RGB uint8; an RGB frame as it is. What
    the user sees of a clip with its own alpha, and what the click segmenter works on."""
    if frame.ndim != 3 or frame.shape[2] != 4:
        return frame[..., :3]
    a = frame[..., 3:4].astype(np.float32) / 255.0
    out = frame[..., :3].astype(np.float32) * a + np.asarray(NEUTRAL, np.float32) * (1.0 - a)
    return np.clip(out + 0.5, 0, 255).astype(np.uint8)


def neutral_view(rgb: np.ndarray, key: tuple[int, int, int], cutout: np.ndarray | None = None) -> bytes:
    """The frame with its key-colour background blended into neutral grey. Where the cut-out shows the
    character its key-free colours are used, so the rim carries no tint of the key either."""
    dist = np.linalg.norm(rgb.astype(np.float32) - np.asarray(key, np.float32), axis=2)
    keep = np.clip((dist - KEY_NEAR) / (KEY_FAR - KEY_NEAR), 0.0, 1.0)[..., None]
    base = rgb.astype(np.float32)
    if cutout is not None and cutout.shape[:2] == rgb.shape[:2] and cutout.ndim == 3 and cutout.shape[2] == 4:
        shown = cutout[..., 3] > 0
        base[shown] = cutout[..., :3][shown]
        keep = np.maximum(keep, cutout[..., 3:4].astype(np.float32) / 255.0)
    out = base * keep + np.asarray(NEUTRAL, np.float32) * (1.0 - keep)
    return _png(out.round().astype(np.uint8))


def _png(rgb: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(rgb), "RGB").save(buf, "PNG", compress_level=1)
    return buf.getvalue()
