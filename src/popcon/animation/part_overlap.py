"""Where an upload's parts meet: arms cut from the body along their colour edge, and parts that
overlap at their joints.

Part layers cut from one picture abut exactly: an arm lying against the body has no gap to cut along,
and two abutting layers, each warped with smoothing, open a seam as soon as either turns. These two
steps of `part_layers` make the cut follow the picture and the layers overlap where they turn.
"""

from __future__ import annotations

import cv2
import numpy as np

from popcon.animation.autorig.edges import colour_gradient, split_by_edges
from popcon.animation.keyframes import ARM_PARTS, BACK_PARTS, SIDES
from popcon.animation.part_geometry import projection_along, segment_distance
from popcon.domain.rig import PARTS


def cut_arms_along_edges(
    premul: np.ndarray,
    label: np.ndarray,
    names: list[str],
    group_of: list[str],
    score: np.ndarray,
    bones: dict,
    radius: dict,
) -> None:
    """An arm that lies against the body (no gap in the silhouette beside it) is cut from the body
    along the colour edge between them (`autorig.edges`), not at a distance from its bone: the cut
    would otherwise run through the arm (a strip of it stays on the body) or through the shirt (a
    strip of the shirt flies off with the arm). Arms that stand free of the body keep their labels.
    `group_of` names each part's limb ("right_arm" for both its segments)."""
    solid = label >= 0
    ys, xs = np.nonzero(solid)
    px, py = xs.astype(np.float32), ys.astype(np.float32)
    groups = sorted(set(group_of))
    gi = np.array([groups.index(g) for g in group_of])
    cur = gi[label[ys, xs]]
    contested = np.zeros(len(xs), bool)
    core = np.full(len(xs), -1)
    for side, _, _ in SIDES:
        segs = [n for n in (f"{side}_upper_arm", f"{side}_forearm") if n in bones]
        if len(segs) < 2:
            continue
        g = groups.index(f"{side}_arm")
        d = np.stack([segment_distance(px, py, *bones[n]) - radius[n] for n in segs]).min(0)
        r = max(radius[n] for n in segs)
        a, b = bones[segs[0]][0], bones[segs[1]][1]
        along = projection_along(px, py, a, b)
        # Lying against the body: a ring round the arm (past its own width) is mostly other parts.
        ring = (d > 0.3 * r) & (d <= 1.5 * r + 3.0) & (along > 0.25) & (along < 0.95)
        if not ring.any() or (cur[ring] != g).sum() < 0.35 * ring.sum():
            continue
        band = (d <= r + 3.0) & (along > 0.0)
        mid = (d <= -0.5 * r) & (along > 0.08)
        contested |= band
        core[mid] = g
    if not contested.any():
        return
    seeds = np.zeros(label.shape, np.int16)
    seed = np.where(core >= 0, core, np.where(contested, -1, cur)) + 1
    seeds[ys, xs] = seed
    a = np.maximum(premul[..., 3:4], 1).astype(np.float32) / 255.0
    rgb = np.clip(premul[..., :3].astype(np.float32) / a, 0, 255).astype(np.uint8)
    split = split_by_edges(colour_gradient(rgb, solid), solid, seeds)
    won = split[ys, xs] - 1
    sel = np.nonzero(contested & (won >= 0))[0]
    for g in np.unique(won[sel]):
        rows = np.nonzero(gi == g)[0]
        pick = sel[won[sel] == g]
        label[ys[pick], xs[pick]] = rows[np.argmin(score[np.ix_(rows, pick)], axis=0)]


def underlay_joints(
    out: dict[str, np.ndarray],
    premul: np.ndarray,
    label: np.ndarray,
    names: list[str],
    j: dict[str, tuple[float, float]],
    radius: dict[str, float],
    lines: np.ndarray,
) -> None:
    """The torso and each part on it (head, arm, leg) overlap at their joint: the one drawn under the
    other takes a band of the other's pixels round the joint, painted in its own colours. Abutting
    layers each warped with smoothing leave a half-transparent seam along their edge as soon as
    either turns, and a turn opens a wedge at the joint (a key-coloured notch at the shoulder); the
    band fills both with the lower part's own colours, so a limb moved far shows the body closed
    behind it, not a sliver of the limb left behind."""
    info = {name: (pivot, parent) for name, pivot, parent in PARTS}
    depth = {name: i for i, name in enumerate((*BACK_PARTS, *ARM_PARTS, "head"))}  # the order at rest
    solid = (premul[..., 3] == 255).astype(np.uint8)
    inside = cv2.distanceTransform(np.pad(solid, 1), cv2.DIST_L2, 3)[1:-1, 1:-1]
    straight: np.ndarray | None = None
    for name in names:
        pivot, parent = info[name]
        # A part with no pixels (a chibi's thigh hidden in the body) hands its joint to its parent.
        while parent is not None and parent in names and not out[parent][..., 3].any():
            parent = info[parent][1]
        if parent != "torso" or not out[name][..., 3].any():
            continue  # elbows and knees have their caps
        over, under = (name, parent) if depth[name] > depth[parent] else (parent, name)
        k = max(3, round(0.5 * min(radius[name], radius[parent])))
        base = out[under][..., 3] > 0
        if not base.any():
            continue
        disk = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * k + 1, 2 * k + 1))
        # Solid pixels only (the silhouette's soft rim drawn twice would turn more opaque: a fringe),
        # round the joint only (along a limb lying against the body it would show as a strip).
        inner = (label == names.index(over)) & (solid > 0)
        if under == name:  # a band that turns with the limb must stay clear of the body's outline
            inner &= inside > k
        joint = np.zeros_like(solid)
        piv = j[pivot]
        cv2.circle(joint, (round(piv[0]), round(piv[1])), round(radius[name] + k), 1, -1)
        band = (cv2.dilate(base.astype(np.uint8), disk) > 0) & inner & ~base & (joint > 0)
        if not band.any():
            continue
        if straight is None:
            a = np.maximum(premul[..., 3:4], 1).astype(np.float32) / 255.0
            straight = np.clip(premul[..., :3].astype(np.float32) / a, 0, 255).astype(np.uint8)
        ys, xs = np.nonzero(band)
        pad = k + 12
        y0, y1 = max(int(ys.min()) - pad, 0), int(ys.max()) + pad + 1
        x0, x1 = max(int(xs.min()) - pad, 0), int(xs.max()) + pad + 1
        win = (slice(y0, y1), slice(x0, x1))
        b = band[win].astype(np.uint8)
        # Only the lower part's own pixels are a source (not its outline, not the part over it).
        near = cv2.dilate(b, np.ones((15, 15), np.uint8)) > 0  # all the inpainting's reach looks at
        unknown = b.astype(bool) | (near & (~base[win] | lines[win]))
        painted = cv2.inpaint(straight[win], unknown.astype(np.uint8), 5, cv2.INPAINT_TELEA)
        layer = out[under][win]  # each layer is its own array: painted in place
        layer[b > 0, :3] = painted[b > 0]
        layer[b > 0, 3] = 255
