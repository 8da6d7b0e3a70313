"""Compositing posed part layers back to front into one premultiplied frame, and where effects attach."""

from __future__ import annotations

import math
from collections.abc import Sequence

import cv2
import numpy as np

from popcon.animation.effects import Anchors
from popcon.animation.keyframes import ARM_PARTS, BACK_PARTS, SIDES
from popcon.animation.part_geometry import map_point, translation
from popcon.animation.part_layers import PartLayer, Prepared
from popcon.animation.part_posing import Timeline, body_matrix, part_matrices

# The rest order: every arm behind the head (a raised hand comes in front only while posed, `_order`).
REST_ORDER = (*BACK_PARTS, *ARM_PARTS, "head")


def _order(tl: Timeline, m: dict[str, np.ndarray]) -> list[str]:
    """Back to front; an arm whose hand is raised above its shoulder comes in front of the head (behind
    a big chibi head a raised hand would vanish)."""
    front: list[str] = []
    behind: list[str] = []
    for sname, _, _ in SIDES:
        if not tl.prep.has_arms:
            continue
        sh = map_point(m[f"{sname}_upper_arm"], tl.prep.joints[f"{sname}_shoulder"])
        hd = map_point(m[f"{sname}_forearm"], tl.prep.joints[f"{sname}_hand"])
        arm_len = math.dist(tl.prep.joints[f"{sname}_shoulder"], tl.prep.joints[f"{sname}_hand"])
        raised = hd[1] < sh[1] - 0.35 * arm_len
        (front if raised else behind).extend([f"{sname}_upper_arm", f"{sname}_forearm"])
    return [*BACK_PARTS, *behind, "head", *front]


def blend_layer(canvas: np.ndarray, layer: PartLayer, m: np.ndarray) -> None:
    """Warp one layer by m (rest to screen) and composite it over the premultiplied canvas."""
    h, w = layer.premul.shape[:2]
    mm = m @ translation(layer.x0, layer.y0)
    corners = np.array([[0, 0, 1], [w, 0, 1], [0, h, 1], [w, h, 1]], np.float64) @ mm.T
    size = canvas.shape[0]
    x0, y0 = max(0, math.floor(corners[:, 0].min()) - 1), max(0, math.floor(corners[:, 1].min()) - 1)
    x1, y1 = min(size, math.ceil(corners[:, 0].max()) + 1), min(size, math.ceil(corners[:, 1].max()) + 1)
    if x1 <= x0 or y1 <= y0:
        return
    local = translation(-x0, -y0) @ mm
    src = cv2.warpAffine(
        layer.premul, local[:2], (x1 - x0, y1 - y0), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT
    )
    dst = canvas[y0:y1, x0:x1]
    keep = cv2.merge([255 - cv2.extractChannel(src, 3)] * 4)
    dst[:] = cv2.add(src, cv2.multiply(dst, keep, scale=1.0 / 255.0))


def composite(
    prep: Prepared, m: dict[str, np.ndarray], order: Sequence[str], head: PartLayer | None = None
) -> np.ndarray:
    """The layers warped by their transforms onto a clear canvas: caps under everything, then `order`
    back to front (`head`: another drawing of the head, e.g. with its eyes shut)."""
    canvas = np.zeros((prep.size, prep.size, 4), np.uint8)
    for name, cap in prep.caps.items():
        if name in m:
            blend_layer(canvas, cap, m[name])
    for name in order:
        layer = head if name == "head" and head is not None else prep.layers.get(name)
        if layer is not None and name in m:
            blend_layer(canvas, layer, m[name])
    return canvas


def render_premul(tl: Timeline, t: float) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """The posed character at phase t (premultiplied RGBA, clip size) and the part transforms."""
    p = tl.prep
    m = part_matrices(tl, t)
    head = p.closed_head if p.closed_head is not None and tl.eyes_shut(t) else None
    return composite(p, m, _order(tl, m), head), m


def anchors(
    tl: Timeline, m: dict[str, np.ndarray], t: float, chest_y: float, half_width: float, top: float
) -> Anchors:
    """Where effects attach in this frame: the head, eyes and hands follow their parts."""
    p, j = tl.prep, tl.prep.joints
    head = map_point(m["head"], p.head)
    fx = j["hip"][0]
    eyes = None
    if "right_eye" in j and "left_eye" in j:
        eyes = (map_point(m["head"], j["right_eye"]), map_point(m["head"], j["left_eye"]))
    hands = None
    if p.has_arms:
        hands = (map_point(m["right_forearm"], j["right_hand"]), map_point(m["left_forearm"], j["left_hand"]))
    return Anchors(
        head=head,
        head_r=p.head_r,
        top=map_point(m["head"], j.get("head_top", (p.head[0], top))),
        left=map_point(m["torso"], (fx - half_width, chest_y)),
        right=map_point(m["torso"], (fx + half_width, chest_y)),
        chest=map_point(m["torso"], (fx, chest_y)),
        feet=map_point(body_matrix(tl.body(t), p.feet, p.height), p.feet),
        height=p.height,
        eyes=eyes,
        hands=hands,
    )
