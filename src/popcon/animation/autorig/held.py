"""Held objects: a wand, a club, a sword or a broom is a branch of the skeleton too, but no limb.

What tells it apart follows from how such things are drawn, not from one picture: a held object is a
straight run much thinner than the character's legs (a stick figure's arms are as thick as its legs,
so they stay arms), long enough not to be a finger. Where it is along a branch says who holds it:
- past an arm (the run starts well after the root): the arm's hand is where the run starts;
- straight out of the body, pointing away from it (a wand held by a hand lying against the body or a
  wing): the hidden arm's hand is where the run starts;
- out of the body but not pointing away (a club passing behind the body, held at its other end): no
  hand is there; the object is held where a visible arm ends (both hands on one grip).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from popcon.animation.autorig.reach import Point, Tip
from popcon.animation.autorig.silhouette import dilate

THIN = 0.5  # a held object is thinner than this share of the legs' half-thickness
STRAIGHT = 0.9  # ... and its chord is at least this share of its length
MIN_RUN = 0.25  # ... over at least this share of its branch (and three leg widths)
ARM_PART = 0.4  # a run starting this far along its branch is held at the end of an arm


@dataclass(frozen=True)
class Held:
    """A held object on a branch: where it starts (the grip, when a hand is there) and whether a hand
    holds it there (False: it passes behind the body and the grip is elsewhere)."""

    grip: Point
    hand_there: bool
    on_arm: bool  # the branch is an arm ending in the object (else the object alone)


def dense(path: np.ndarray) -> np.ndarray:
    """A walk (x, y points) with no gaps. Thinning leaves the staircase of a thin part (a stick, a wand)
    as one junction node, so the walk jumps across it; the pixels on the straight line between are
    filled in, so the widths along the walk see the thin part."""
    pts = np.round(path).astype(np.int32)
    if len(pts) < 2:
        return pts
    gaps = np.abs(np.diff(pts, axis=0)).max(1)
    out = [pts[:1]]
    for a, b, g in zip(pts[:-1], pts[1:], gaps, strict=True):
        if g > 1:
            ts = np.arange(1, g)[:, None] / g
            out.append(np.round(a + (b - a) * ts).astype(np.int32))
        out.append(b[None])
    return np.concatenate(out)


def stick_run(t: Tip, ref: float, dist: np.ndarray) -> tuple[np.ndarray, int, int] | None:
    """The branch's walk past its root with no gaps, and the indices [a, b) into it of its longest
    straight run thinner than THIN of `ref` (the legs' half-thickness); None when it holds no such run.
    `dist` is the silhouette's distance to the outside."""
    pts = dense(t.outer)
    widths = dist[pts[:, 1], pts[:, 0]]
    thin = np.r_[False, widths < THIN * ref, False]
    edges = np.flatnonzero(np.diff(thin.astype(np.int8)))
    if not len(edges):
        return None
    starts, stops = edges[::2], edges[1::2]
    k = int(np.argmax(stops - starts))
    a, b = int(starts[k]), int(stops[k])
    seg = pts[a:b].astype(np.float64)
    if len(seg) < 2:
        return None
    arc = float(np.hypot(*np.diff(seg, axis=0).T).sum())
    chord = float(np.hypot(*(seg[-1] - seg[0])))
    if arc < max(3.0 * ref, MIN_RUN * t.length) or chord < STRAIGHT * arc:
        return None
    return pts.astype(np.float64), a, b


def held_object(t: Tip, ref: float, dist: np.ndarray, ends: list[Point]) -> Held | None:
    """The object a branch is (or ends in), or None when the branch is a plain limb. `ends`: the far
    ends of the other branches that may be arms (where a club passing behind the body comes out)."""
    run = stick_run(t, ref, dist)
    if run is None:
        return None
    pts, a, b = run
    steps = np.r_[0.0, np.cumsum(np.hypot(*np.diff(pts, axis=0).T))]
    total = float(steps[-1])
    if total > 0 and steps[a] >= ARM_PART * total:
        return Held((float(pts[a, 0]), float(pts[a, 1])), True, True)
    start, end = pts[a], pts[b - 1]
    behind = any(_on_line(dist > 0, start, start - end, np.asarray(e), ref) for e in ends)
    return Held((float(start[0]), float(start[1])), not behind, False)


def _on_line(mask: np.ndarray, start: np.ndarray, back: np.ndarray, end: np.ndarray, ref: float) -> bool:
    """Whether `end` (another branch's far end) lies on the object's line carried on back from `start`
    (within three leg widths of it) and that line stays inside the silhouette up to there: the object
    passes behind the body and comes out at that branch."""
    n = float(np.hypot(*back))
    if n < 1e-6:
        return False
    u = back / n
    rel = end - start
    along = float(rel @ u)
    if along <= 0 or abs(float(rel[0] * u[1] - rel[1] * u[0])) > 3.0 * ref:
        return False
    ts = np.linspace(0.0, along, max(2, int(along)))
    xs = np.round(start[0] + u[0] * ts).astype(int)
    ys = np.round(start[1] + u[1] * ts).astype(int)
    ok = (xs >= 0) & (xs < mask.shape[1]) & (ys >= 0) & (ys < mask.shape[0])
    if not ok.all():
        return False
    # Within half a leg's width of the silhouette (a thin object drawn a pixel off its own line).
    near = dilate(mask, max(1, round(0.5 * ref)))
    return bool(near[ys, xs].mean() >= 0.8)
