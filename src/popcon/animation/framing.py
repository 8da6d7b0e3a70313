"""The start pose of the offline provider: the character itself, framed full body."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from PIL import Image

from popcon.domain.errors import InvalidInput
from popcon.domain.rig import Rig

ALPHA_THRESHOLD = 8  # alpha at or below this is treated as empty (soft shadows, halo noise)


def alpha_bbox(image: Image.Image, threshold: int = ALPHA_THRESHOLD) -> tuple[int, int, int, int] | None:
    """(left, top, right, bottom) of the pixels more opaque than `threshold`, or None if none."""
    alpha = (image if image.mode == "RGBA" else image.convert("RGBA")).getchannel("A")
    return alpha.point([0] * (threshold + 1) + [255] * (255 - threshold)).getbbox()


@dataclass(frozen=True)
class FrameFit:
    """How `frame_full_body` maps an image: crop `box`, resize to (w, h), paste at (ox, oy) on size x size.

    Kept as data so that part layers and rig joints can follow the character exactly."""

    box: tuple[int, int, int, int]
    w: int
    h: int
    ox: int
    oy: int
    size: int

    @property
    def sx(self) -> float:
        return self.w / (self.box[2] - self.box[0])

    @property
    def sy(self) -> float:
        return self.h / (self.box[3] - self.box[1])

    def point(self, x: float, y: float) -> tuple[float, float]:
        return (x - self.box[0]) * self.sx + self.ox, (y - self.box[1]) * self.sy + self.oy

    def apply(self, image: Image.Image) -> Image.Image:
        """Crop, resize (premultiplied, so hidden transparent pixels leave no fringe) and place.

        Only the part of the output that `image` covers is resampled (part layers are sparse)."""
        rgba = image if image.mode == "RGBA" else image.convert("RGBA")
        canvas = Image.new("RGBA", (self.size, self.size), (0, 0, 0, 0))
        bx0, by0 = self.box[:2]
        used = rgba.getchannel("A").crop(self.box).getbbox()
        if used is None:
            return canvas
        pad = 4  # the Lanczos kernel's reach, in output pixels
        x0, y0 = max(0, math.floor(used[0] * self.sx) - pad), max(0, math.floor(used[1] * self.sy) - pad)
        x1 = min(self.w, math.ceil(used[2] * self.sx) + pad)
        y1 = min(self.h, math.ceil(used[3] * self.sy) + pad)
        src = (bx0 + x0 / self.sx, by0 + y0 / self.sy, bx0 + x1 / self.sx, by0 + y1 / self.sy)
        reach = 4.0 / min(self.sx, self.sy, 1.0)  # source pixels the kernel reads past the box
        cx0, cy0 = max(0, math.floor(src[0] - reach)), max(0, math.floor(src[1] - reach))
        cx1 = min(rgba.width, math.ceil(src[2] + reach))
        cy1 = min(rgba.height, math.ceil(src[3] + reach))
        region = rgba.crop((cx0, cy0, cx1, cy1)).convert("RGBa")
        rel = (src[0] - cx0, src[1] - cy0, src[2] - cx0, src[3] - cy0)
        resized = region.resize((x1 - x0, y1 - y0), Image.Resampling.LANCZOS, box=rel)
        canvas.alpha_composite(resized.convert("RGBA"), (self.ox + x0, self.oy + y0))
        return canvas


def frame_fit(
    character: Image.Image | tuple[int, int, int, int],
    size: int,
    margin: float = 0.1,
    *,
    height_fraction: float | None = None,
) -> FrameFit:
    """The crop/scale/offset that `frame_full_body` applies (see there); or for a known alpha box."""
    if not 0.0 <= margin < 0.5:
        raise InvalidInput(f"margin must be in [0, 0.5), got {margin}")
    box = character if isinstance(character, tuple) else alpha_bbox(character)
    if box is None:
        raise InvalidInput("the character image is fully transparent")
    cw, ch = box[2] - box[0], box[3] - box[1]
    inner = size * (1.0 - 2.0 * margin)
    max_h = inner if height_fraction is None else min(inner, size * height_fraction)
    scale = min(inner / cw, max_h / ch)
    w, h = max(1, round(cw * scale)), max(1, round(ch * scale))
    bottom = round(size * (1.0 - margin))
    return FrameFit(box=box, w=w, h=h, ox=(size - w) // 2, oy=bottom - h, size=size)


def frame_full_body(
    character: Image.Image, size: int, margin: float = 0.1, *, height_fraction: float | None = None
) -> Image.Image:
    """Crop to the alpha box and fit it centred on a square transparent canvas, feet on the bottom margin.

    `height_fraction` caps the character height (e.g. 0.75 leaves headroom for a jump); by
    default the character fills the canvas inside the margins.
    """
    return frame_fit(character, size, margin, height_fraction=height_fraction).apply(character)


def follow_pose(
    character: Image.Image,
    pose: Image.Image,
    rig: Rig,
    layers: Mapping[str, Image.Image] | None = None,
) -> tuple[Rig, dict[str, Image.Image] | None] | None:
    """The character's rig (and part layers) in the pixels of a start pose that is the same drawing
    reframed (as the offline start pose is); None when the pose is a new drawing the rig cannot follow."""
    if (rig.width, rig.height) != character.size:
        rig = rig.scaled(character.width / rig.width, character.height / rig.height, size=character.size)
    fit = frame_fit(character, max(pose.size))
    if pose.size != (fit.size, fit.size):
        return None
    mine = np.asarray(fit.apply(character).getchannel("A")) > 127
    theirs = np.asarray(pose.convert("RGBA").getchannel("A")) > 127
    union = np.logical_or(mine, theirs).sum()
    if not union or np.logical_and(mine, theirs).sum() / union < 0.97:
        return None
    dx, dy = fit.point(0.0, 0.0)
    moved = rig.scaled(fit.sx, fit.sy, dx, dy, size=pose.size)
    if not layers:
        return moved, None
    return moved, {name: fit.apply(im) for name, im in layers.items() if im.size == character.size}
