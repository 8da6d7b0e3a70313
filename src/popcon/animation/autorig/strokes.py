"""The rig of a figure drawn with strokes (a stick figure): its lines are the body, not an outline.

Whether a figure is made of strokes follows from its painted mask (alpha at least half, before holes
are filled): its thickest stroke is thin against the figure's size. A filled figure's torso is a
tenth of its size or more; a pencil line a few hundredths at most.

Such a figure is read from its strokes' skeleton graph. A closed ring (a hole in the painted mask,
read in the half-opaque mask so the faint ringing of a resize does not wall it in short of the stroke)
is the head; the neck is where the ring meets the stroke below it, the spine. Walked from the neck, the
last junction that two or more ends hang from is the hips (the legs branch there), and ends that leave
the spine before it are the arms, their shoulder where they leave it.
"""

from __future__ import annotations

import heapq
import itertools

import cv2
import numpy as np
from PIL import Image
from scipy import ndimage

from popcon.animation.autorig.silhouette import Silhouette, dilate, distance
from popcon.animation.autorig.skeleton import Graph, skeleton_graph
from popcon.domain.rig import Rig

STROKE_SHARE = 0.05  # strokes no thicker than this share of the figure's size make a stroke figure
SHOULDER_OUT = 2.0  # an arm pivots one stroke width (two half-widths) out from its junction
RING_SHARE = 0.08  # a head ring's hole is at least this share of the figure's size across


def painted_mask(image: Image.Image, sil: Silhouette) -> np.ndarray:
    """Where the image is at least half opaque, at the working size, within the silhouette."""
    h, w = sil.mask.shape
    alpha = np.asarray(image.convert("RGBA"))[..., 3]
    if alpha.shape != (h, w):
        alpha = cv2.resize(alpha, (w, h), interpolation=cv2.INTER_AREA)
    return (alpha >= 128) & sil.mask


def _size(mask: np.ndarray) -> float:
    ys, xs = np.nonzero(mask)
    return float(max(ys.max() - ys.min() + 1, xs.max() - xs.min() + 1))


def is_stroke_figure(painted: np.ndarray, sil: Silhouette) -> bool:
    """Whether the figure's thickest painted stroke is thin against its size."""
    if not painted.any():
        return False
    return float(distance(painted).max()) < STROKE_SHARE * _size(sil.mask)


def _head_ring(painted: np.ndarray, size: float) -> np.ndarray | None:
    """The largest enclosed hole of the painted mask, if it is big enough to be a head."""
    labels, n = ndimage.label(~painted)  # 4-connected: a diagonal gap in a stroke does not open it
    if n == 0:
        return None
    border = set(np.unique(np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]])).tolist())
    sizes = np.bincount(labels.ravel())
    best = None
    for lab in range(1, n + 1):
        if lab in border:
            continue
        if best is None or sizes[lab] > sizes[best]:
            best = lab
    if best is None:
        return None
    hole = labels == best
    ys, xs = np.nonzero(hole)
    if min(ys.max() - ys.min(), xs.max() - xs.min()) + 1 < RING_SHARE * size:
        return None
    return hole


def _paths_from(g: Graph, start: int) -> dict[int, list[int]]:
    """For each node reachable from `start`, the nodes of the shortest walk along the strokes to it
    (a small loop where strokes cross must not send the spine round an arm)."""
    best = {start: 0.0}
    paths = {start: [start]}
    todo = [(0.0, start)]
    while todo:
        d, n = heapq.heappop(todo)
        if d > best[n]:
            continue
        for br in g.edges(n):
            m = br.other(n)
            dm = d + br.length
            if dm < best.get(m, np.inf):
                best[m] = dm
                paths[m] = [*paths[n], m]
                heapq.heappush(todo, (dm, m))
    return paths


def _walk(g: Graph, nodes: list[int]) -> list[tuple[int, int]]:
    """The skeleton pixels (y, x) along a chain of nodes."""
    out: list[tuple[int, int]] = [g.nodes[nodes[0]]]
    for a, b in itertools.pairwise(nodes):
        br = min((e for e in g.edges(a) if e.other(a) == b), key=lambda e: e.length)
        out += br.from_node(a)[1:]
    return out


def _along(pts: list[tuple[int, int]], far: float) -> tuple[float, float]:
    """The point `far` along a path (or its last), as (x, y)."""
    p = np.asarray(pts, np.float64)
    steps = np.concatenate([[0.0], np.cumsum(np.hypot(*np.diff(p, axis=0).T))])
    i = min(int(np.searchsorted(steps, far)), len(p) - 1)
    return (float(p[i, 1]), float(p[i, 0]))


def _half_way(pts: list[tuple[int, int]]) -> tuple[float, float]:
    """The point halfway along a path, as (x, y)."""
    p = np.asarray(pts, np.float64)
    steps = np.concatenate([[0.0], np.cumsum(np.hypot(*np.diff(p, axis=0).T))])
    i = int(np.searchsorted(steps, steps[-1] / 2))
    return (float(p[i, 1]), float(p[i, 0]))


def stroke_rig(image: Image.Image, sil: Silhouette) -> Rig | None:
    """The rig of a stroke figure with a ring for a head, or None when it is not one."""
    painted = painted_mask(image, sil)
    if not is_stroke_figure(painted, sil):
        return None
    size = _size(sil.mask)
    hole = _head_ring(painted, size)
    if hole is None:
        return None
    stroke = float(distance(painted).max())
    reach = max(1, int(np.ceil(2 * stroke)) + 1)
    ring = dilate(hole, reach)  # the hole and its stroke all round
    limbs = painted & ~ring
    # Thinned as they are, strokes a pixel or two wide keep stair steps that read as junctions:
    # thickened by a pixel first, each thins to a clean line down its middle.
    fat = dilate(limbs, 1) & ~ring
    g = skeleton_graph(fat, distance(fat))
    if not g.nodes:
        return None
    # The neck: where the ring meets the strokes below it; the node nearest those pixels is the spine's top.
    meet = limbs & dilate(ring, 1)
    ys, xs = np.nonzero(meet)
    hy, hx = (float(v.mean()) for v in np.nonzero(hole))
    below = ys > hy
    if not below.any():
        return None
    # The neck sits at the ring's base: below the hole, in the column where the spine meets it, by
    # the stroke's width (the spine goes on seamlessly from there).
    nx = round(float(xs[below].mean()))
    col_hole = np.nonzero(hole[:, nx])[0]
    ny = float(col_hole.max()) + stroke if col_hole.size else float(ys[below].mean())
    neck = (float(nx), ny)
    top = min(range(len(g.nodes)), key=lambda n: np.hypot(g.nodes[n][1] - neck[0], g.nodes[n][0] - neck[1]))
    paths = _paths_from(g, top)
    ends = [n for n in paths if n != top and g.degree(n) == 1]
    if len(ends) < 4:
        return None
    # Hips: the junction farthest down the tree that two or more ends hang from.
    length = {n: len(_walk(g, p)) for n, p in paths.items()}
    hangs = {n: [e for e in ends if n in paths[e]] for n in paths if g.degree(n) >= 3}
    forks = [n for n, es in hangs.items() if len(es) >= 2]
    if not forks:
        return None
    hips = max(forks, key=lambda n: length[n])
    legs = sorted(hangs[hips], key=lambda e: -length[e])[:2]
    arm_ends = [e for e in ends if e not in hangs[hips]]
    if len(legs) < 2 or len(arm_ends) < 2:
        return None
    arms = sorted(arm_ends, key=lambda e: -length[e])[:2]
    spine = paths[hips]
    joints: dict[str, tuple[float, float]] = {}
    ring_rows = np.nonzero(ring.any(1))[0]
    joints["neck"] = neck
    joints["head_top"] = (hx, float(ring_rows[0]) + stroke)
    hip_y, hip_x = g.nodes[hips]
    joints["hip"] = joints["root"] = (float(hip_x), float(hip_y))
    shoulders = []
    reach_of: dict[int, float] = {}
    for side, group in (("legs", legs), ("arms", arms)):
        pair = sorted(group, key=lambda e: g.nodes[e][1])  # image left first: the character's right
        for name, e in zip(("right", "left"), pair, strict=True):
            # Where the limb leaves the spine: the last node of its walk that lies on the spine.
            on = [n for n in paths[e] if n in spine]
            base = on[-1]
            walk = _walk(g, paths[e][paths[e].index(base) :])
            reach_of[e] = float(len(walk))
            ey, ex = g.nodes[e]
            # An arm pivots one stroke width out along its own stroke, past the blob where the strokes
            # meet, so the other strokes there stay with the body when it turns; a leg at the hips.
            root = _along(walk, SHOULDER_OUT * stroke if side == "arms" else 0.0)
            mid, end = _half_way(walk), (float(ex), float(ey))
            if side == "legs":
                joints[f"{name}_hip"], joints[f"{name}_knee"], joints[f"{name}_foot"] = root, mid, end
            else:
                joints[f"{name}_shoulder"], joints[f"{name}_elbow"], joints[f"{name}_hand"] = root, mid, end
                shoulders.append(root)
    joints["torso"] = (
        float(np.mean([p[0] for p in shoulders])),
        float(np.mean([p[1] for p in shoulders])),
    )
    arm_len = [reach_of[e] for e in arms]
    leg_len = [reach_of[e] for e in legs]
    confidence = 0.2 + 0.4 * min(arm_len) / max(arm_len) + 0.4 * min(leg_len) / max(leg_len)
    return Rig(
        width=sil.width,
        height=sil.height,
        source="auto",
        confidence=round(float(np.clip(confidence, 0.0, 1.0)), 3),
        has_arms=True,
        has_legs=True,
        joints={k: _clip(sil, *sil.to_image(*p)) for k, p in joints.items()},
        note="a stroke figure: rigged along its strokes, its ring the head",
    )


def _clip(sil: Silhouette, x: float, y: float) -> tuple[float, float]:
    return (round(min(max(x, 0.0), sil.width - 1.0), 1), round(min(max(y, 0.0), sil.height - 1.0), 1))
