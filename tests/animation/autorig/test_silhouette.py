"""The silhouette measures the auto-rig is built on."""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw

from popcon.animation.autorig.silhouette import dilate, geodesic, opening, silhouette


def test_geodesic_walks_around_a_bend() -> None:
    region = np.zeros((20, 20), bool)
    region[2, 2:18] = True  # along the top
    region[2:18, 17] = True  # then down the right side
    src = np.zeros_like(region)
    src[2, 2] = True
    d = geodesic(region, src)
    # 8-neighbour steps: the corner is cut by one diagonal step; the straight line would be 15.
    assert d[2, 2] == 0 and d[2, 17] == 15 and d[17, 17] == 29
    assert d[10, 5] == -1  # outside the region


def test_opening_keeps_the_disc_and_drops_the_arm() -> None:
    mask = np.zeros((100, 100), bool)
    yy, xx = np.mgrid[:100, :100]
    mask |= (yy - 50) ** 2 + (xx - 60) ** 2 <= 25**2
    mask[48:53, 5:40] = True  # a thin arm
    core = opening(mask, 10.0)
    assert core[50, 60] and not core[50, 15]
    assert dilate(core, 2).sum() > core.sum()


def test_silhouette_keeps_the_largest_piece_with_holes_filled_at_working_size() -> None:
    im = Image.new("RGBA", (1024, 512), (0, 0, 0, 0))
    d = ImageDraw.Draw(im)
    d.ellipse((100, 100, 500, 400), fill=(255, 0, 0, 255))
    d.ellipse((250, 200, 300, 250), fill=(0, 0, 0, 0))  # a hole (an eye cut out)
    d.rectangle((900, 10, 920, 30), fill=(0, 255, 0, 255))  # a stray speck
    sil = silhouette(im)
    assert sil is not None and max(sil.mask.shape) == 256 and sil.scale == 0.25
    assert sil.mask[56, 69] and not sil.mask[5, 227]  # hole filled, speck dropped
    assert sil.to_image(0, 0) == (1.5, 1.5)
    assert silhouette(Image.new("RGBA", (8, 8))) is None
