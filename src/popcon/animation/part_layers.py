"""Part layers of a rigged character, ready to pose.

Each part (torso, head, upper arms, forearms, thighs, shins, ears, tail) is an RGBA layer that turns
rigidly about its pivot joint. The procedural mascot brings exact layers (it drew every part separately,
with round joint ends, so a bent elbow shows no seam). An upload brings only joints: its pixels are
assigned to the nearest bone, the torso is filled where a limb lay in front of it (inpainted from the
body's own colours and outline, never left as a hole or key colour), and each limb carries a round cap
of its own pixels about its pivot, drawn under the body, which closes the wedge a turning limb would open.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

import cv2
import numpy as np
from PIL import Image

from popcon.animation.autorig.outlines import outline_level
from popcon.animation.keyframes import SIDES
from popcon.animation.part_geometry import projection_along, segment_distance
from popcon.animation.part_overlap import cut_arms_along_edges, underlay_joints
from popcon.domain.rig import PARTS, Rig


@dataclass
class PartLayer:
    """One part's pixels cropped to their box (premultiplied), placed at (x0, y0) in clip pixels."""

    name: str
    premul: np.ndarray  # cropped premultiplied RGBA
    x0: int
    y0: int


@dataclass
class Prepared:
    """A rigged character ready to pose: joints and part layers in clip pixels."""

    size: int
    joints: dict[str, tuple[float, float]]
    layers: dict[str, PartLayer]
    caps: dict[str, PartLayer]  # derived rigs: round joint caps drawn under the body
    has_arms: bool
    has_legs: bool
    head: tuple[float, float]
    head_r: float
    height: float
    feet: tuple[float, float]
    closed_head: PartLayer | None = None  # the head layer with its eyes shut
    derived: bool = False  # parts cut from a single drawing (an upload): legs swing less, they tear
    # Per side: name, channel prefix, and which way "outward" is in the image (-1 left, +1 right). A
    # front view mirrors its sides; both legs of a side view's pair swing the way its head faces.
    sides: tuple[tuple[str, str, float], ...] = SIDES
    extra: dict[str, float] = field(default_factory=dict)
    plan: str = "upright"  # the rig's body plan (which joints tell the body's own up direction)


def _crop(premul: np.ndarray, name: str) -> PartLayer | None:
    ys, xs = np.nonzero(premul[..., 3])
    if len(xs) == 0:
        return None
    x0, y0, x1, y1 = xs.min(), ys.min(), xs.max() + 1, ys.max() + 1
    return PartLayer(name, np.ascontiguousarray(premul[y0:y1, x0:x1]), int(x0), int(y0))


def _premul(image: Image.Image) -> np.ndarray:
    return np.asarray(image.convert("RGBA").convert("RGBa")).copy()


def _bones(j: dict[str, tuple[float, float]], head: tuple[float, float], arms: bool, legs: bool) -> dict:
    """Bone segments per part (limb ends extended a little past the hand and foot)."""

    def ext(a: tuple[float, float], b: tuple[float, float], k: float) -> tuple[float, float]:
        return b[0] + (b[0] - a[0]) * k, b[1] + (b[1] - a[1]) * k

    top = j.get("head_top") or ext(j["neck"], head, 1.0)
    bones = {"torso": (j["hip"], j["neck"]), "head": (j["neck"], top)}
    for side, _, _ in SIDES:
        if arms:
            bones[f"{side}_upper_arm"] = (j[f"{side}_shoulder"], j[f"{side}_elbow"])
            bones[f"{side}_forearm"] = (j[f"{side}_elbow"], ext(j[f"{side}_elbow"], j[f"{side}_hand"], 0.3))
        if legs:
            bones[f"{side}_thigh"] = (j[f"{side}_hip"], j[f"{side}_knee"])
            bones[f"{side}_shin"] = (j[f"{side}_knee"], ext(j[f"{side}_knee"], j[f"{side}_foot"], 0.25))
    return bones


def _derive_layers(
    premul: np.ndarray, j: dict[str, tuple[float, float]], head: tuple[float, float], arms: bool, legs: bool
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Split an upload into part layers by nearest bone, fill the torso behind its limbs, cut caps."""
    alpha = premul[..., 3]
    solid = (alpha > 0).astype(np.uint8)
    dt = cv2.distanceTransform(solid, cv2.DIST_L2, 5)
    bones = _bones(j, head, arms, legs)
    names = list(bones)
    ys, xs = np.nonzero(solid)
    px, py = xs.astype(np.float32), ys.astype(np.float32)
    h, w = alpha.shape
    score = np.empty((len(names), len(xs)), np.float32)
    radius: dict[str, float] = {}
    for name in names:
        a, b = bones[name]
        mx, my = round((a[0] + b[0]) / 2), round((a[1] + b[1]) / 2)
        radius[name] = max(2.0, float(dt[min(h - 1, max(0, my)), min(w - 1, max(0, mx))]))
    for upper, lower in (("upper_arm", "forearm"), ("thigh", "shin")):
        for side, _, _ in SIDES:
            # A thigh under a skirt (or an arm in a wide sleeve) is as thin as the shin it tapers to.
            u, lo = f"{side}_{upper}", f"{side}_{lower}"
            if u in radius and lo in radius:
                radius[u] = min(radius[u], 1.5 * radius[lo])
    below_hips = above_neck = np.zeros(len(xs), bool)
    for i, name in enumerate(names):  # the torso first
        a, b = bones[name]
        d = segment_distance(px, py, a, b)
        score[i] = d - radius[name]
        if name not in ("torso", "head"):
            # A limb claims only its own width around its bone: clothing beyond stays with the body.
            score[i][d > 2.5 * radius[name] + 3.0] = np.inf
            if name.endswith(("_thigh", "_shin")):
                # ... but below the hips, within a leg's own thickness, the leg wins over the torso.
                score[names.index("torso")][below_hips & (d <= 2.0 * radius[name] + 3.0)] += 1e6
        elif name == "head":
            # The head ends at its base: a big chibi head is wider than the body under it, and its
            # radius must not reach past the neck into the body.
            score[i][projection_along(px, py, a, b) < -0.05] = np.inf
            score[names.index("torso")][above_neck & (d <= radius[name])] += 1e6
        else:
            # The torso ends at the neck, and at the hips when the legs move: past them its wide radius
            # would take the face or the tops of the legs, which then stay behind as slivers when the
            # part turns. (Past a leg's own reach it keeps what hangs there: a skirt, a tail.)
            along = projection_along(px, py, a, b)
            above_neck = along > 1.05
            below_hips = along < -0.05
    label = np.full(alpha.shape, -1, np.int16)
    label[ys, xs] = np.argmin(score, axis=0)
    lines = _lines(premul)
    _snap_to_drawn_parts(premul, label, names, score, _limb_areas(bones, radius), lines)
    cut_arms_along_edges(premul, label, names, [_limb_group(n) for n in names], score, bones, radius)
    _round_hung_tops(label, names, bones, radius)
    keep_attached(label, names, bones, radius)
    out: dict[str, np.ndarray] = {}
    torso_i = names.index("torso")
    torso_mask = (label == torso_i).astype(np.uint8)
    # A limb lying in front of the body leaves a limb-shaped hole in the torso's mask: closing the mask
    # with a disk about a limb's width finds it (an arm beside the body is not enclosed: not filled).
    widest = max([radius[n] for n in names if n not in ("torso", "head")] or [2.0])
    k = 2 * round(2 * widest) + 1
    closed = cv2.morphologyEx(
        torso_mask, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k))
    )
    limbs = (label >= 0) & (label != torso_i) & (label != names.index("head"))
    fill = (limbs & (closed > 0)).astype(np.uint8)
    # A body no thicker than its limbs (a stick figure's stroke) has no area behind them to fill and
    # no outline to close: the wedges between its strokes stay empty, its line ends where it was cut.
    stroke_body = radius["torso"] <= widest
    if stroke_body:
        fill[:] = 0
    torso = premul * torso_mask[..., None]
    if fill.any():
        # Inpaint in straight colour from the torso's own pixels only: the limb and the background
        # around the hole are unknown too, so neither bleeds in.
        straight = cv2.cvtColor(premul, cv2.COLOR_RGBA2BGRA)
        a = np.maximum(alpha, 1).astype(np.float32)[..., None] / 255.0
        rgb = np.clip(straight[..., :3].astype(np.float32) / a, 0, 255).astype(np.uint8)
        near = cv2.dilate(fill, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (9, 9)))
        band = near & (1 - torso_mask)
        # The body's own lines at the hole's rim are no source either: the hole takes the body's colour,
        # and the outline is drawn again where the limb left an open edge.
        rim_lines = near & lines.astype(np.uint8)
        painted = cv2.inpaint(rgb, fill | band | rim_lines, 5, cv2.INPAINT_TELEA)
        painted = cv2.cvtColor(painted, cv2.COLOR_BGR2RGB)
        torso = torso.copy()
        torso[fill > 0, :3] = painted[fill > 0]
        torso[fill > 0, 3] = 255
    out["torso"] = torso if stroke_body else _continue_outline(premul, torso, limbs & (fill == 0))
    caps: dict[str, np.ndarray] = {}
    part_info = {name: (pivot, parent) for name, pivot, parent in PARTS}
    for i, name in enumerate(names):
        if name == "torso":
            continue
        out[name] = premul * (label == i)[..., None]
        pivot, parent = part_info[name]
        if parent in ("torso", None) or parent not in names:
            continue  # the torso's edge is closed by its continued outline instead
        # An elbow or knee: a round cap of both segments' pixels turns with the lower one, under it,
        # and fills the wedge the bend opens between them.
        piv = j[pivot]
        disk = np.zeros_like(solid)
        cv2.circle(disk, (round(piv[0]), round(piv[1])), max(2, round(radius[name] * 1.2)), 1, -1)
        own = (label == i) | (label == names.index(parent))
        caps[name] = premul * (disk & own)[..., None]
    if not stroke_body:
        underlay_joints(out, premul, label, names, j, radius, lines)
    return out, caps


def _limb_group(part: str) -> str:
    """ "right_forearm" -> "right_arm", "left_shin" -> "left_leg"; the torso and head are their own."""
    side, _, segment = part.partition("_")
    if segment in ("upper_arm", "forearm"):
        return f"{side}_arm"
    if segment in ("thigh", "shin"):
        return f"{side}_leg"
    return part


def _lines(premul: np.ndarray) -> np.ndarray:
    """The drawing's dark lines (outlines), as the auto-rig finds them."""
    solid = premul[..., 3] > 127
    if not solid.any():
        return solid
    lum = premul[..., :3].astype(np.float32) @ np.array([0.299, 0.587, 0.114], np.float32)
    return solid & (lum < outline_level(lum, solid))


def _limb_areas(bones: dict, radius: dict[str, float]) -> dict[str, float]:
    """Roughly how many pixels each limb covers (bone length x width); a pair mirrors, so the slimmer
    side's estimate (not widened by a tail or a sleeve beside it) stands for both."""
    area: dict[str, float] = {}
    for name, (a, b) in bones.items():
        if name not in ("torso", "head"):
            g = _limb_group(name)
            area[g] = area.get(g, 0.0) + math.dist(a, b) * 2 * radius[name]
    for limb in ("arm", "leg"):
        pair = [area[f"{side}_{limb}"] for side, _, _ in SIDES if f"{side}_{limb}" in area]
        for side, _, _ in SIDES:
            if f"{side}_{limb}" in area:
                area[f"{side}_{limb}"] = min(pair)
    return area


def _snap_to_drawn_parts(
    premul: np.ndarray,
    label: np.ndarray,
    names: list[str],
    score: np.ndarray,
    limb_area: dict[str, float],
    lines: np.ndarray,
) -> None:
    """Give each region drawn between the character's lines wholly to the part (head, torso, one arm,
    one leg) that holds most of it, so a sleeve is not split between head and arm and a prop beside an
    arm is not torn when the arm moves: nearest-bone labels only know distances. A region far bigger
    than the limb that would take it (a tail beside a hand) stays with the torso. Body-sized regions
    (an unlined drawing is one region) and regions across both sides keep their per-pixel labels."""
    solid = premul[..., 3] > 127
    if lines.sum() < 0.002 * max(1, solid.sum()):
        return
    group_of = [_limb_group(n) for n in names]
    groups = sorted(set(group_of))
    gi = np.array([groups.index(g) for g in group_of])
    n, cells = cv2.connectedComponents((solid & ~lines).astype(np.uint8), connectivity=4)
    sizes = np.bincount(cells.ravel(), minlength=n)
    ys, xs = np.nonzero(label >= 0)
    cell = cells[ys, xs]
    votes = np.bincount(cell * len(groups) + gi[label[ys, xs]], minlength=n * len(groups))
    votes = votes.reshape(n, len(groups))
    winner = votes.argmax(1)
    for c in range(1, n):
        g = groups[winner[c]]
        if g not in ("torso", "head") and sizes[c] > 1.5 * limb_area[g]:
            winner[c] = groups.index("torso")
    share = votes / np.maximum(votes.sum(1, keepdims=True), 1)
    sided = [[k for k, g in enumerate(groups) if g.startswith(f"{side}_")] for side, _, _ in SIDES]
    # A region that spans both sides (a paper rim inside the pen line, a skirt) is no drawn part.
    both = (share[:, sided[0]].sum(1) > 0.1) & (share[:, sided[1]].sum(1) > 0.1)
    whole = (sizes < 0.15 * solid.sum()) & ~both & (votes.sum(1) > 0)
    whole[0] = False
    _head_cells_touch_the_head(cells, winner, groups, lines)
    snap = whole[cell]
    for g in range(len(groups)):
        sel = snap & (winner[cell] == g)
        if not sel.any():
            continue
        rows = np.nonzero(gi == g)[0]
        best = rows[np.argmin(score[np.ix_(rows, np.nonzero(sel)[0])], axis=0)]
        label[ys[sel], xs[sel]] = best
    # A line goes with the region it bounds nearest, so a region handed over takes its outline along.
    fill = (solid & ~lines & (label >= 0)).astype(np.uint8)
    if fill.any() and lines.any():
        _, nearest = cv2.distanceTransformWithLabels(1 - fill, cv2.DIST_L2, 3, labelType=cv2.DIST_LABEL_PIXEL)
        fy, fx = np.nonzero(fill)
        ly, lx = np.nonzero(lines & (label >= 0))
        src = nearest[ly, lx] - 1
        label[ly, lx] = label[fy[src], fx[src]]


def _round_hung_tops(label: np.ndarray, names: list[str], bones: dict, radius: dict[str, float]) -> None:
    """A limb hung on the body (upper arm, thigh) ends round at its pivot: near the body, pixels of its
    label farther from its bone than its own half-width (a rump's or chest's corner won by distance)
    go to the torso. A corner turned about the pivot swings out of the silhouette as a spike; a round
    end turned about its centre stays where it was, and the torso keeps the body's outline."""
    torso = names.index("torso")
    for i, name in enumerate(names):
        if not name.endswith(("_upper_arm", "_thigh")):
            continue
        ys, xs = np.nonzero(label == i)
        if len(xs) == 0:
            continue
        px, py = xs.astype(np.float32), ys.astype(np.float32)
        a, b = bones[name]
        out = (projection_along(px, py, a, b) < 0.5) & (
            segment_distance(px, py, a, b) > 1.2 * radius[name] + 1.0
        )
        label[ys[out], xs[out]] = torso


def keep_attached(label: np.ndarray, names: list[str], bones: dict, radius: dict[str, float]) -> None:
    """A part is what lies around its bone: a piece of any part's label that does not reach its bone (a
    fleck won by distance, a shoe's tip past a leg's reach left to the torso) goes to the part it
    touches, the nearest labelled pixel, so no detached bit flies off or stays behind when parts turn."""
    stray = np.zeros(label.shape, bool)
    for i, name in enumerate(names):
        part = (label == i).astype(np.uint8)
        n, comps = cv2.connectedComponents(part, connectivity=8)
        if n <= 2:
            continue
        ys, xs = np.nonzero(part)
        a, b = bones[name]
        near = segment_distance(xs.astype(np.float32), ys.astype(np.float32), a, b) <= radius[name] + 2.0
        attached = np.zeros(n, bool)
        attached[np.unique(comps[ys[near], xs[near]])] = True
        if not attached[1:].any():  # no piece reaches the bone: keep the biggest
            attached[1 + int(np.argmax(np.bincount(comps.ravel())[1:]))] = True
        attached[0] = True
        stray |= ~attached[comps]
    if not stray.any():
        return
    kept = (label >= 0) & ~stray
    if not kept.any():
        return
    _, nearest = cv2.distanceTransformWithLabels(
        (~kept).astype(np.uint8), cv2.DIST_L2, 3, labelType=cv2.DIST_LABEL_PIXEL
    )
    ky, kx = np.nonzero(kept)
    sy, sx = np.nonzero(stray)
    src = nearest[sy, sx] - 1
    label[sy, sx] = label[ky[src], kx[src]]


def _head_cells_touch_the_head(
    cells: np.ndarray, winner: np.ndarray, groups: list[str], lines: np.ndarray
) -> None:
    """A region won by the head by distance alone but drawn apart from it (a tail tip beside a big
    head, reached through the tail) goes to the torso: head regions must touch the head's main one,
    across no more than a line."""
    head, torso = groups.index("head"), groups.index("torso")
    ids = np.nonzero(winner == head)[0]
    ids = ids[ids > 0]
    if len(ids) < 2:
        return
    sizes = np.bincount(cells.ravel(), minlength=len(winner))
    thick = float(np.percentile(cv2.distanceTransform(lines.astype(np.uint8), cv2.DIST_L2, 3)[lines], 90))
    width = int(np.clip(round(2.0 * thick), 2, 12))  # a line across (dark fills excepted)
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * width + 1, 2 * width + 1))
    reached = np.isin(cells, [ids[np.argmax(sizes[ids])]])
    pending = set(ids.tolist()) - {int(ids[np.argmax(sizes[ids])])}
    while pending:
        near = np.unique(cells[cv2.dilate(reached.astype(np.uint8), kernel) > 0])
        found = pending & set(near.tolist())
        if not found:
            break
        reached |= np.isin(cells, list(found))
        pending -= found
    winner[list(pending)] = torso


def _continue_outline(premul: np.ndarray, torso: np.ndarray, removed: np.ndarray) -> np.ndarray:
    """Draw the character's outline along the torso's edge where a limb was cut away, so that a limb
    that moves off shows a body closed by its line (hidden under the limb while it stays)."""
    alpha = premul[..., 3]
    solid = (alpha > 127).astype(np.uint8)
    ring = (solid - cv2.erode(solid, np.ones((5, 5), np.uint8))) > 0
    if ring.sum() < 20:
        return torso
    if _lines(premul)[ring].mean() < 0.5:
        # No line runs round the silhouette (a 3D render, a drawing cut inside its pen line): the dark
        # pixels at its edge are hair or skin, and a stroke of them would show as a seam.
        return torso
    a = np.maximum(alpha[ring], 1).astype(np.float32)[:, None] / 255.0
    colours = np.clip(premul[ring, :3].astype(np.float32) / a, 0, 255)
    luma = colours @ np.array([0.299, 0.587, 0.114], np.float32)
    dark = luma <= np.percentile(luma, 30)
    line = np.median(colours[dark], axis=0)
    if float(line @ np.array([0.299, 0.587, 0.114])) > 110:  # no dark outline style to continue
        return torso
    body = (torso[..., 3] > 127).astype(np.uint8)
    cut = np.logical_and(body, cv2.dilate(removed.astype(np.uint8), np.ones((3, 3), np.uint8))).astype(
        np.uint8
    )
    if not cut.any():
        return torso
    ys, _xs = np.nonzero(solid)
    width = max(2, round((ys.max() - ys.min()) * 0.007))
    grown = cv2.dilate(cut, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (width, width)))
    stroke = np.logical_and(grown, body)
    out = torso.copy()
    out[stroke, :3] = line.astype(np.uint8)
    out[stroke, 3] = 255
    return out


def _eye_closed(layer: PartLayer, eyes: list[tuple[float, float]], head_r: float) -> PartLayer | None:
    """The head layer with its eyes painted shut: skin colour over each dark eye, a lid line across."""
    img = layer.premul.astype(np.float32)
    a = np.maximum(img[..., 3:4], 1.0) / 255.0
    rgb = np.clip(img[..., :3] / a, 0, 255).astype(np.uint8)
    luma = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    dark = ((luma < 110) & (layer.premul[..., 3] > 200)).astype(np.uint8)
    n, lab, stats, _ = cv2.connectedComponentsWithStats(dark, connectivity=8)
    out = layer.premul.copy()
    done = 0
    for ex, ey in eyes:
        x, y = round(ex - layer.x0), round(ey - layer.y0)
        best, best_d = 0, head_r * 0.3
        for k in range(1, n):
            cx, cy, cw, ch, area = stats[k]
            d = math.hypot(cx + cw / 2 - x, cy + ch / 2 - y)
            if d < best_d and area > 4 and cw < head_r * 0.8 and ch < head_r * 0.8:
                best, best_d = k, d
        if not best:
            continue
        cx, cy, cw, ch, _ = stats[best]
        ring = np.zeros_like(dark)
        cv2.ellipse(ring, (cx + cw // 2, cy + ch // 2), (cw // 2 + 6, ch // 2 + 6), 0, 0, 360, 1, 3)
        skin = (ring > 0) & (dark == 0) & (layer.premul[..., 3] > 250)
        if skin.sum() < 5:
            continue
        colour = np.median(rgb[skin], axis=0)
        line = np.median(rgb[lab == best], axis=0)
        centre, axes = (cx + cw // 2, cy + ch // 2), (cw // 2 + 2, ch // 2 + 2)
        cv2.ellipse(out, centre, axes, 0, 0, 360, (*[int(v) for v in colour], 255), -1, cv2.LINE_AA)
        lid = (centre[0], centre[1] + ch // 6)
        thick = max(2, round(ch * 0.16))
        cv2.ellipse(
            out, lid, (cw // 2, ch // 4), 0, 10, 170, (*[int(v) for v in line], 255), thick, cv2.LINE_AA
        )
        done += 1
    if not done:
        return None
    out[..., 3] = layer.premul[..., 3]
    out[..., :3] = np.minimum(out[..., :3], out[..., 3:4])
    return PartLayer(layer.name, out, layer.x0, layer.y0)


def prepare(
    premul: np.ndarray,
    rig: Rig,
    layers: Mapping[str, Image.Image] | None,
    head: tuple[float, float],
    head_r: float,
    feet: tuple[float, float],
    height: float,
) -> Prepared:
    """Layers and joints for a clip (rig and layers already in the clip's pixels)."""
    j = dict(rig.joints)
    if "head_top" in j:
        head = ((j["neck"][0] + j["head_top"][0]) / 2, (j["neck"][1] + j["head_top"][1]) / 2)
        head_r = math.dist(j["neck"], j["head_top"]) / 2
    caps: dict[str, PartLayer] = {}
    if layers:
        arrays = {name: _premul(im) for name, im in layers.items()}
    else:
        arrays, cap_arrays = _derive_layers(premul, j, head, rig.has_arms, rig.has_legs)
        caps = {k: c for k, v in cap_arrays.items() if (c := _crop(v, k)) is not None}
    cropped = {k: c for k, v in arrays.items() if (c := _crop(v, k)) is not None}
    prep = Prepared(
        size=premul.shape[0],
        joints=j,
        layers=cropped,
        caps=caps,
        has_arms=rig.has_arms,
        has_legs=rig.has_legs,
        head=head,
        head_r=head_r,
        height=height,
        feet=feet,
        derived=not layers,
        sides=rig_sides(rig),
        plan=rig.plan,
    )
    eyes = [j[k] for k in ("right_eye", "left_eye") if k in j]
    if eyes and "head" in cropped:
        prep.closed_head = _eye_closed(cropped["head"], eyes, head_r)
    return prep


def rig_sides(rig: Rig) -> tuple[tuple[str, str, float], ...]:
    """The rig's sides as (name, channel prefix, outward sign): a four-legged side view faces one way."""
    if rig.plan == "four_legs":
        return (("right", "r", rig.facing), ("left", "l", rig.facing))
    return SIDES
