"""The rig read from the silhouette's shape: its skeleton graph, walked from the body's centre, fitted
to a body plan (see `plan`). Works on any pose and orientation that shows its limbs; only the alpha
mask is read, so a drawing on paper, a flat mascot and a 3D render rig alike."""

from __future__ import annotations

import cv2
import numpy as np
from PIL import Image

from popcon.animation.autorig.edges import hanging_arms
from popcon.animation.autorig.plan import fit
from popcon.animation.autorig.reach import centre_of, tips_from
from popcon.animation.autorig.silhouette import Silhouette, distance
from popcon.animation.autorig.skeleton import skeleton_graph
from popcon.domain.rig import Rig

HEAD_SHARE = 0.5  # a head apart from the body is at least this share of the body's thickness
NECK = 0.8  # a neck is narrower than this share of the head's thickness


def shape_rig(image: Image.Image, sil: Silhouette) -> Rig | None:
    """The rig from the silhouette's shape, or None when its skeleton shows no parts."""
    mask = sil.mask
    dist = distance(mask)
    graph = skeleton_graph(mask, dist)
    centre = centre_of(graph, mask, dist)
    if centre is None:
        return None
    tips = tips_from(graph, centre, dist)
    if len(tips) < 2:
        return None
    body = float(dist[centre])
    c = np.array([centre[1], centre[0]], np.float64)
    found = fit(tips, c, body, mask, _thick_parts(mask, dist, centre, body))
    if found is None or not (found.has_arms or found.has_legs):
        return None
    has_arms, note, joints = found.has_arms, found.note, found.joints
    arms = hanging_arms(*_working_rgb(image, sil), mask, joints) if found.hanging else None
    if arms is not None:
        has_arms, note = True, "arms lie against the body: cut from it along their colour edges"
        joints = {**joints, **arms}
    return Rig(
        width=sil.width,
        height=sil.height,
        source="auto",
        confidence=round(float(np.clip(found.confidence, 0.0, 1.0)), 3),
        has_arms=has_arms,
        has_legs=found.has_legs,
        joints={k: _clip(sil, *sil.to_image(*p)) for k, p in joints.items()},
        note=note,
        plan="four_legs" if found.plan == "four_legs" else "upright",
    )


def _working_rgb(image: Image.Image, sil: Silhouette) -> tuple[np.ndarray, np.ndarray]:
    """The image's colours at the working mask's size, straight (not darkened by the background
    that a shrink mixes into the rim, which would read as an edge all round), and where it is
    painted (the mask before its holes were filled: a ring drawn round nothing is no filled body)."""
    h, w = sil.mask.shape
    rgba = np.asarray(image.convert("RGBA")).astype(np.float32)
    alpha = rgba[..., 3:4] / 255.0
    premul = np.concatenate([rgba[..., :3] * alpha, alpha], axis=2)
    if premul.shape[:2] != (h, w):
        premul = cv2.resize(premul, (w, h), interpolation=cv2.INTER_AREA)
    rgb = premul[..., :3] / np.maximum(premul[..., 3:4], 1e-3)
    return np.clip(rgb, 0, 255).astype(np.uint8), premul[..., 3] >= 0.5


def _thick_parts(
    mask: np.ndarray, dist: np.ndarray, centre: tuple[int, int], body: float
) -> list[tuple[np.ndarray, float]]:
    """Round thick ends apart from the body, even where thinning gave them no branch (a round head):
    a local maximum of the thickness, at least HEAD_SHARE of the body's, that the shape narrows
    towards the body from (a neck) and that the shape ends just past (nothing hangs beyond it)."""
    k = max(3, round(0.3 * body)) | 1
    peaks = (dist >= cv2.dilate(dist, np.ones((k, k), np.uint8))) & (dist >= HEAD_SHARE * body)
    cy, cx = centre
    out = []
    for y, x in zip(*np.nonzero(peaks), strict=True):
        r = float(dist[y, x])
        gap = float(np.hypot(y - cy, x - cx))
        if gap < body + 0.5 * r:
            continue  # the body's own disc
        n = max(2, int(gap))
        ts = np.linspace(0.0, 1.0, n)
        ys = np.round(y + (cy - y) * ts).astype(int)
        xs = np.round(x + (cx - x) * ts).astype(int)
        along = dist[ys, xs]
        if along.min() <= 0 or along[ts < 0.8].min() > NECK * r:
            continue  # leaves the shape on the way, or no neck between it and the body
        if _goes_on(mask, (x, y), ((x - cx) / gap, (y - cy) / gap), r):
            continue  # the shape goes on past it: a thigh, a skirt with legs below, a shoulder
        out.append((np.array([float(x), float(y)]), r))
    return out


def _goes_on(mask: np.ndarray, p: tuple[int, int], away: tuple[float, float], r: float) -> bool:
    """Whether the shape goes on past 1.5 r from `p`, looking away from the body (a fan of rays)."""
    reach = np.arange(int(1.5 * r), int(2.0 * r) + 2)
    for a in np.radians((-20.0, -10.0, 0.0, 10.0, 20.0)):
        ux = away[0] * np.cos(a) - away[1] * np.sin(a)
        uy = away[0] * np.sin(a) + away[1] * np.cos(a)
        xs = np.round(p[0] + ux * reach).astype(int)
        ys = np.round(p[1] + uy * reach).astype(int)
        ok = (ys >= 0) & (ys < mask.shape[0]) & (xs >= 0) & (xs < mask.shape[1])
        if mask[ys[ok], xs[ok]].any():
            return True
    return False


# A standing figure in shares of its bounding box (x from the left, y from the top); "right" is the
# character's right, the image's left. A start for placing joints by hand, never animated by itself.
TEMPLATE: dict[str, tuple[float, float]] = {
    "head_top": (0.5, 0.0),
    "neck": (0.5, 0.24),
    "torso": (0.5, 0.42),
    "hip": (0.5, 0.58),
    "root": (0.5, 0.58),
    "right_shoulder": (0.3, 0.3),
    "right_elbow": (0.2, 0.44),
    "right_hand": (0.12, 0.56),
    "left_shoulder": (0.7, 0.3),
    "left_elbow": (0.8, 0.44),
    "left_hand": (0.88, 0.56),
    "right_hip": (0.4, 0.6),
    "right_knee": (0.38, 0.78),
    "right_foot": (0.36, 0.96),
    "left_hip": (0.6, 0.6),
    "left_knee": (0.62, 0.78),
    "left_foot": (0.64, 0.96),
}


def fitted_template(sil: Silhouette) -> dict[str, tuple[float, float]]:
    """The standing-figure template stretched over the silhouette's bounding box (image pixels)."""
    ys, xs = np.nonzero(sil.mask)
    x0, y0 = sil.to_image(float(xs.min()), float(ys.min()))
    x1, y1 = sil.to_image(float(xs.max()), float(ys.max()))
    return {k: _clip(sil, x0 + fx * (x1 - x0), y0 + fy * (y1 - y0)) for k, (fx, fy) in TEMPLATE.items()}


def _clip(sil: Silhouette, x: float, y: float) -> tuple[float, float]:
    return (round(min(max(x, 0.0), sil.width - 1.0), 1), round(min(max(y, 0.0), sil.height - 1.0), 1))
