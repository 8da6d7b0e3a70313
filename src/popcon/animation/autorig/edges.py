"""Where touching parts meet: the colour edges between them, for limbs the silhouette does not show.

An arm that hangs against the body (a 3D figure standing at ease) leaves no notch in the silhouette
between arm and torso, so distances to the bones cut straight through the arm or the shirt. The two
parts differ in colour or shading along a line, though (skin against a shirt, a sleeve's shadow). A
watershed from seeds that are surely each part (a limb's core round its bone, the torso away from the
limb), flooded over the colour gradient, puts the cut on the strongest edge between them (`split_by_
edges`). How clear that edge is, against the colour changes inside the arm, whether the arm keeps
one width down its length and whether it ends in a hand say whether an arm is really there
(`hanging_arms`).
"""

from __future__ import annotations

import cv2
import numpy as np
from scipy import ndimage


def colour_gradient(rgb: np.ndarray, solid: np.ndarray) -> np.ndarray:
    """The colour change at each pixel (the largest Sobel magnitude over L, a and b), float32. Pixels
    outside `solid` take their nearest solid colour first, so the silhouette's own rim is no edge."""
    img = np.ascontiguousarray(rgb[..., :3]).astype(np.uint8)
    if not solid.all() and solid.any():
        _, idx = ndimage.distance_transform_edt(~solid, return_indices=True)
        img = img[idx[0], idx[1]]
    lab = cv2.cvtColor(cv2.GaussianBlur(img, (3, 3), 0), cv2.COLOR_RGB2LAB).astype(np.float32)
    grad = np.zeros(solid.shape, np.float32)
    for c in range(3):
        gx = cv2.Sobel(lab[..., c], cv2.CV_32F, 1, 0, ksize=3)
        gy = cv2.Sobel(lab[..., c], cv2.CV_32F, 0, 1, ksize=3)
        grad = np.maximum(grad, cv2.magnitude(gx, gy))
    return grad


def split_by_edges(grad: np.ndarray, solid: np.ndarray, seeds: np.ndarray, levels: int = 32) -> np.ndarray:
    """Every solid pixel labelled with the seed (labels 1..n in `seeds`, 0 undecided) that reaches it
    over the lowest ridge of `grad`: borders between seeds fall on the strongest edges between them.
    A flood by levels: at each level every region grows, a ring at a time, into the undecided pixels
    no steeper than that level. Pixels outside `solid`, and any no seed reaches, are 0."""
    ys, xs = np.nonzero(solid & (seeds == 0))
    out = np.where(solid, seeds, 0).astype(np.float32)
    if not len(ys):
        return out.astype(np.int32)
    # Work in the box of the undecided pixels (one pixel wider: the seeds beside them are in it).
    y0, y1 = max(int(ys.min()) - 1, 0), int(ys.max()) + 2
    x0, x1 = max(int(xs.min()) - 1, 0), int(xs.max()) + 2
    lab = np.ascontiguousarray(out[y0:y1, x0:x1])
    free = solid[y0:y1, x0:x1] & (lab == 0)
    g = grad[y0:y1, x0:x1]
    inside = grad[solid]
    scale = float(np.percentile(inside, 98)) if inside.size else 1.0
    # A square root spreads the weak shading changes over more levels, so the cut between two faint
    # edges still follows the stronger one.
    level = np.sqrt(np.clip(g / max(scale, 1e-6), 0.0, 1.0)) * (levels - 1)
    level = np.round(level).astype(np.int16)
    kernel = np.ones((3, 3), np.uint8)
    for lv in range(levels):
        allowed = free & (level <= lv)
        while True:
            grown = cv2.dilate(lab, kernel)
            new = allowed & (lab == 0) & (grown > 0)
            if not new.any():
                break
            lab[new] = grown[new]
    out[y0:y1, x0:x1] = lab
    return out.astype(np.int32)


ARM_EDGE = 2.5  # an arm against the body is told from it by an edge this many times the parts' texture


def hanging_arms(
    rgb: np.ndarray, painted: np.ndarray, mask: np.ndarray, joints: dict[str, tuple[float, float]]
) -> dict[str, tuple[float, float]] | None:
    """Arms placed against an upright body's sides (working pixels), found in the colours: on each
    row from shoulder to hand, the arm runs from the silhouette's outer edge to the strongest colour
    change within twice the placed joint's inset. They are parts of their own only where that change
    is clear against the colour changes inside them (a body whose sides are its own colour shows none),
    keeps nearly one width down the arm, and ends in a hand (an open jacket's side runs on into the
    trousers). The edge must part two filled regions: a row whose scan crosses unpainted pixels
    (`painted` is the opaque mask before holes were filled) is no arm against a body but a line
    drawing's stroke beside its empty inside (a head drawn as a ring, a stick figure). Gives the
    joints moved to the arms' middles, or None."""
    solid = painted & mask
    grad = colour_gradient(rgb, solid)
    out: dict[str, tuple[float, float]] = {}
    for side, sign in (("right", 1), ("left", -1)):
        names = [f"{side}_{k}" for k in ("shoulder", "elbow", "hand")]
        y0, y1 = round(joints[names[0]][1]), round(joints[names[2]][1])
        widths: list[int] = []
        ratios: list[float] = []
        for y in range(max(y0, 0), min(y1, mask.shape[0] - 1) + 1):
            cols = np.nonzero(mask[y])[0]
            if len(cols) < 4:
                continue
            edge = int(cols[0]) if sign > 0 else int(cols[-1])
            inset = abs(joints[names[1]][0] - edge)
            reach = int(min(2.0 * inset + 2, 0.45 * len(cols)))
            if reach < 4:
                continue
            if not solid[y, edge + sign * np.arange(reach + 1)].all():
                continue  # the scan leaves the paint: a stroke round an empty inside, no body
            xs = edge + sign * np.arange(2, reach)
            prof = grad[y, xs]
            k = int(np.argmax(prof))
            inner = np.r_[prof[: max(k - 1, 0)], prof[k + 2 :]]
            widths.append(k + 2)
            ratios.append(float(prof[k]) / max(float(np.median(inner)) if len(inner) else 0.0, 1.0))
        if len(widths) < 5:
            return None
        w = np.asarray(widths, np.float32)
        steady = float(np.median(np.abs(w - np.median(w)))) <= 0.25 * float(np.median(w))
        if float(np.median(ratios)) < ARM_EDGE or not steady:
            return None
        if not _hand_ends(mask, sign, round(joints[names[1]][1]), y1, float(np.median(w))):
            return None
        half = 0.5 * float(np.median(w))
        for n in names:
            y = min(max(round(joints[n][1]), 0), mask.shape[0] - 1)
            cols = np.nonzero(mask[y])[0]
            if not len(cols):
                return None
            outer = float(cols[0]) if sign > 0 else float(cols[-1])
            out[n] = (outer + sign * half, joints[n][1])
    return out


def _hand_ends(mask: np.ndarray, sign: int, top: int, hand: int, width: float) -> bool:
    """Whether the silhouette's side steps inward by most of an arm's width somewhere from the elbow
    to a little below the hand: the hand ends there and the hip or thigh goes on inside it."""
    edges: list[float] = []
    for y in range(max(top, 0), min(hand + round(3 * width), mask.shape[0] - 1) + 1):
        cols = np.nonzero(mask[y])[0]
        if len(cols):
            edges.append(float(cols[0]) if sign > 0 else -float(cols[-1]))
    e = np.asarray(edges)
    steps = e[3:] - e[:-3]  # over three rows: a rounded hand's end is a step spread over a few
    return bool(len(steps) and steps.max() >= 0.6 * width)
