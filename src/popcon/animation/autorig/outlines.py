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

from popcon.animation.autorig.silhouette import _CROSS, Silhouette, dilate, geodesic, opening
from popcon.domain.rig import Rig

MIN_PART = 0.004  # parts smaller than this share of the silhouette are details (eyes, buttons)
DARK = 0.5  # outline pixels are darker than this share of the character's median brightness

Point = tuple[float, float]
Chain = tuple[Point, Point, Point, float]  # root, middle, far end, length walked


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


def _wraps(p: _Part, head: _Part) -> bool:
    ys, xs = np.nonzero(p.mask)
    _, hxs = np.nonzero(head.mask)
    span = float(hxs.max() - hxs.min())
    return bool(
        xs.min() <= hxs.min() + 0.1 * span and xs.max() >= hxs.max() - 0.1 * span and ys.min() < head.cy
    )


def outline_level(lum: np.ndarray, mask: np.ndarray) -> float:
    """Pixels darker than this are lines. A sticker's outline also runs round its silhouette: when that
    rim is dark and even, the lines are about its brightness (so a navy body is not taken for a line);
    otherwise a share of the character's median brightness."""
    rim = mask & ~cv2.erode(mask.astype(np.uint8), _CROSS, iterations=2).astype(bool)
    level = min(90.0, DARK * float(np.median(lum[mask])))
    if rim.any():
        lo, mid, hi = np.percentile(lum[rim], [10, 50, 90])
        if mid < 90.0 and hi - lo < 20.0:
            level = max(level, min(float(mid) + 15.0, 90.0))
    return level


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
    rows = np.nonzero(mask.any(1))[0]
    height = float(rows[-1] - rows[0] + 1)
    dark = mask & (lum < outline_level(lum, mask))
    if dark.mean() < 0.002:
        return None
    # A dark part (a panda's black arm) is as dark as the lines but far thicker: it is a part, not a line.
    dark_fill = opening(dark, max(2.0, 0.03 * height))
    labels, n = ndimage.label(mask & ~dark)
    fill_labels, n_fill = ndimage.label(dark_fill)
    labels[dark_fill] = fill_labels[dark_fill] + n
    n += n_fill
    if n < 3:
        return None
    sizes = np.bincount(labels.ravel(), minlength=n + 1)[1:]
    keep = [i + 1 for i in range(n) if sizes[i] >= MIN_PART * mask.sum()]
    parts = [_part(ndimage.binary_fill_holes(labels == i)) for i in keep]
    # A part inside another one's outline (a robot's visor, an eye patch) is a detail of it.
    parts = [
        p for p in parts if not any(q.area > p.area and (q.mask & p.mask).sum() > 0.8 * p.area for q in parts)
    ]
    if len(parts) < 3:
        return None
    reach = max(3, round(0.035 * height))  # across an outline
    upper = [p for p in parts if p.cy < rows[0] + 0.6 * height]
    if not upper:
        return None
    head = max(upper, key=lambda p: p.area)
    near_head = dilate(head.mask, reach)
    # A hood or hair that wraps round the face (on both sides, up past its middle) is part of the head.
    wraps = [p for p in parts if p is not head and (near_head & p.mask).any() and _wraps(p, head)]
    if wraps:
        head = _part(np.logical_or.reduce([head.mask, *(p.mask for p in wraps)]))
        parts = [p for p in parts if not any(p is w for w in wraps)] + [head]
        near_head = dilate(head.mask, reach)
    below = [p for p in parts if p is not head and p.cy > head.cy and (near_head & p.mask).any()]
    if not below:
        return None
    # A scarf or collar may sit between head and body: the body may touch the head through one part.
    collar = dilate(np.logical_or.reduce([p.mask for p in below]), reach)
    below += [
        p for p in parts if p is not head and p not in below and p.cy > head.cy and (collar & p.mask).any()
    ]
    body = max(below, key=lambda p: p.area)
    if body.area < 0.15 * head.area:
        return None
    near_body = dilate(body.mask, reach)
    body_zone = dilate(body.mask, reach, iterations=2)
    limbs: list[_Part] = []
    for p in parts:
        if p is head or p is body or not (near_body & p.mask).any():
            continue
        edge = dilate(p.mask, reach, iterations=2) & ~p.mask
        if (edge & body_zone).sum() > 0.85 * edge.sum():
            continue  # enclosed by the body: a pocket, a patch (an arm may be hemmed in by a tail instead)
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
    if not (legs["right"] and legs["left"]):
        legs = _touching_feet(legs, body.cx) or legs
    arm_pair = _mirrored_pair(arms, shoulder_pt)
    has_arms = arm_pair is not None
    has_legs = bool(legs["right"] and legs["left"])
    if not (has_arms or has_legs):
        return None
    joints: dict[str, tuple[float, float]] = {}
    # The head turns about its base; its centre (the benchmark's "neck") lies halfway up.
    joints["neck"] = (head.cx, 2 * head.cy - head.top)
    joints["head_top"] = (head.cx, float(head.top))
    lengths: dict[str, list[float]] = {"arms": [], "legs": []}
    if arm_pair is not None:
        for side, (arm, (root, mid, end, length)) in zip(("right", "left"), arm_pair, strict=True):
            near_arm = dilate(arm.mask, reach)
            hands = [
                p
                for p in limbs
                if p.area < arm.area
                and p is not arm
                and (near_arm & p.mask).any()
                and np.hypot(p.cx - end[0], p.cy - end[1]) < 0.5 * length + reach
                and np.hypot(p.cx - end[0], p.cy - end[1]) < np.hypot(p.cx - root[0], p.cy - root[1])
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
            if _is_stub(leg, length):
                root, mid, end = _stub_joints(leg)
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


def _chain(part: _Part, toward: Point) -> Chain:
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


def _mirrored_pair(
    arms: dict[str, list[_Part]], shoulder: Point
) -> tuple[tuple[_Part, Chain], tuple[_Part, Chain]] | None:
    """The right and left arm: the pair nearest the shoulders among those that mirror each other in
    size, length and distance from the body's middle. A part with no such partner (a tail beside the
    body, a prop) is not an arm: when an arm is lost in the body (a sleeve with no line), the tail on
    the other side must not stand in for it."""
    best: tuple[float, tuple[tuple[_Part, Chain], tuple[_Part, Chain]]] | None = None
    chains = {id(p): _chain(p, shoulder) for side in arms.values() for p in side}
    for r in arms["right"]:
        for left in arms["left"]:
            cr, cl = chains[id(r)], chains[id(left)]
            if min(r.area, left.area) < 0.5 * max(r.area, left.area):
                continue
            if min(cr[3], cl[3]) < 0.6 * max(cr[3], cl[3]):
                continue
            off_r, off_l = shoulder[0] - r.cx, left.cx - shoulder[0]
            if min(off_r, off_l) < 0.5 * max(off_r, off_l):  # not mirrored about the body's middle
                continue
            gap = _gap(r, shoulder) + _gap(left, shoulder)
            if best is None or gap < best[0]:
                best = (gap, ((r, cr), (left, cl)))
    return best[1] if best else None


def _touching_feet(legs: dict[str, list[_Part]], cx: float) -> dict[str, list[_Part]] | None:
    """Two feet drawn touching, with no line between them that we can see (dark feet in a dark outline),
    form one low part across the body's middle: split it there."""
    parts = legs["right"] + legs["left"]
    if not parts:
        return None
    p = max(parts, key=lambda q: q.area)
    xs = np.nonzero(p.mask.any(0))[0]
    if not (xs[0] < cx < xs[-1]) or min(cx - xs[0], xs[-1] - cx) < 0.3 * (xs[-1] - xs[0]):
        return None
    cols = np.arange(p.mask.shape[1])[None, :]
    right, left = p.mask & (cols < cx), p.mask & (cols >= cx)
    return {"right": [_part(right)], "left": [_part(left)]}


def _gap(p: _Part, to: Point) -> float:
    ys, xs = np.nonzero(p.mask)
    return float(np.min(np.hypot(xs - to[0], ys - to[1])))


def _is_stub(part: _Part, length: float) -> bool:
    """A foot with no visible leg (chibi feet): about as tall as it is thick and not much longer (a flat
    foot may point sideways), so walking along it says nothing about where the leg turns."""
    thickness = 2.0 * float(ndimage.distance_transform_edt(part.mask).max())
    return part.bottom - part.top + 1 < 1.6 * thickness and length < 3.0 * thickness


def _stub_joints(part: _Part) -> tuple[Point, Point, Point]:
    """A stub foot swings from a hip hidden inside the body above it (as a drawn chibi's leg does):
    hip half a foot's height above its top, knee at its top, foot at its middle."""
    h = float(part.bottom - part.top + 1)
    _, xs = np.nonzero(part.mask[part.top : part.top + max(2, round(0.3 * h))])
    x = float(xs.mean()) if len(xs) else part.cx
    return (x, part.top - 0.5 * h), (x, float(part.top)), (part.cx, part.cy)


def _image_point(sil: Silhouette, p: tuple[float, float]) -> tuple[float, float]:
    x, y = sil.to_image(*p)
    return (round(min(max(x, 0.0), sil.width - 1.0), 1), round(min(max(y, 0.0), sil.height - 1.0), 1))
