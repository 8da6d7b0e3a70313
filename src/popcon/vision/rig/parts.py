"""Auto-rig for outlined characters (chibi mascots, stickers): regions between the dark outlines.

A mascot's arms usually hang against its body, so the silhouette alone shows no limb; but each part is
drawn as its own outlined shape. The fills between dark lines are the parts; a template labels them by
position and adjacency: the biggest part high up is the head, the biggest one under it the body, parts
that touch the body and the background are limbs (low ones legs or feet, the others arms; a small part
at an arm's far end is its hand; a part without a partner on the other side, such as a tail, is left to
move with the body). A part enclosed by the body (a pocket, a belly patch) is not a limb.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from PIL import Image
from scipy import ndimage

from popcon.domain.rig import Rig
from popcon.vision.rig.silhouette import Silhouette, dilate, geodesic

MIN_PART = 0.004  # parts smaller than this share of the silhouette are details (eyes, buttons)
DARK = 0.5  # outline pixels are darker than this share of the character's median brightness


@dataclass(frozen=True, eq=False)
class _Part:
    mask: np.ndarray
    area: int
    cx: float
    cy: float
    top: int
    bottom: int


def _part(mask: np.ndarray) -> _Part:
    ys, xs = np.nonzero(mask)
    return _Part(mask, len(ys), float(xs.mean()), float(ys.mean()), int(ys.min()), int(ys.max()))


def _working_rgb(image: Image.Image, sil: Silhouette) -> np.ndarray:
    h, w = sil.mask.shape
    rgb = np.asarray(image.convert("RGB"))
    if rgb.shape[:2] != (h, w):
        rgb = cv2.resize(rgb, (w, h), interpolation=cv2.INTER_AREA)
    return rgb.astype(np.float32)


def outlined_rig(image: Image.Image, sil: Silhouette) -> Rig | None:
    """The rig from outlined parts, or None when the drawing has no such parts (no outlines, no limbs)."""
    mask = sil.mask
    lum = _working_rgb(image, sil) @ np.array([0.299, 0.587, 0.114], np.float32)
    dark = mask & (lum < min(90.0, DARK * float(np.median(lum[mask]))))
    if dark.mean() < 0.002:
        return None
    rows = np.nonzero(mask.any(1))[0]
    height = float(rows[-1] - rows[0] + 1)
    labels, n = ndimage.label(mask & ~dark)
    if n < 3:
        return None
    sizes = np.bincount(labels.ravel())[1:]
    keep = [i + 1 for i in range(n) if sizes[i] >= MIN_PART * mask.sum()]
    parts = [_part(ndimage.binary_fill_holes(labels == i)) for i in keep]
    if len(parts) < 3:
        return None
    reach = max(3, round(0.035 * height))  # across an outline
    upper = [p for p in parts if p.cy < rows[0] + 0.6 * height]
    if not upper:
        return None
    head = max(upper, key=lambda p: p.area)
    near_head = dilate(head.mask, reach)
    below = [p for p in parts if p is not head and p.cy > head.cy and (near_head & p.mask).any()]
    if not below:
        return None
    body = max(below, key=lambda p: p.area)
    if body.area < 0.15 * head.area:
        return None
    near_body = dilate(body.mask, reach)
    outside = ~dilate(mask, 1)
    limbs: list[_Part] = []
    for p in parts:
        if p is head or p is body or not (near_body & p.mask).any():
            continue
        edge = dilate(p.mask, reach, iterations=2) & ~p.mask
        if (edge & outside).sum() < 0.1 * edge.sum():
            continue  # enclosed by the body: a pocket, a patch
        limbs.append(p)
    body_h = body.bottom - body.top + 1
    shoulder_pt = (body.cx, float(body.top))
    arms: dict[str, list[_Part]] = {"right": [], "left": []}
    legs: dict[str, list[_Part]] = {"right": [], "left": []}
    for p in limbs:
        side = "right" if p.cx < body.cx else "left"
        if p.cy > body.top + 0.8 * body_h and p.top > body.top + 0.5 * body_h:
            legs[side].append(p)
        else:
            arms[side].append(p)
    has_arms = bool(arms["right"] and arms["left"])
    has_legs = bool(legs["right"] and legs["left"])
    if not (has_arms or has_legs):
        return None
    joints: dict[str, tuple[float, float]] = {}
    # The head turns about its base; its centre (the benchmark's "neck") lies halfway up.
    joints["neck"] = (head.cx, 2 * head.cy - head.top)
    joints["head_top"] = (head.cx, float(head.top))
    lengths: dict[str, list[float]] = {"arms": [], "legs": []}
    if has_arms:
        for side, cands in arms.items():

            def shoulder_gap(p: _Part) -> float:
                ys, xs = np.nonzero(p.mask)
                return float(np.min(np.hypot(xs - shoulder_pt[0], ys - shoulder_pt[1])))

            arm = min(cands, key=shoulder_gap)
            root, mid, end, length = _chain(arm, shoulder_pt)
            near_arm = dilate(arm.mask, reach)
            hands = [
                p
                for p in limbs
                if p.area < arm.area
                and p is not arm
                and (near_arm & p.mask).any()
                and np.hypot(p.cx - end[0], p.cy - end[1]) < 0.5 * length + reach
            ]
            if hands:
                hand = min(hands, key=lambda p: np.hypot(p.cx - end[0], p.cy - end[1]))
                end = (hand.cx, hand.cy)
            joints[f"{side}_shoulder"], joints[f"{side}_elbow"], joints[f"{side}_hand"] = root, mid, end
            lengths["arms"].append(length)
        rs, ls = joints["right_shoulder"], joints["left_shoulder"]
        joints["torso"] = ((rs[0] + ls[0]) / 2, (rs[1] + ls[1]) / 2)
    else:
        joints["torso"] = (body.cx, body.top + 0.3 * body_h)
    if has_legs:
        for side, cands in legs.items():
            leg = max(cands, key=lambda p: p.area)
            root, mid, end, length = _chain(leg, (body.cx, body.cy))
            joints[f"{side}_hip"], joints[f"{side}_knee"], joints[f"{side}_foot"] = root, mid, end
            lengths["legs"].append(length)
        rh, lh = joints["right_hip"], joints["left_hip"]
        joints["hip"] = ((rh[0] + lh[0]) / 2, (rh[1] + lh[1]) / 2)
    else:
        joints["hip"] = (body.cx, float(body.bottom))
    joints["root"] = joints["hip"]
    sym = [min(v) / max(v) for v in lengths.values() if v and max(v) > 0]
    confidence = 0.2 + 0.4 * sum(sym)
    missing = [k for k, v in (("arms", has_arms), ("legs", has_legs)) if not v]
    return Rig(
        width=sil.width,
        height=sil.height,
        source="auto",
        confidence=round(float(np.clip(confidence, 0.0, 1.0)), 3),
        has_arms=has_arms,
        has_legs=has_legs,
        joints={k: _image_point(sil, p) for k, p in joints.items()},
        note=f"no {' or '.join(missing)} found" if missing else None,
    )


Point = tuple[float, float]


def _chain(part: _Part, toward: Point) -> tuple[Point, Point, Point, float]:
    """Root (the end nearest `toward`), middle and far end of a part, walking inside it."""
    ys, xs = np.nonzero(part.mask)
    d = np.hypot(xs - toward[0], ys - toward[1])
    seed = np.zeros_like(part.mask)
    near = d <= d.min() + 1.5
    seed[ys[near], xs[near]] = True
    geo = geodesic(part.mask, seed)
    length = float(geo.max())
    w = max(1.0, 0.15 * length)
    root_sel = part.mask & (geo >= 0) & (geo <= w)
    end_sel = geo >= length - w
    mid_sel = part.mask & (np.abs(geo - length / 2) <= max(1.0, w / 2))

    def c(sel: np.ndarray) -> tuple[float, float]:
        yy, xx = np.nonzero(sel)
        return (float(xx.mean()), float(yy.mean()))

    return c(root_sel), c(mid_sel), c(end_sel), length


def _image_point(sil: Silhouette, p: tuple[float, float]) -> tuple[float, float]:
    x, y = sil.to_image(*p)
    return (round(min(max(x, 0.0), sil.width - 1.0), 1), round(min(max(y, 0.0), sil.height - 1.0), 1))
