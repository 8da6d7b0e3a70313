"""Auto-rig: joints for an uploaded character from its silhouette alone, weight-free.

How: the thick parts of the silhouette (every disc of a radius near half the body's thickness that fits
inside it: head and torso) form the core; what the core leaves out are limbs and appendages, each a
piece touching the core. A piece's attachment is its shoulder or hip, its far end (by distance walked
inside the piece, so a bent arm is followed) its hand or foot, the middle of that walk its elbow or
knee. The head is the core above the neck (a separate core piece, or the narrowest row below the
head's widest); a chibi template then labels pieces by where they attach: on the head, ears; low on
the torso and not pointing up, legs; higher, arms; "right" is the character's right (image left).
A figure seen from the side mid-stride has its sides renamed as near and far (`sideview`).

When the silhouette shows no limbs with confidence (a mascot whose arms lie against its body), the
regions between the drawing's dark outlines are tried (`parts.outlined_rig`) and the surer rig wins.

What it cannot rig gets the whole-body rig with a note saying why: a face-only emoji (no neck), a blob
or arms held in front (nothing stands out of the silhouette), a single limb with no partner.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from PIL import Image
from scipy import ndimage

from popcon.animation.autorig.held import THIN
from popcon.animation.autorig.silhouette import Silhouette, dilate, distance, geodesic, opening, silhouette
from popcon.domain.rig import Rig, whole_body_rig

# Core = discs of at least this share of the thickest inscribed disc. Limbs are thinner than the body by
# different amounts (a stick figure's lines, a cartoon's sausage legs): each share is tried and the rig
# the template fits best (confidence) wins.
CORE_RADII = (0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7)
CORE_MIN_SHARE = 0.08  # a thick piece this small next to the body is a hand or a foot, not core
LEG_LEVEL = 0.7  # limbs attached below this share of the torso's height are legs
NECK_DEPTH = 0.92  # a neck is at most this share of the narrower of the head and the body
SURE = 0.85  # a core-and-limbs rig this sure is kept; below, the skeleton graph's body plan is tried


@dataclass(frozen=True)
class Limb:
    """One piece standing out of the core, in working pixels."""

    root: tuple[float, float]  # centroid of where it touches the core
    mid: tuple[float, float]  # halfway along it (elbow / knee)
    end: tuple[float, float]  # its far end (hand / foot)
    length: float  # steps walked inside it from the root to the far end
    half_width: float

    @property
    def side(self) -> float:
        return self.end[0] - self.root[0]


def _centroid(sel: np.ndarray, x0: int = 0, y0: int = 0) -> tuple[float, float]:
    ys, xs = np.nonzero(sel)
    return (float(xs.mean()) + x0, float(ys.mean()) + y0)


def _limbs(mask: np.ndarray, core: np.ndarray, dist: np.ndarray, cx: float, cy: float) -> list[Limb]:
    pieces = mask & ~core
    # Legs that meet below the core would be one piece: part them on the body's axis below its centre.
    col = round(cx)
    if 0 <= col < mask.shape[1]:
        pieces[int(cy) :, col] = False
    labels, _ = ndimage.label(pieces, structure=np.ones((3, 3), bool))
    touch = dilate(core, 1)
    # Distance to the core (the image's border is not the core: a hand may touch it).
    from_core = cv2.distanceTransform(np.pad((~core).astype(np.uint8), 1, constant_values=1), cv2.DIST_L2, 5)
    from_core = from_core[1:-1, 1:-1]
    rows = np.nonzero(mask.any(1))[0]
    height = float(rows[-1] - rows[0] + 1)
    out: list[Limb] = []
    min_len = max(3.0, 0.1 * height)
    for i, box in enumerate(ndimage.find_objects(labels), start=1):
        if box is None or max(box[0].stop - box[0].start, box[1].stop - box[1].start) < min_len / 2:
            continue  # too small to be a limb (walking it would be wasted time)
        # Work in the piece's box, one pixel wider so the core it touches is inside.
        y0, x0 = max(box[0].start - 1, 0), max(box[1].start - 1, 0)
        win = (slice(y0, box[0].stop + 1), slice(x0, box[1].stop + 1))
        region = labels[win] == i
        attach = region & touch[win]
        if not attach.any():
            continue
        geo = geodesic(region, attach)
        length = float(geo.max())
        w = float(np.median(dist[win][region]))
        if length < max(min_len, 1.5 * w):
            continue  # a sliver the opening shaved off an edge, not a limb
        far = max(length - 1.5 * w, 0.6 * length)
        end_sel = geo >= far
        end = _centroid(end_sel, x0, y0)
        tip = np.unravel_index(int(np.argmax(geo)), geo.shape)
        if from_core[win][tip] < max(2.5 * w, 0.06 * height):
            continue  # hugs the body (a cape's edge, a sleeve): it does not stand out
        half = float(geo[end_sel].mean()) / 2
        mid_sel = region & (np.abs(geo - half) <= max(1.0, w / 2))
        mid = _centroid(mid_sel, x0, y0) if mid_sel.any() else end
        # The pivot sits inside the body by half the limb's thickness, on the limb's line.
        rx, ry = _centroid(attach, x0, y0)
        dx, dy = rx - mid[0], ry - mid[1]
        norm = max(float(np.hypot(dx, dy)), 1e-6)
        root = (rx + w * dx / norm, ry + w * dy / norm)
        out.append(Limb(root, mid, end, length, w))
    return out


def _head_split(
    core: np.ndarray, body: np.ndarray, others: list[np.ndarray]
) -> tuple[np.ndarray, float] | None:
    """The head (core pixels) and the neck row, or None when no head stands apart from a body."""
    rows = np.nonzero(body.any(1))[0]
    top, bottom = int(rows[0]), int(rows[-1])
    for piece in sorted(others, key=lambda p: -int(p.sum())):
        prow = np.nonzero(piece.any(1))[0]
        if prow[-1] <= top + 0.25 * (bottom - top) and prow[0] < top:
            return piece, float((prow[-1] + top) / 2)
    widths = body.sum(1).astype(np.float32)[top : bottom + 1]
    widths = np.convolve(widths, np.ones(5, np.float32) / 5, mode="same")
    h = bottom - top + 1
    lo, hi = int(h * 0.1), int(h * 0.7)
    if hi - lo < 3:
        return None
    # The neck is the deepest valley of the width profile: narrower than the head above it and the
    # body below it (a chibi's body may be narrower than its head, a drawing's wider).
    above = np.maximum.accumulate(widths)
    below = np.maximum.accumulate(widths[::-1])[::-1]
    depth = np.minimum(above, below) / np.maximum(widths, 1.0)
    i = lo + int(np.argmax(depth[lo:hi]))
    if depth[i] < 1.0 / NECK_DEPTH:
        return None
    neck = top + i
    head = body.copy()
    head[neck:] = False
    return head, float(neck)


def _waist(torso: np.ndarray, top: float, legs_y: float) -> float:
    """Where the hips are: the leg roots, unless a skirt hides them (the body flares out below a
    narrower waist down to where the legs come out); then the lowest row of that waist."""
    widths = torso.sum(1).astype(np.float32)
    a, b = int(top + 0.2 * (legs_y - top)), int(legs_y)
    if b - a < 4:
        return legs_y
    band = widths[a:b]
    narrow = float(band.min())
    if widths[max(b - 3, a) : b].max() < 1.3 * narrow:
        return legs_y
    rows = np.nonzero(band <= 1.05 * narrow)[0]
    return float(a + rows[-1])


def auto_rig(image: Image.Image) -> Rig:
    """The rig of a cut-out character (RGBA), or the whole-body rig with a note when it has no limbs."""
    w0, h0 = image.size
    sil = silhouette(image)
    if sil is None:
        return whole_body_rig(w0, h0, "the image has no opaque pixels")
    from popcon.animation.autorig.strokes import stroke_rig

    strokes = stroke_rig(image, sil)  # a figure drawn with thin strokes: its lines are the body
    if strokes is not None:
        return strokes
    dist = distance(sil.mask)
    best: Rig | None = None
    for share in CORE_RADII:
        rig = _rig_from(sil, dist, share)
        if best is None or rig.confidence > best.confidence:
            best = rig
    assert best is not None
    from popcon.animation.autorig.shape import shape_rig

    shaped = shape_rig(image, sil)
    # The body plan read from the skeleton, unless the core-and-limbs rig is sure and finds the head
    # and hips where it does (then its finer template for front views is kept).
    kept = best.confidence >= SURE and shaped is not None and _agree(best, shaped, sil)
    if (
        shaped is not None
        and not kept
        and (shaped.confidence > best.confidence or len(shaped.limbs) >= len(best.limbs))
    ):
        best = shaped
    if best.confidence < 0.8:  # limbs that lie against the body: try the outlined parts
        from popcon.animation.autorig.outlines import outlined_rig

        parts = outlined_rig(image, sil)
        if parts is not None and parts.confidence > best.confidence:
            return parts
    if not best.animates_parts and not best.joints:
        # Nothing animates, but whoever places the joints by hand starts from a standing figure
        # fitted to this silhouette, not to the picture's frame.
        from popcon.animation.autorig.shape import fitted_template

        best = best.model_copy(update={"joints": fitted_template(sil)})
    if best.plan == "upright" and best.has_arms and best.has_legs:
        best = _side_view(image, best)
    return best


def _side_view(image: Image.Image, rig: Rig) -> Rig:
    """The rig with right and left read as near and far when the figure is seen from the side."""
    from popcon.animation.autorig.sideview import side_view_sides

    rgba = np.asarray(image.convert("RGBA"))
    sides = side_view_sides(dict(rig.joints), rgba[..., :3], rgba[..., 3] >= 128)
    if sides is None:
        return rig
    return rig.model_copy(update={"joints": {k: (round(x, 1), round(y, 1)) for k, (x, y) in sides.items()}})


def _agree(a: Rig, b: Rig, sil: Silhouette) -> bool:
    """Whether two rigs put the head and the hips at the same places (within a tenth of the height)."""
    rows = np.nonzero(sil.mask.any(1))[0]
    tol = 0.1 * (rows[-1] - rows[0] + 1) / sil.scale
    ja, jb = a.scored_joints(), b.scored_joints()
    for k in ("neck", "hip"):
        if k not in ja or k not in jb:
            return False
        if np.hypot(ja[k][0] - jb[k][0], ja[k][1] - jb[k][1]) > tol:
            return False
    return True


def _rig_from(sil: Silhouette, dist: np.ndarray, share: float) -> Rig:
    mask = sil.mask
    core_all = opening(mask, share * float(dist.max()))
    labels, n = ndimage.label(core_all, structure=np.ones((3, 3), bool))
    if n == 0:
        return whole_body_rig(sil.width, sil.height, "no thick body part: a line drawing too thin to rig")
    sizes = np.bincount(labels.ravel())[1:]
    biggest = int(np.argmax(sizes)) + 1
    pieces = [labels == i for i in range(1, n + 1) if sizes[i - 1] >= CORE_MIN_SHARE * sizes.max()]
    body = labels == biggest
    others = [p for p in pieces if not np.array_equal(p, body)]
    core = np.logical_or.reduce(pieces)
    split = _head_split(core, body, others)
    if split is None:
        return whole_body_rig(
            sil.width, sil.height, "no neck: a face-only emoji or a blob; the whole body moves as one"
        )
    head, neck_y = split
    torso = body.copy()
    torso[: int(neck_y)] = False
    if not torso.any():
        return whole_body_rig(sil.width, sil.height, "nothing below the head to rig")
    trow = np.nonzero(torso.any(1))[0]
    t_top, t_bot = float(neck_y), float(trow[-1])
    cx, cy = _centroid(torso)
    limbs = _limbs(mask, core, dist, cx, cy)
    ears: list[Limb] = []
    legs: dict[str, list[Limb]] = {"right": [], "left": []}
    arms: dict[str, list[Limb]] = {"right": [], "left": []}
    for limb in limbs:
        rx, ry = limb.root
        if ry < neck_y:
            ears.append(limb)
            continue
        side = "right" if rx < cx else "left"
        level = (ry - t_top) / max(1.0, t_bot - t_top)
        points_up = limb.end[1] < ry - 0.3 * limb.length
        if level >= LEG_LEVEL and not points_up:
            legs[side].append(limb)
        else:
            arms[side].append(limb)
    has_legs = bool(legs["right"] and legs["left"])
    if has_legs:  # a piece far thinner than the legs is something held (a club, a wand), not an arm
        ref = min(limb.half_width for side in legs.values() for limb in side)
        arms = {s: [a for a in v if a.half_width >= THIN * ref] for s, v in arms.items()}
    has_arms = bool(arms["right"] and arms["left"])
    if not (has_arms or has_legs):
        found = sum(len(v) for v in (*legs.values(), *arms.values()))
        why = "nothing stands out of the silhouette (no limbs, or arms held in front)"
        if found:
            why = f"{found} limb(s) without a partner on the other side"
        return whole_body_rig(sil.width, sil.height, f"{why}; the whole body moves as one")
    joints: dict[str, tuple[float, float]] = {}
    hx, hy = _centroid(head)
    hcol = head[:, min(max(round(hx), 0), head.shape[1] - 1)]
    top_y = float(np.nonzero(hcol)[0][0]) if hcol.any() else hy
    # The head turns about its base, as far below its centre as the top is above it (the centre is the
    # benchmark's "neck": `Rig.scored_joints` gives it back exactly).
    joints["neck"] = (hx, 2 * hy - top_y)
    joints["head_top"] = (hx, top_y)
    scores: list[float] = [1.0 if others else 0.8]
    chosen: dict[str, dict[str, Limb]] = {}
    if has_legs:
        pair = {s: max(legs[s], key=lambda limb: limb.length) for s in legs}
        chosen["legs"] = pair
        hip_y = _waist(torso, t_top, min(p.root[1] for p in pair.values()))
        for s, limb in pair.items():
            hip = (limb.root[0], min(limb.root[1], hip_y))
            joints[f"{s}_hip"], joints[f"{s}_knee"], joints[f"{s}_foot"] = hip, limb.mid, limb.end
        rh, lh = joints["right_hip"], joints["left_hip"]
        joints["hip"] = ((rh[0] + lh[0]) / 2, (rh[1] + lh[1]) / 2)
        scores.append(min(p.length for p in pair.values()) / max(p.length for p in pair.values()))
    else:
        joints["hip"] = (cx, t_bot)
        scores.append(0.0)
    if has_arms:
        # More arms than two (a bug): the pair attached lowest, nearest the legs, animates.
        pair = {s: max(arms[s], key=lambda limb: limb.root[1]) for s in arms}
        chosen["arms"] = pair
        for s, limb in pair.items():
            joints[f"{s}_shoulder"], joints[f"{s}_elbow"], joints[f"{s}_hand"] = limb.root, limb.mid, limb.end
        roots = np.array([limb.root for side in arms.values() for limb in side])
        joints["torso"] = (float(roots[:, 0].mean()), float(roots[:, 1].mean()))
        scores.append(min(p.length for p in pair.values()) / max(p.length for p in pair.values()))
    else:
        joints["torso"] = (cx, t_top + 0.3 * (t_bot - t_top))
        scores.append(0.0)
    joints["root"] = joints["hip"]
    for ear in ears:
        name = "right_ear" if ear.root[0] < hx else "left_ear"
        if name not in joints:
            joints[name] = ear.root
    confidence = float(np.clip(0.2 * scores[0] + 0.4 * scores[1] + 0.4 * scores[2], 0.0, 1.0))
    missing = [k for k, v in (("arms", has_arms), ("legs", has_legs)) if not v]
    note = f"no {' or '.join(missing)} found" if missing else None
    return Rig(
        width=sil.width,
        height=sil.height,
        source="auto",
        confidence=round(confidence, 3),
        has_arms=has_arms,
        has_legs=has_legs,
        joints={k: _clip(sil, *sil.to_image(*p)) for k, p in joints.items()},
        note=note,
    )


def _clip(sil: Silhouette, x: float, y: float) -> tuple[float, float]:
    return (round(min(max(x, 0.0), sil.width - 1.0), 1), round(min(max(y, 0.0), sil.height - 1.0), 1))
