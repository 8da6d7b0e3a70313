"""The start pose of the offline provider: the character itself, framed full body."""

from __future__ import annotations

import numpy as np
from PIL import Image

from popcon.domain.errors import InvalidInput

ALPHA_THRESHOLD = 8  # alpha at or below this is treated as empty (soft shadows, halo noise)


def alpha_bbox(image: Image.Image, threshold: int = ALPHA_THRESHOLD) -> tuple[int, int, int, int] | None:
    """(left, top, right, bottom) of the pixels more opaque than `threshold`, or None if none."""
    alpha = np.asarray(image.convert("RGBA"))[..., 3]
    ys, xs = np.nonzero(alpha > threshold)
    if len(xs) == 0:
        return None
    return int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1


def frame_full_body(
    character: Image.Image, size: int, margin: float = 0.1, *, height_fraction: float | None = None
) -> Image.Image:
    """Crop to the alpha box and fit it centred on a square transparent canvas, feet on the bottom margin.

    `height_fraction` caps the character height (e.g. 0.75 leaves headroom for a jump); by
    default the character fills the canvas inside the margins.
    """
    if not 0.0 <= margin < 0.5:
        raise InvalidInput(f"margin must be in [0, 0.5), got {margin}")
    rgba = character.convert("RGBA")
    box = alpha_bbox(rgba)
    if box is None:
        raise InvalidInput("the character image is fully transparent")
    crop = rgba.crop(box)
    inner = size * (1.0 - 2.0 * margin)
    max_h = inner if height_fraction is None else min(inner, size * height_fraction)
    scale = min(inner / crop.width, max_h / crop.height)
    w, h = max(1, round(crop.width * scale)), max(1, round(crop.height * scale))
    # Premultiplied resampling avoids dark or coloured fringes from hidden transparent pixels.
    resized = crop.convert("RGBa").resize((w, h), Image.Resampling.LANCZOS).convert("RGBA")
    canvas = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    bottom = round(size * (1.0 - margin))
    canvas.alpha_composite(resized, ((size - w) // 2, bottom - h))
    return canvas
