"""Part proposals for a click: the region under it, the limb it belongs to, the whole character.

Why: one click is ambiguous (a hand, the arm, the character). Like SAM's multi-mask answer, the click
gets a short list of nested masks the user cycles through. They are built from the frame's own structure,
never from knowledge of how it was drawn:
- colour regions: connected runs of flat colour inside the cut-out; thin elongated runs (ink outlines)
  and edge pixels are shared out to the nearest region, so a region owns its half of each stroke; touching
  regions of nearly the same colour merge;
- enclosure: a region together with everything it encloses (a face with its eyes);
- the cut-out's topology: what a morphological opening at the click's own thickness removes is the
  protrusion the click sits on (an arm or a foot sticking out of the body), snapped to whole regions;
- the connected piece of the cut-out under the click.
Everything runs on the segmenter's working-scale image (a few ms).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

__all__ = ["Structure", "frame_choices", "frame_structure", "openings", "part_masks", "structure"]

FLAT = 9.0  # Lab morphological gradient below which a pixel is inside a flat colour run
SAME = 9.0  # mean Lab distance under which two touching regions are one colour
THIN = 2.5  # a run this much thinner than its neighbours and elongated is a stroke, not a region


SIDE = 400  # working size of the character's box: strokes stay a few pixels wide
MAX_CHOICES = 6


@dataclass(frozen=True)
class Structure:
    """Regions of the cut-out in a working-scale crop around it: `labels` 0 outside, 1..n inside."""

    mask: np.ndarray  # bool, the cut-out (crop, working scale)
    labels: np.ndarray  # int32
    n: int
    groups: tuple[frozenset[int], ...] = ()  # regions merged by attachment, in merge order
    box: tuple[int, int, int, int] = (0, 0, 0, 0)  # x0, y0, x1, y1 of the crop in frame pixels
    scale: float = 1.0
    # Openings of the mask by discs of RADII[i]: pixel p survives opening i when thick[p] > i (openings
    # by growing discs are nested, so one small map holds them all).
    thick: np.ndarray | None = None


def frame_structure(rgb: np.ndarray, alpha: np.ndarray) -> Structure | None:
    """The structure of the cut-out `alpha` (float 0..1, frame size) of the RGB frame; None when the
    cut-out is empty."""
    solid = alpha > 0.5
    ys, xs = np.nonzero(solid)
    if not len(xs):
        return None
    h, w = solid.shape
    pad = 4
    x0, y0 = max(0, int(xs.min()) - pad), max(0, int(ys.min()) - pad)
    x1, y1 = min(w, int(xs.max()) + pad + 1), min(h, int(ys.max()) + pad + 1)
    scale = min(1.0, SIDE / max(x1 - x0, y1 - y0))
    size = (max(8, round((x1 - x0) * scale)), max(8, round((y1 - y0) * scale)))
    crop = np.ascontiguousarray(rgb[y0:y1, x0:x1])
    small = cv2.cvtColor(cv2.resize(crop, size, interpolation=cv2.INTER_AREA), cv2.COLOR_RGB2BGR)
    small = cv2.GaussianBlur(small, (3, 3), 0.8)
    a = cv2.resize(alpha[y0:y1, x0:x1].astype(np.float32), size, interpolation=cv2.INTER_AREA)
    st = structure(small, a > 0.5)
    return Structure(st.mask, st.labels, st.n, st.groups, (x0, y0, x1, y1), scale, openings(st.mask))


def structure(small_bgr: np.ndarray, mask: np.ndarray) -> Structure:
    """Colour regions of the cut-out `mask` (bool) of the working-scale image."""
    m8 = mask.astype(np.uint8)
    lab = cv2.cvtColor(small_bgr, cv2.COLOR_BGR2LAB).astype(np.float32)
    k = np.ones((3, 3), np.uint8)
    grad = cv2.morphologyEx(lab, cv2.MORPH_GRADIENT, k).max(-1)
    flat = ((grad < FLAT) & mask).astype(np.uint8)
    n, comp = cv2.connectedComponents(flat, connectivity=4)
    if n <= 1:
        return Structure(mask, m8.astype(np.int32), int(mask.any()))
    # Thickness and size of each run: strokes (thin, long) and crumbs do not make regions of their own.
    dist = cv2.distanceTransform(flat, cv2.DIST_L2, 3)
    radius = np.zeros(n, np.float32)
    np.maximum.at(radius, comp.ravel(), dist.ravel())
    area = np.bincount(comp.ravel(), minlength=n).astype(np.float32)
    big_r = float(np.percentile(radius[1:][area[1:] >= 4], 90)) if (area[1:] >= 4).any() else 1.0
    stroke = (radius <= max(1.5, big_r / THIN)) & (area >= 12.0 * np.maximum(radius, 1.0) ** 2)
    crumb = area < max(6.0, 0.00005 * float(mask.sum()))
    site = ~(stroke | crumb)
    site[0] = False
    if not site[1:].any():
        return Structure(mask, m8.astype(np.int32), 1)
    keep = site[comp]
    labels = _nearest(comp, keep, mask)
    labels = _merge_alike(labels, lab, mask)
    labels, nl = _relabel(labels)
    return Structure(mask, labels, nl, _attachments(labels, nl))


def _nearest(comp: np.ndarray, keep: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Every cut-out pixel takes the label of the nearest kept run (strokes split along their middle)."""
    src = np.where(keep, 0, 255).astype(np.uint8)
    _, idx = cv2.distanceTransformWithLabels(src, cv2.DIST_L2, 3, labelType=cv2.DIST_LABEL_PIXEL)
    ys, xs = np.nonzero(keep)
    lut = np.zeros(len(ys) + 1, np.int32)
    lut[1:] = comp[ys, xs]  # pixel sites are numbered in row-major order of the zero pixels
    out = lut[idx]
    out[~mask] = 0
    return out


def _merge_alike(labels: np.ndarray, lab: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Merge touching regions whose mean colours are nearly equal (one run broken by noise or a seam),
    unless their border has a colour of its own: a drawn line between them means two parts."""
    n = int(labels.max()) + 1
    cnt = np.bincount(labels.ravel(), minlength=n).astype(np.float64)
    mean = (
        np.stack(
            [np.bincount(labels.ravel(), weights=lab[..., c].ravel(), minlength=n) for c in range(3)], -1
        )
        / np.maximum(cnt, 1)[:, None]
    )
    pairs, border = _adjacent(labels, lab)
    parent = np.arange(n)

    def find(a: int) -> int:
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = int(parent[a])
        return a

    for (a, b), line in zip(pairs, border, strict=True):
        both = (mean[a] + mean[b]) / 2
        if np.linalg.norm(mean[a] - mean[b]) < SAME and np.linalg.norm(line - both) < 2 * SAME:
            ra, rb = find(int(a)), find(int(b))
            if ra != rb:
                parent[max(ra, rb)] = min(ra, rb)
    roots = np.array([find(i) for i in range(n)])
    out = roots[labels]
    out[~mask] = 0
    return out.astype(np.int32)


def _adjacent(labels: np.ndarray, lab: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pairs (a, b), a < b, of non-zero labels that touch horizontally or vertically, and the mean
    colour of the pixels on each pair's border."""
    a = np.concatenate([labels[:, :-1].ravel(), labels[:-1].ravel()])
    b = np.concatenate([labels[:, 1:].ravel(), labels[1:].ravel()])
    on = np.concatenate([(lab[:, :-1] + lab[:, 1:]).reshape(-1, 3), (lab[:-1] + lab[1:]).reshape(-1, 3)]) / 2
    sel = (a != b) & (a > 0) & (b > 0)
    if not sel.any():
        return np.zeros((0, 2), np.int64), np.zeros((0, 3))
    n = int(labels.max()) + 1
    key = np.minimum(a[sel], b[sel]).astype(np.int64) * n + np.maximum(a[sel], b[sel])
    keys, inv = np.unique(key, return_inverse=True)
    cnt = np.bincount(inv)
    colour = np.stack([np.bincount(inv, weights=on[sel][:, c]) for c in range(3)], -1) / cnt[:, None]
    return np.stack([keys // n, keys % n], -1), colour


def _relabel(labels: np.ndarray) -> tuple[np.ndarray, int]:
    ids, inv = np.unique(labels, return_inverse=True)
    inv = inv.reshape(labels.shape).astype(np.int32)
    if ids[0] != 0:
        inv += 1
    return inv, int(inv.max())


def _attachments(labels: np.ndarray, n: int) -> tuple[frozenset[int], ...]:
    """Group regions bottom-up, the most attached pair first: a small region whose inner border runs
    mostly along one neighbour (an eye in a face, a paw at the end of a sleeve) joins it early; two big
    regions that only touch along part of their borders (an arm beside the body) join late.

    Returns every merged group in merge order; a click's chain of parts is the groups holding its region.
    """
    a = np.concatenate([labels[:, :-1].ravel(), labels[:-1].ravel()])
    b = np.concatenate([labels[:, 1:].ravel(), labels[1:].ravel()])
    sel = a != b
    key = np.minimum(a[sel], b[sel]).astype(np.int64) * (n + 1) + np.maximum(a[sel], b[sel])
    keys, counts = np.unique(key, return_counts=True)
    area = np.bincount(labels.ravel(), minlength=n + 1).astype(np.float64)
    border: dict[int, dict[int, float]] = {i: {} for i in range(1, n + 1)}
    for k, c in zip(keys.tolist(), counts.tolist(), strict=True):
        i, j = divmod(k, n + 1)
        if i > 0 and j > 0:
            border[i][j] = border[i].get(j, 0.0) + c
            border[j][i] = border[j].get(i, 0.0) + c
    members = {i: frozenset([i]) for i in range(1, n + 1)}
    size = {i: float(area[i]) for i in range(1, n + 1)}
    groups: list[frozenset[int]] = []
    while True:
        best: tuple[float, int, int] | None = None
        for i, nb in border.items():
            inner_i = sum(nb.values())
            for j, s in nb.items():
                if j <= i:
                    continue
                small, inner = (i, inner_i) if size[i] <= size[j] else (j, sum(border[j].values()))
                cost = size[small] * (1.0 - s / max(inner, 1.0) + 0.05)
                if best is None or cost < best[0]:
                    best = (cost, i, j)
        if best is None:
            return tuple(groups)
        _, i, j = best
        for k, s in border.pop(j).items():  # j joins i
            border[k].pop(j, None)
            if k != i:
                border[i][k] = border[i].get(k, 0.0) + s
                border[k][i] = border[k].get(i, 0.0) + s
        border[i].pop(j, None)
        members[i] = members[i] | members.pop(j)
        size[i] += size.pop(j)
        groups.append(members[i])


def _fill_holes(region: np.ndarray) -> np.ndarray:
    """The region plus everything it encloses."""
    h, w = region.shape
    pad = np.zeros((h + 2, w + 2), np.uint8)
    pad[1:-1, 1:-1] = region
    ff = np.zeros((h + 4, w + 4), np.uint8)
    cv2.floodFill(pad, ff, (0, 0), 2)
    return (pad[1:-1, 1:-1] != 2) | region.astype(bool)


RADII = tuple(1.5 * 1.25**i for i in range(24))  # disc radii of the openings, working-scale px


def openings(mask: np.ndarray) -> np.ndarray:
    """uint8 map: how many of the openings by discs of RADII keep each pixel of the mask."""
    m8 = np.pad(mask.astype(np.uint8), 1)
    dist = cv2.distanceTransform(m8, cv2.DIST_L2, 5)
    top = float(dist.max())
    thick = np.zeros(m8.shape, np.uint8)
    for i, r in enumerate(RADII):
        if r >= top:
            break
        centres = (dist >= r).astype(np.uint8)
        reach = cv2.distanceTransform(1 - centres, cv2.DIST_L2, 5)
        thick[(reach <= r) & (m8 > 0)] = i + 1
    return thick[1:-1, 1:-1]


def _protrusions(mask: np.ndarray, thick: np.ndarray, y: int, x: int) -> list[np.ndarray]:
    """The limbs the point sits on, smallest first: what openings wider than the point's own thickness
    remove around it.

    Why: an arm or a foot is a part of the silhouette thinner than the body it hangs from. An opening
    with a disc of radius r keeps every place a disc that size fits; the point's piece of what it
    removes is the protrusion, cut where the shape widens past r. Growing r walks up the limb (a paw,
    then the arm) until the piece would be most of the character.
    """
    total = float(mask.sum())
    out: list[np.ndarray] = []
    for i in range(int(thick[y, x]), int(thick.max())):
        rest = mask & (thick <= i)  # what opening i removes
        _, comp = cv2.connectedComponents(rest.astype(np.uint8), connectivity=8)
        part = comp == comp[y, x]
        if part.sum() > 0.5 * total:
            break
        if not out or part.sum() > 1.15 * out[-1].sum():
            out.append(part)
    return out


def part_masks(st: Structure, points: np.ndarray, positive: np.ndarray) -> list[np.ndarray]:
    """Nested choices (bool masks at working scale, smallest first) for the clicks.

    Each positive click on the cut-out gives its chain (region, region with what it encloses, limb,
    connected piece); a choice that would take a negative click is dropped. Several positive clicks
    combine level by level. Empty when no positive click lands on the cut-out.
    """
    h, w = st.labels.shape
    pts = [
        (int(np.clip(round(float(x)), 0, w - 1)), int(np.clip(round(float(y)), 0, h - 1))) for x, y in points
    ]
    neg = [(x, y) for (x, y), p in zip(pts, positive, strict=True) if not p]
    chains: list[list[np.ndarray]] = []
    _, pieces = cv2.connectedComponents(st.mask.astype(np.uint8), connectivity=8)
    for (x, y), p in zip(pts, positive, strict=True):
        if not p or not st.labels[y, x]:
            continue
        region = st.labels == st.labels[y, x]
        chain = [region, _fill_holes(region) & st.mask]
        rid = int(st.labels[y, x])
        chain += _groups_of(st, rid)
        pair = _best_pair(st, rid)
        if pair is not None:
            chain.append(pair)
        thick = st.thick if st.thick is not None else openings(st.mask)
        chain += [_snap(st, limb, region) for limb in _protrusions(st.mask, thick, y, x)]
        chain.append(pieces == pieces[y, x])
        chain = [c for c in chain if not any(c[ny, nx] for nx, ny in neg)]
        if chain:
            chains.append(_distinct(sorted(chain, key=lambda c: int(c.sum()))))
    if not chains:
        return []
    levels = max(len(c) for c in chains)
    out = []
    for i in range(levels):
        u = np.zeros((h, w), bool)
        for c in chains:
            u |= c[min(i, len(c) - 1)]
        out.append(u)
    out = _distinct(out)
    # The small end of the chain holds the parts one means; the last is the whole piece.
    return out if len(out) <= MAX_CHOICES else out[: MAX_CHOICES - 1] + out[-1:]


def frame_choices(
    st: Structure, alpha_box: np.ndarray, shape: tuple[int, int], xy: np.ndarray, positive: np.ndarray
) -> list[np.ndarray]:
    """`part_masks` for clicks in frame pixels, as float32 masks of the frame's `shape` carrying the
    cut-out's own soft edge where a part meets the background (the inner cuts between parts are hard).
    `alpha_box` is the cut-out's alpha (0..1) inside `st.box`."""
    x0, y0, x1, y1 = st.box
    sxy = (xy - np.array([x0, y0], np.float32)) * np.float32(st.scale)
    out = []
    ring = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (5, 5))
    soft = alpha_box < 0.94
    for m in part_masks(st, sxy, positive):
        up = cv2.resize(m.astype(np.uint8) * 255, (x1 - x0, y1 - y0), interpolation=cv2.INTER_LINEAR) > 127
        grown = up | ((cv2.dilate(up.view(np.uint8), ring) > 0) & soft)
        full = np.zeros(shape, np.float32)
        full[y0:y1, x0:x1] = np.where(grown, alpha_box, 0.0)
        out.append(full)
    return out


def _best_pair(st: Structure, rid: int, within: float = 4.0) -> np.ndarray | None:
    """The region joined with the neighbour of comparable size that makes the most solid shape
    (area / convex hull area): a sleeve and its paw make a capsule, a paw and the big tail it lies on
    do not qualify, a sleeve and the hood around it make a ragged shape."""
    area = np.bincount(st.labels.ravel(), minlength=st.n + 1)
    region = st.labels == rid
    ring = cv2.dilate(region.astype(np.uint8), np.ones((3, 3), np.uint8)) > 0
    best, best_solid = None, 0.0
    for nb in np.unique(st.labels[ring & ~region]).tolist():
        if nb == 0 or not (area[rid] / within <= area[nb] <= area[rid] * within):
            continue
        both = region | (st.labels == nb)
        pts = cv2.findNonZero(both.astype(np.uint8))
        hull = float(cv2.contourArea(cv2.convexHull(pts)))
        solid = float(both.sum()) / max(hull, 1.0)
        if solid > best_solid:
            best, best_solid = both, solid
    return best


def _groups_of(st: Structure, rid: int, grow: float = 1.15) -> list[np.ndarray]:
    """The merged groups holding region `rid`, each at least `grow` times the last one kept (a group
    that only adds a crumb is no new choice)."""
    area = np.bincount(st.labels.ravel(), minlength=st.n + 1)
    out, last = [], float(area[rid])
    for g in st.groups:
        if rid not in g:
            continue
        ids = np.fromiter(g, np.int64)
        size = float(area[ids].sum())
        if size < grow * last:
            continue
        lut = np.zeros(st.n + 1, bool)
        lut[ids] = True
        out.append(lut[st.labels])
        last = size
    return out


def _snap(st: Structure, part: np.ndarray, seed: np.ndarray) -> np.ndarray:
    """A shape-derived part made of whole regions: those mostly inside it, and the clicked one."""
    ids = st.labels[part]
    inside = np.bincount(ids, minlength=st.n + 1)
    total = np.bincount(st.labels.ravel(), minlength=st.n + 1)
    chosen = np.flatnonzero(inside * 2 > total)
    chosen = chosen[chosen > 0]
    return np.isin(st.labels, chosen) | seed


def _distinct(masks: list[np.ndarray], same: float = 0.92) -> list[np.ndarray]:
    """Drop empty masks and any mask nearly equal (IoU) to one kept before it."""
    kept: list[np.ndarray] = []
    for m in masks:
        if not m.any():
            continue
        if any((m & k).sum() / max(1, (m | k).sum()) >= same for k in kept):
            continue
        kept.append(m)
    return kept
