"""Shadows on the backdrop: a contact shadow on the floor, a soft drop shadow beside the figure, the shadow
cast into a pocket or a hole of the figure. All are background.

Why this model: a shadow is the backdrop darkened with its own chromaticity (the brightness ratio to the
backdrop model is below 1, the colour left after scaling is the backdrop's), and it is soft (a small
local gradient), so it fades into the lit backdrop somewhere. A character's grey or white part can look
the same in colour; it is told apart by its crisp edge, by reaching deep into the figure, or by being
about as bright as the backdrop throughout.
"""

from __future__ import annotations

import cv2
import numpy as np

from popcon.vision.background import Background
from popcon.vision.matte_params import MatteParams
from popcon.vision.regions import flood


def shadow_background(
    small: np.ndarray,
    bgm: Background,
    bgish: np.ndarray,
    d: np.ndarray,
    rows: tuple[int, int],
    params: MatteParams,
    smooth: np.ndarray | None = None,
) -> np.ndarray:
    """Background (uint8 0/1) at reduced resolution: the flood of background-like pixels from the border
    plus every shadow on the backdrop. `rows` are the first and last rows holding anything else;
    `smooth` marks pixels smoother than a textured backdrop ever is: a shadow keeps the texture it
    falls on, so none of them is one."""
    top, bot = rows
    # Shadows: the background's hue, darker, and spatially smooth. A contact shadow lies on the
    # floor (the lowest part of the figure); a drop shadow is offset beside the whole figure.
    z0 = max(top - 3, 0)
    z1 = min(bot + 8, small.shape[0])
    img = small[z0:z1].astype(np.float32)
    bgz = bgm.small[z0:z1]
    ratio = img.sum(-1) * bgm.inv_sum[z0:z1]
    chroma = np.abs(img - bgz * ratio[..., None]).max(-1)
    gray = img.mean(-1)
    grad = (np.abs(cv2.Sobel(gray, cv2.CV_32F, 1, 0)) + np.abs(cv2.Sobel(gray, cv2.CV_32F, 0, 1))) / 8
    # A thick barrier for the floor's shadow: a character's edge is a step, and a 1-2 px ring of it
    # must not leak. A band beside the figure is checked as a whole below, so its barrier is thin
    # enough to let shadow through a narrow pocket (between the legs, beside a raised arm).
    grad3 = cv2.dilate(grad, np.ones((3, 3), np.uint8))
    grad = cv2.dilate(grad3, np.ones((3, 3), np.uint8))
    sl = (ratio > params.shadow_min_ratio) & (ratio < 1.0) & (chroma < params.shadow_chroma)
    if smooth is not None:
        sl &= ~smooth[z0:z1]
    shadow_like = np.zeros_like(bgish)
    shadow_like[z0:z1] = sl
    soft = np.zeros_like(bgish)
    soft[z0:z1] = sl & (grad < params.shadow_grad)
    soft_thin = np.zeros_like(bgish)
    soft_thin[z0:z1] = sl & (grad3 < params.shadow_grad)
    floor = np.zeros_like(bgish)
    floor[top + int(params.shadow_zone * (bot - top)) : z1] = True
    # The floor's shadow is always background; elsewhere a shadow-like region is only background
    # when it stays a band at the figure's edge: one reaching deep into the figure is a grey or
    # white part of the character that the flood would otherwise eat through a soft highlight.
    bgu = flood(bgish | (soft & floor), d, bgm, params)
    extra = np.zeros_like(bgu)
    rall = np.ones(bgish.shape, np.float32)  # each pixel's brightness against the background model
    rall[z0:z1] = ratio
    if bgm.texture <= 2.0:  # on paper or cloth, "smooth and a little darker" is the texture itself
        # Every shadow-like region the floor's flood left is a candidate band, also one enclosed by
        # the figure (the shadow cast into the gap under an arm) or cut off by a crisp foot.
        wide = flood(bgish | soft_thin, d, bgm, params)
        extra = ((bgish | soft_thin) & (bgu == 0)).astype(np.uint8)
    if extra.any():
        depth = cv2.distanceTransform(1 - bgu, cv2.DIST_L2, 3)
        n, lab = cv2.connectedComponents(extra, connectivity=8)
        labels = lab.ravel().astype(np.intp)
        deepest = np.zeros(n, np.float32)
        np.maximum.at(deepest, labels, depth.ravel())
        darkest = np.ones(n, np.float32)
        np.minimum.at(darkest, labels, rall.ravel())
        # A shadow has a clearly darker core; a faint, flat match is a pale part of the character.
        # A band reaching deeper (a long wedge of shadow in a pocket between an arm and the body) is
        # still a shadow when it is thin and mostly clearly darker; a pale part of the character
        # reached through a soft highlight is mostly as bright as the backdrop.
        lim = params.shadow_depth * (bot - top + 1)
        thick = np.zeros(n, np.float32)
        np.maximum.at(thick, labels, cv2.distanceTransform(extra, cv2.DIST_L2, 3).ravel())
        area = np.maximum(np.bincount(labels, minlength=n), 1)
        dark = np.bincount(labels, weights=rall.ravel() < 1.0 - params.shadow_core, minlength=n) / area
        pocket = (2 * thick <= lim) & (dark > 0.5)
        # One the flood cannot reach is a hole in the figure, however wide: it is mostly shadow and
        # shows the lit backdrop too, as a shadow fades out into it (a grey shoe cut off by its
        # crisp edge is grey throughout). On pure white a lit patch is as likely an eye or teeth.
        touch = wide | cv2.dilate(bgu, np.ones((3, 3), np.uint8))
        reached = np.bincount(labels, weights=touch.ravel(), minlength=n) > 0
        lit_share = np.bincount(labels, weights=bgish.ravel(), minlength=n) / area
        hole = ~reached & (lit_share >= params.hole_lit) & (dark > 0.5) & (not bgm.light)
        ok = (((deepest <= lim) | pocket) & reached | hole) & (darkest < 1.0 - params.shadow_core)
        ok[0] = False
        band = ok[lab].astype(np.uint8)
        bgu = bgu | band
        beside = cv2.dilate(band, np.ones((3, 3), np.uint8), iterations=params.shadow_grow)
        floor |= beside > 0
    # The gradient barrier stops the flood a few pixels short of the character's feet inside the
    # shadow: grow the background back through shadow-like pixels, a bounded distance.
    # Only a soft one: each step may darken by little, so a grey shoe's crisp edge stops it.
    grow = (shadow_like & floor).astype(np.uint8)
    for _ in range(params.shadow_grow):
        lit = cv2.dilate(np.where(bgu > 0, rall, 0.0).astype(np.float32), np.ones((3, 3), np.uint8))
        step = (grow > 0) & (rall > lit - params.shadow_step)
        bgu = cv2.dilate(bgu, np.ones((3, 3), np.uint8)) & (step | (bgu > 0)).astype(np.uint8)
    return bgu


__all__ = ["shadow_background"]
