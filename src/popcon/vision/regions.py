"""Topology of the matte's coarse mask: what the backdrop floods from the border, which enclosed holes are
backdrop, which kept parts are noise, and which notches the flood bit out of the character.

Why apart: these rules look at connected regions as a whole (where they touch, what they hold), not at
single pixels, and both the plain flood and the shadow handling use them.
"""

from __future__ import annotations

import cv2
import numpy as np

from popcon.vision.background import Background
from popcon.vision.matte_params import MatteParams


def flood(bgish: np.ndarray, d: np.ndarray, bgm: Background, params: MatteParams) -> np.ndarray:
    """Background (uint8 0/1): the background-like pixels connected to the frame's border, plus
    enclosed holes that match the background model flatly."""
    n, lab = cv2.connectedComponents(bgish.astype(np.uint8), connectivity=4)
    border = np.unique(np.concatenate([lab[0], lab[-1], lab[:, 0], lab[:, -1]]))
    border = border[border > 0]
    keep = np.zeros(n, bool)
    keep[border] = True
    # Enclosed background holes (between an arm and the body): cleared when they match the background
    # model flatly. On a pure white background a flat white region is as likely an eye or teeth (and
    # those are far more common in characters than holes), so there holes are kept unless keyed.
    # With a key colour we chose far from every character and effect colour, any key-coloured pocket
    # is background, however small or noisy (H.264 bleeds neighbouring colours into small pockets).
    keyed = bool(bgm.key)
    hole_tol = params.tol if keyed else params.hole_tol
    area = np.bincount(lab.ravel(), minlength=n)
    inner = (~keep) & (area >= (2 if keyed else params.hole_min_area))
    inner[0] = False
    if inner.any() and not (bgm.light and not keyed):
        cnt = np.maximum(area, 1)
        mean_d = np.bincount(lab.ravel(), weights=d.ravel(), minlength=n) / cnt
        flat = np.bincount(lab.ravel(), weights=(d < hole_tol).ravel(), minlength=n) / cnt
        keep |= inner & (mean_d < hole_tol) & (flat > (0.5 if keyed else 0.8))
    return keep[lab].astype(np.uint8)


def drop_edgeless_parts(fg: np.ndarray, no_edge: np.ndarray) -> np.ndarray:
    """Drop kept parts with no clear edge anywhere (compression blocks, a grain the tolerance missed):
    a part of the character, however pale, differs clearly from the backdrop somewhere along it. The
    largest part stays whatever it holds."""
    n, lab = cv2.connectedComponents(fg, connectivity=8)
    if n <= 2:
        return fg
    area = np.bincount(lab.ravel(), minlength=n)
    edged = np.bincount(lab.ravel(), weights=~no_edge.ravel(), minlength=n) > 0
    edged[int(np.argmax(area[1:])) + 1] = True
    edged[0] = False
    return edged[lab].astype(np.uint8)


def mend_faint_bites(fg: np.ndarray, no_edge: np.ndarray, params: MatteParams) -> np.ndarray:
    """Give back notches the flood bit out of the character where its own colour meets a background of
    the same colour (a white highlight at a white-backed head's edge). Such a notch is bounded on the
    character's side by no edge at all; a real gap (between fingers, under an arm) is bounded by the
    character's edges, so it stays open."""
    r = params.bite_radius
    closed = cv2.morphologyEx(
        fg, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * r + 1,) * 2)
    )
    cand = (closed > 0) & (fg == 0)
    if not cand.any():
        return fg
    n, lab = cv2.connectedComponents(cand.astype(np.uint8), connectivity=8)
    edge = (fg > 0) & (cv2.dilate((fg == 0).astype(np.uint8), np.ones((3, 3), np.uint8)) > 0)
    faint_edge = edge & no_edge
    near = cv2.dilate(lab.astype(np.float32), np.ones((3, 3), np.uint8)).astype(
        np.int32
    )  # label at each rim px
    rim_ids = near[edge]
    total = np.bincount(rim_ids, minlength=n)
    faint = np.bincount(near[faint_edge], minlength=n)
    area = np.bincount(lab.ravel(), minlength=n)
    fill = (total > 0) & (faint >= params.bite_faint * total) & (area <= params.bite_area * fg.sum())
    fill[0] = False
    out = fg.copy()
    out[fill[lab]] = 1
    return out


__all__ = ["drop_edgeless_parts", "flood", "mend_faint_bites"]
