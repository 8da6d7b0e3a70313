"""Part animation: a rigged character's arms wave, legs tuck, torso bows, head tilts.

Each part (torso, head, upper arms, forearms, thighs, shins, ears, tail) is an RGBA layer that turns
rigidly about its pivot joint, chained to its parent, and the layers are composited back to front.
The procedural mascot brings exact layers (it drew every part separately, with round joint ends, so
a bent elbow shows no seam). An upload brings only joints: its pixels are assigned to the nearest
bone, the torso is filled where a limb lay in front of it (inpainted from the body's own colours and
outline, never left as a hole or key colour), and each limb carries a round cap of its own pixels
about its pivot, drawn under the body, which closes the wedge a turning limb would open.

The motion is data (`popcon/data/rig_motions.toml`): joint directions in the character's own terms,
hand targets solved by two-bone IK, periodic wiggles with whole cycles per loop, a whole-body motion
of `motion.py` on top (hops and squash), blinks, and ears and tail that follow with lag. The first
frame is already the action's pose (the still LINE shows) and the last frame equals it.
"""

from __future__ import annotations

import itertools
import math
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import cache
from importlib import resources
from typing import Any

import cv2
import numpy as np
from PIL import Image

from popcon.animation.autorig.outlines import outline_level
from popcon.animation.effects import Anchors
from popcon.animation.motion import REST, Pose, ease_in_out, motion_pose
from popcon.domain.rig import PARTS, Rig

SIDES = (("right", "r", -1.0), ("left", "l", 1.0))  # the character's right is the image's left
ANGLE_CHANNELS = (
    "lean",
    "head",
    "bow",
    "nod",
    *(f"{p}_{j}" for p in ("r", "l") for j in ("arm", "fore", "leg", "shin")),
)
HAND_TARGETS = ("eye", "chin", "mouth", "chest", "centre", "above", "out")
_BACK = ("tail", "right_ear", "left_ear", "right_thigh", "right_shin", "left_thigh", "left_shin", "torso")
_ARMS = ("right_upper_arm", "right_forearm", "left_upper_arm", "left_forearm")
_LAG = 0.06  # ears and tail follow the head and body this much of the loop later


# ---------------------------------------------------------------- motion data


@dataclass(frozen=True)
class Wiggle:
    ch: str
    amp: float
    cycles: int
    phase: float = 0.0


@dataclass(frozen=True)
class RigMotion:
    name: str
    body: str
    body_scale: float
    keys: tuple[tuple[float, Mapping[str, Any]], ...]
    wiggle: tuple[Wiggle, ...] = ()
    blinks: tuple[tuple[float, float], ...] = ((0.62, 0.68),)


def _check_target(v: Any, where: str) -> None:
    name = v[0] if isinstance(v, list) else v
    ok = isinstance(name, str) and name in HAND_TARGETS
    if isinstance(v, list):
        ok = ok and len(v) == 3 and all(isinstance(x, int | float) for x in v[1:])
    if not ok:
        raise ValueError(f"{where}: a hand target is one of {HAND_TARGETS} or [name, dx, dy]")


def _parse_motion(name: str, raw: dict[str, Any]) -> RigMotion:
    keys = []
    for i, k in enumerate(raw.get("keys", [])):
        k = dict(k)
        t = float(k.pop("t"))
        for ch, v in k.items():
            where = f"rig_motions.{name}.keys[{i}].{ch}"
            if ch in ("r_hand", "l_hand"):
                _check_target(v, where)
            elif ch not in ANGLE_CHANNELS or not isinstance(v, int | float):
                raise ValueError(f"{where}: unknown channel or not a number")
        keys.append((t, k))
    if len(keys) < 2 or keys[0][0] != 0.0 or keys[-1][0] != 1.0:
        raise ValueError(f"rig_motions.{name}: keys must start at t = 0 and end at t = 1")
    if keys[0][1] != keys[-1][1]:
        raise ValueError(f"rig_motions.{name}: the last key must equal the first (the loop closes)")
    if any(b[0] <= a[0] for a, b in itertools.pairwise(keys)):
        raise ValueError(f"rig_motions.{name}: key times must increase")
    wiggles = []
    for w in raw.get("wiggle", []):
        wig = Wiggle(ch=w["ch"], amp=float(w["amp"]), cycles=int(w["cycles"]), phase=float(w.get("phase", 0)))
        if wig.ch not in ANGLE_CHANNELS or wig.cycles != w["cycles"]:
            raise ValueError(f"rig_motions.{name}.wiggle: unknown channel or cycles not whole ({w})")
        wiggles.append(wig)
    blinks = tuple((float(a), float(b)) for a, b in raw.get("blinks", [(0.62, 0.68)]))
    return RigMotion(
        name=name,
        body=str(raw.get("body", "none")),
        body_scale=float(raw.get("body_scale", 1.0)),
        keys=tuple(keys),
        wiggle=tuple(wiggles),
        blinks=blinks,
    )


@cache
def load_rig_motions() -> dict[str, RigMotion]:
    text = resources.files("popcon.data").joinpath("rig_motions.toml").read_text("utf-8")
    return {name: _parse_motion(name, raw) for name, raw in tomllib.loads(text).items()}


def rig_motion(name: str, plan: str = "upright") -> RigMotion:
    """The keyframes of motion `name` for a body plan: a four-legged character has its own where the
    data gives them ("four_legs.<name>"), else it plays the upright ones."""
    motions = load_rig_motions()
    own = motions.get(f"{plan}.{name}") if plan != "upright" else None
    return own or motions.get(name, motions["idle"])


# ---------------------------------------------------------------- geometry helpers


def _rot(p: tuple[float, float], deg: float) -> np.ndarray:
    """3x3: rotate by `deg` on screen (positive turns counter-clockwise as seen) about p."""
    a = math.radians(-deg)
    c, s = math.cos(a), math.sin(a)
    x, y = p
    return np.array([[c, -s, x - c * x + s * y], [s, c, y - s * x - c * y], [0.0, 0.0, 1.0]])


def _move(dx: float, dy: float) -> np.ndarray:
    return np.array([[1.0, 0.0, dx], [0.0, 1.0, dy], [0.0, 0.0, 1.0]])


def _scale_y(p: tuple[float, float], k: float) -> np.ndarray:
    return np.array([[1.0, 0.0, 0.0], [0.0, k, p[1] * (1.0 - k)], [0.0, 0.0, 1.0]])


def _at(m: np.ndarray, p: tuple[float, float]) -> tuple[float, float]:
    v = m @ np.array([p[0], p[1], 1.0])
    return float(v[0]), float(v[1])


def _screen_angle(phi: float, side: float) -> float:
    """Screen angle (counter-clockwise, degrees) of a limb direction phi in the character's terms."""
    r = math.radians(phi)
    return math.degrees(math.atan2(-math.cos(r), side * math.sin(r)))


def _phi(v: tuple[float, float], side: float) -> float:
    """A limb direction (image vector) in the character's terms: 0 down, 90 outward, 180 up."""
    return math.degrees(math.atan2(side * v[0], v[1]))


def _wrap(d: float) -> float:
    return (d + 180.0) % 360.0 - 180.0


def _sub(a: tuple[float, float], b: tuple[float, float]) -> tuple[float, float]:
    return a[0] - b[0], a[1] - b[1]


# ---------------------------------------------------------------- the prepared character


@dataclass
class _Layer:
    name: str
    premul: np.ndarray  # cropped premultiplied RGBA
    x0: int
    y0: int


@dataclass
class Prepared:
    """A rigged character ready to pose: joints and part layers in clip pixels."""

    size: int
    joints: dict[str, tuple[float, float]]
    layers: dict[str, _Layer]
    caps: dict[str, _Layer]  # derived rigs: round joint caps drawn under the body
    has_arms: bool
    has_legs: bool
    head: tuple[float, float]
    head_r: float
    height: float
    feet: tuple[float, float]
    closed_head: _Layer | None = None  # the head layer with its eyes shut
    derived: bool = False  # parts cut from a single drawing (an upload): legs swing less, they tear
    # Per side: name, channel prefix, and which way "outward" is in the image (-1 left, +1 right). A
    # front view mirrors its sides; both legs of a side view's pair swing the way its head faces.
    sides: tuple[tuple[str, str, float], ...] = SIDES
    extra: dict[str, float] = field(default_factory=dict)


def _crop(premul: np.ndarray, name: str) -> _Layer | None:
    ys, xs = np.nonzero(premul[..., 3])
    if len(xs) == 0:
        return None
    x0, y0, x1, y1 = xs.min(), ys.min(), xs.max() + 1, ys.max() + 1
    return _Layer(name, np.ascontiguousarray(premul[y0:y1, x0:x1]), int(x0), int(y0))


def _premul(image: Image.Image) -> np.ndarray:
    return np.asarray(image.convert("RGBA").convert("RGBa")).copy()


def _seg_dist(px: np.ndarray, py: np.ndarray, a: tuple[float, float], b: tuple[float, float]) -> np.ndarray:
    ax, ay = a
    vx, vy = b[0] - ax, b[1] - ay
    ll = vx * vx + vy * vy or 1.0
    k = np.clip(((px - ax) * vx + (py - ay) * vy) / ll, 0.0, 1.0)
    return np.hypot(px - (ax + k * vx), py - (ay + k * vy))


def _along(px: np.ndarray, py: np.ndarray, a: tuple[float, float], b: tuple[float, float]) -> np.ndarray:
    """Where each point projects on the line from a (0) to b (1)."""
    vx, vy = b[0] - a[0], b[1] - a[1]
    return ((px - a[0]) * vx + (py - a[1]) * vy) / (vx * vx + vy * vy or 1.0)


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
        d = _seg_dist(px, py, a, b)
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
            score[i][_along(px, py, a, b) < -0.05] = np.inf
            score[names.index("torso")][above_neck & (d <= radius[name])] += 1e6
        else:
            # The torso ends at the neck, and at the hips when the legs move: past them its wide radius
            # would take the face or the tops of the legs, which then stay behind as slivers when the
            # part turns. (Past a leg's own reach it keeps what hangs there: a skirt, a tail.)
            along = _along(px, py, a, b)
            above_neck = along > 1.05
            below_hips = along < -0.05
    label = np.full(alpha.shape, -1, np.int16)
    label[ys, xs] = np.argmin(score, axis=0)
    lines = _lines(premul)
    _snap_to_drawn_parts(premul, label, names, score, _limb_areas(bones, radius), lines)
    _keep_attached(label, names, bones, radius)
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
    out["torso"] = _continue_outline(premul, torso, limbs & (fill == 0))
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


def _keep_attached(label: np.ndarray, names: list[str], bones: dict, radius: dict[str, float]) -> None:
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
        near = _seg_dist(xs.astype(np.float32), ys.astype(np.float32), a, b) <= radius[name] + 2.0
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


def _eye_closed(layer: _Layer, eyes: list[tuple[float, float]], head_r: float) -> _Layer | None:
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
    return _Layer(layer.name, out, layer.x0, layer.y0)


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
    caps: dict[str, _Layer] = {}
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
        sides=_sides(rig),
    )
    eyes = [j[k] for k in ("right_eye", "left_eye") if k in j]
    if eyes and "head" in cropped:
        prep.closed_head = _eye_closed(cropped["head"], eyes, head_r)
    return prep


def _sides(rig: Rig) -> tuple[tuple[str, str, float], ...]:
    if rig.plan == "four_legs":
        return (("right", "r", rig.facing), ("left", "l", rig.facing))
    return SIDES


# ---------------------------------------------------------------- posing


def _target(p: Prepared, spec: Any, side: float, sname: str) -> tuple[float, float]:
    name, dx, dy = (spec[0], float(spec[1]), float(spec[2])) if isinstance(spec, list) else (spec, 0.0, 0.0)
    j, (hx, hy), r = p.joints, p.head, p.head_r
    if name == "eye":
        base = j.get(f"{sname}_eye", (hx + side * 0.38 * r, hy + 0.1 * r))
        base = (base[0] + side * 0.1 * r, base[1] + 0.15 * r)
    elif name == "chin":
        base = (hx + side * 0.3 * r, hy + 0.85 * r)
    elif name == "mouth":
        base = j.get("mouth", (hx, hy + 0.5 * r))
        base = (base[0] + side * 0.2 * r, base[1])
    elif name == "chest":
        t, n = j["torso"], j["neck"]
        base = (t[0] + side * 0.25 * r, t[1] + (n[1] - t[1]) * 0.45)
    elif name == "centre":
        t, n = j["torso"], j["neck"]
        base = (j["hip"][0] + side * 0.12 * r, t[1] + (n[1] - t[1]) * 0.2)
    elif name == "above":
        base = (hx + side * 0.9 * r, hy - 2.2 * r)
    else:  # out
        s = j[f"{sname}_shoulder"]
        base = (s[0] + side * 3.0 * r, s[1])
    return base[0] + side * dx * r, base[1] + dy * r


def _ik(p: Prepared, sname: str, side: float, target: tuple[float, float]) -> tuple[float, float]:
    """Upper arm and forearm directions (character terms) that put the hand on `target`, elbow out."""
    s, e, h = (p.joints[f"{sname}_{k}"] for k in ("shoulder", "elbow", "hand"))
    l1, l2 = math.dist(s, e), math.dist(e, h)
    v = _sub(target, s)
    d = min(max(math.hypot(*v), abs(l1 - l2) + 1e-3), (l1 + l2) * 0.999)
    base = math.atan2(v[1], v[0])
    cos_a = (l1 * l1 + d * d - l2 * l2) / (2 * l1 * d) if l1 > 0 and d > 0 else 1.0
    alpha = math.acos(max(-1.0, min(1.0, cos_a)))
    hand = (s[0] + d * math.cos(base), s[1] + d * math.sin(base))

    def solution(sign: float) -> tuple[float, float, float]:
        """How far out the elbow lies, and the two directions, for one of the two bends."""
        a = base + sign * alpha
        elbow = (s[0] + l1 * math.cos(a), s[1] + l1 * math.sin(a))
        out = side * (elbow[0] - p.joints["hip"][0])
        return out, _phi((math.cos(a), math.sin(a)), side), _phi(_sub(hand, elbow), side)

    _, up, fore = max(solution(1.0), solution(-1.0))
    return up, fore


def _resolve(p: Prepared, key: Mapping[str, Any]) -> dict[str, float]:
    """A key's channels as numbers: hand targets become arm and forearm directions."""
    out = {k: float(v) for k, v in key.items() if k in ANGLE_CHANNELS}
    if p.has_arms:
        for sname, pre, side in p.sides:
            if f"{pre}_hand" in key:
                up, fore = _ik(p, sname, side, _target(p, key[f"{pre}_hand"], side, sname))
                out[f"{pre}_arm"], out[f"{pre}_fore"] = up, fore
    return out


def _rest(p: Prepared) -> dict[str, float]:
    """Every channel at the drawn pose: limb directions as drawn, no lean, tilt or bow."""
    out = dict.fromkeys(("lean", "head", "bow", "nod"), 0.0)
    j = p.joints
    for sname, pre, side in p.sides:
        if p.has_arms:
            out[f"{pre}_arm"] = _phi(_sub(j[f"{sname}_elbow"], j[f"{sname}_shoulder"]), side)
            out[f"{pre}_fore"] = _phi(_sub(j[f"{sname}_hand"], j[f"{sname}_elbow"]), side)
        if p.has_legs:
            out[f"{pre}_leg"] = _phi(_sub(j[f"{sname}_knee"], j[f"{sname}_hip"]), side)
            out[f"{pre}_shin"] = _phi(_sub(j[f"{sname}_foot"], j[f"{sname}_knee"]), side)
    return out


@dataclass
class Timeline:
    """The motion resolved for one prepared character: channels at any phase."""

    prep: Prepared
    motion: RigMotion
    intensity: float
    keys: list[tuple[float, dict[str, float]]]
    rest: dict[str, float]
    lift: float = 1.0  # damping of upward moves and stretches that would leave the frame (see fit)

    @classmethod
    def build(cls, prep: Prepared, motion: RigMotion, intensity: float = 1.0) -> Timeline:
        rest = _rest(prep)
        keys: list[tuple[float, dict[str, float]]] = []
        for t, k in motion.keys:
            ch = dict(rest)
            resolved = _resolve(prep, k)
            for name, v in resolved.items():
                if name.endswith("_arm") and f"{name[0]}_fore" not in resolved and name in rest:
                    ch[f"{name[0]}_fore"] = rest[f"{name[0]}_fore"] + _wrap(v - rest[name])
                ch[name] = v
            # Unwrap directions so that interpolation turns the short way round.
            if keys:
                for name, v in ch.items():
                    ch[name] = keys[-1][1][name] + _wrap(v - keys[-1][1][name]) if name in rest else v
            keys.append((t, ch))
        return cls(prep, motion, intensity, keys, rest)

    def channels(self, t: float) -> dict[str, float]:
        t = t % 1.0
        for (t0, a), (t1, b) in itertools.pairwise(self.keys):
            if t0 <= t <= t1:
                k = ease_in_out((t - t0) / (t1 - t0))
                ch = {n: a[n] + (b[n] - a[n]) * k for n in a}
                break
        else:
            ch = dict(self.keys[0][1])
        for w in self.motion.wiggle:
            if w.ch in ch:
                ch[w.ch] += w.amp * math.sin(2 * math.pi * (w.cycles * t + w.phase))
        if self.intensity != 1.0:  # scale every deviation from the drawn pose
            ch = {
                n: self.rest.get(n, 0.0) + (v - self.rest.get(n, 0.0)) * self.intensity for n, v in ch.items()
            }
        return ch

    def body(self, t: float) -> Pose:
        if self.motion.body == "none" or t <= 0.0 or t >= 1.0:
            return REST
        pose = motion_pose(self.motion.body, t, self.intensity * self.motion.body_scale)
        k = self.lift
        return replace(
            pose,
            bend=0.0,
            head_dx=0.0,
            head_dy=0.0,
            dy=pose.dy * k if pose.dy > 0 else pose.dy,
            sy=1.0 + (pose.sy - 1.0) * k if pose.sy > 1 else pose.sy,
        )

    def top(self, t: float) -> float:
        """The highest point (smallest y) of any part's box at phase t."""
        m = part_matrices(self, t)
        best = math.inf
        for name, layer in self.prep.layers.items():
            if name in m:
                h, w = layer.premul.shape[:2]
                box = np.array([[0, 0, 1], [w, 0, 1], [0, h, 1], [w, h, 1]], np.float64)
                box[:, :2] += (layer.x0, layer.y0)
                best = min(best, float((box @ m[name].T)[:, 1].min()))
        return best

    def fit(self, frames: int, margin: float) -> None:
        """Damp the body's upward moves if the posed character would leave the top of the frame."""
        times = [i / frames for i in range(frames) if self.body(i / frames).dy > 0]
        out = [t for t in times if self.top(t) < margin]
        if not out:
            return
        lo, hi = 0.0, 1.0
        for _ in range(6):
            self.lift = (lo + hi) / 2
            lo, hi = (self.lift, hi) if min(self.top(t) for t in out) >= margin else (lo, self.lift)
        self.lift = lo

    def eyes_shut(self, t: float) -> bool:
        return any(a <= t % 1.0 < b for a, b in self.motion.blinks)


def body_matrix(p: Pose, feet: tuple[float, float], height: float) -> np.ndarray:
    """The whole-body transform of a `Pose` (as the whole-body animator applies it)."""
    px, py = feet[0], feet[1] - p.pivot * height
    flip = np.diag([1.0, -1.0, 1.0])
    to_local = _move(-px, -py)
    scale = np.diag([p.facing, p.sy, 1.0])
    shear = np.array([[1.0, p.shear, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
    a = math.radians(p.angle)
    rot = np.array([[math.cos(a), -math.sin(a), 0.0], [math.sin(a), math.cos(a), 0.0], [0.0, 0.0, 1.0]])
    move = _move(p.dx * height, p.dy * height)
    return _move(px, py) @ flip @ move @ rot @ shear @ scale @ flip @ to_local


def part_matrices(tl: Timeline, t: float) -> dict[str, np.ndarray]:
    """Rest-to-screen transform of every part at phase t."""
    p, j = tl.prep, tl.prep.joints
    ch = tl.channels(t)
    mb = body_matrix(tl.body(t), p.feet, p.height)
    hip = j["hip"]
    squash = 1.0 - 0.3 * ch["bow"]
    rigid = mb @ _rot(hip, ch["lean"])

    def attach(q: tuple[float, float]) -> np.ndarray:
        """Follow the bowing torso's point q without taking its squash."""
        return rigid @ _move(0.0, (q[1] - hip[1]) * (squash - 1.0))

    m: dict[str, np.ndarray] = {"torso": rigid @ _scale_y(hip, squash)}
    neck = j["neck"]
    nod = (ch["nod"] + 0.45 * ch["bow"]) * p.head_r
    m["head"] = (
        attach(neck) @ _move(0.0, nod) @ _rot(neck, ch["head"]) @ _scale_y(neck, 1.0 - 0.12 * ch["bow"])
    )
    for sname, pre, side in p.sides:
        if p.has_arms:
            sh, el = j[f"{sname}_shoulder"], j[f"{sname}_elbow"]
            du = _screen_angle(ch[f"{pre}_arm"], side) - _screen_angle(tl.rest[f"{pre}_arm"], side)
            df = _screen_angle(ch[f"{pre}_fore"], side) - _screen_angle(tl.rest[f"{pre}_fore"], side)
            m[f"{sname}_upper_arm"] = attach(sh) @ _rot(sh, _wrap(du))
            m[f"{sname}_forearm"] = m[f"{sname}_upper_arm"] @ _rot(el, _wrap(df - du))
        if p.has_legs:
            hp, kn = j[f"{sname}_hip"], j[f"{sname}_knee"]
            dt = _screen_angle(ch[f"{pre}_leg"], side) - _screen_angle(tl.rest[f"{pre}_leg"], side)
            ds = _screen_angle(ch[f"{pre}_shin"], side) - _screen_angle(tl.rest[f"{pre}_shin"], side)
            k = 0.5 if p.derived else 1.0  # a cut-out leg turned far shows the body torn behind it
            dt, ds = _wrap(dt) * k, _wrap(ds) * k
            m[f"{sname}_thigh"] = mb @ _rot(hp, dt)
            m[f"{sname}_shin"] = m[f"{sname}_thigh"] @ _rot(kn, _wrap(ds - dt))
    # Secondary motion: ears trail the head's turn and bob, the tail sways and trails the body.
    if any(k in p.layers for k in ("right_ear", "left_ear", "tail")):
        before = t - _LAG
        prev_ch = tl.channels(before)
        prev_body = tl.body(before % 1.0)
        now_body = tl.body(t)
        turn = (prev_ch["head"] + prev_ch["lean"] + prev_body.angle) - (
            ch["head"] + ch["lean"] + now_body.angle
        )
        bob = (now_body.dy - prev_body.dy) * 60.0 + (ch["nod"] - prev_ch["nod"]) * 80.0
        for sname, _, side in p.sides:
            ear = j.get(f"{sname}_ear")
            if ear is not None:
                m[f"{sname}_ear"] = m["head"] @ _rot(ear, 0.9 * turn + side * bob)
        if "tail" in j:
            sway = 8.0 * math.sin(2 * math.pi * 2 * t) + 0.8 * turn
            m["tail"] = m["torso"] @ _scale_y(hip, 1 / squash) @ _rot(j["tail"], sway)
    return m


def _order(tl: Timeline, m: dict[str, np.ndarray]) -> list[str]:
    """Back to front; an arm whose hand is raised above its shoulder comes in front of the head (behind
    a big chibi head a raised hand would vanish)."""
    front: list[str] = []
    behind: list[str] = []
    for sname, _, _ in SIDES:
        if not tl.prep.has_arms:
            continue
        sh = _at(m[f"{sname}_upper_arm"], tl.prep.joints[f"{sname}_shoulder"])
        hd = _at(m[f"{sname}_forearm"], tl.prep.joints[f"{sname}_hand"])
        arm_len = math.dist(tl.prep.joints[f"{sname}_shoulder"], tl.prep.joints[f"{sname}_hand"])
        raised = hd[1] < sh[1] - 0.35 * arm_len
        (front if raised else behind).extend([f"{sname}_upper_arm", f"{sname}_forearm"])
    return [*_BACK, *behind, "head", *front]


def _blend(canvas: np.ndarray, layer: _Layer, m: np.ndarray) -> None:
    """Warp one layer by m (rest to screen) and composite it over the premultiplied canvas."""
    h, w = layer.premul.shape[:2]
    mm = m @ _move(layer.x0, layer.y0)
    corners = np.array([[0, 0, 1], [w, 0, 1], [0, h, 1], [w, h, 1]], np.float64) @ mm.T
    size = canvas.shape[0]
    x0, y0 = max(0, math.floor(corners[:, 0].min()) - 1), max(0, math.floor(corners[:, 1].min()) - 1)
    x1, y1 = min(size, math.ceil(corners[:, 0].max()) + 1), min(size, math.ceil(corners[:, 1].max()) + 1)
    if x1 <= x0 or y1 <= y0:
        return
    local = _move(-x0, -y0) @ mm
    src = cv2.warpAffine(
        layer.premul, local[:2], (x1 - x0, y1 - y0), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT
    )
    dst = canvas[y0:y1, x0:x1]
    keep = cv2.merge([255 - cv2.extractChannel(src, 3)] * 4)
    dst[:] = cv2.add(src, cv2.multiply(dst, keep, scale=1.0 / 255.0))


def render_premul(tl: Timeline, t: float) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """The posed character at phase t (premultiplied RGBA, clip size) and the part transforms."""
    p = tl.prep
    m = part_matrices(tl, t)
    canvas = np.zeros((p.size, p.size, 4), np.uint8)
    for name, cap in p.caps.items():
        if name in m:
            _blend(canvas, cap, m[name])
    for name in _order(tl, m):
        layer = p.layers.get(name)
        if name == "head" and p.closed_head is not None and tl.eyes_shut(t):
            layer = p.closed_head
        if layer is not None and name in m:
            _blend(canvas, layer, m[name])
    return canvas, m


def anchors(
    tl: Timeline, m: dict[str, np.ndarray], t: float, chest_y: float, half_width: float, top: float
) -> Anchors:
    """Where effects attach in this frame: the head, eyes and hands follow their parts."""
    p, j = tl.prep, tl.prep.joints
    head = _at(m["head"], p.head)
    fx = j["hip"][0]
    eyes = None
    if "right_eye" in j and "left_eye" in j:
        eyes = (_at(m["head"], j["right_eye"]), _at(m["head"], j["left_eye"]))
    hands = None
    if p.has_arms:
        hands = (_at(m["right_forearm"], j["right_hand"]), _at(m["left_forearm"], j["left_hand"]))
    return Anchors(
        head=head,
        head_r=p.head_r,
        top=_at(m["head"], j.get("head_top", (p.head[0], top))),
        left=_at(m["torso"], (fx - half_width, chest_y)),
        right=_at(m["torso"], (fx + half_width, chest_y)),
        chest=_at(m["torso"], (fx, chest_y)),
        feet=_at(body_matrix(tl.body(t), p.feet, p.height), p.feet),
        height=p.height,
        eyes=eyes,
        hands=hands,
    )
