"""What stands out of a silhouette: every tip of its skeleton graph, walked from the body's centre.

Each tip is followed back to the body's centre along the skeleton; the width along that walk says what
it is. A limb's root is where the width drops below the body's (the shoulder, the hip); a head is a
thick blob at the end of its walk, most often past a narrower neck; hair, ears, horns and antennae end
in the head's blob. Nothing here names a part: `labels` does that with a body plan.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np

from popcon.animation.autorig.skeleton import Graph

Point = tuple[float, float]  # (x, y) in working pixels

ROOT_DROP = 0.6  # a limb starts where the width falls below this share of the body's
BLOB_SHARE = 0.55  # a head is at least this share of the body's thickness


@dataclass(frozen=True)
class Tip:
    """One tip of the skeleton with its walk from the body's centre (x, y points)."""

    path: np.ndarray  # (n, 2) float, from the centre to the tip
    widths: np.ndarray  # half-thickness along the path
    root_at: int  # index where the width drops (the limb's root)
    blob_at: int  # index of the last thick blob on the walk (-1: none beyond the body)

    @property
    def tip(self) -> Point:
        return (float(self.path[-1, 0]), float(self.path[-1, 1]))

    @property
    def root(self) -> Point:
        return (float(self.path[self.root_at, 0]), float(self.path[self.root_at, 1]))

    @property
    def outer(self) -> np.ndarray:
        return self.path[self.root_at :]

    @property
    def length(self) -> float:
        """Length walked from the root to the tip."""
        return _walk(self.outer)

    @property
    def width(self) -> float:
        """Median half-thickness past the root."""
        return float(np.median(self.widths[self.root_at :]))

    def at_length(self, share: float) -> Point:
        """The point at `share` of the walk from the root to the tip."""
        pts = self.outer
        if len(pts) < 2:
            return self.tip
        steps = np.r_[0.0, np.cumsum(np.hypot(*np.diff(pts, axis=0).T))]
        i = int(np.searchsorted(steps, share * steps[-1]))
        i = min(i, len(pts) - 1)
        return (float(pts[i, 0]), float(pts[i, 1]))


def _walk(pts: np.ndarray) -> float:
    return float(np.hypot(*np.diff(pts, axis=0).T).sum()) if len(pts) > 1 else 0.0


def _pixels(g: Graph) -> dict[tuple[int, int], list[tuple[int, int]]]:
    adj: dict[tuple[int, int], list[tuple[int, int]]] = {}
    for br in g.branches:
        for p, q in zip(br.path, br.path[1:], strict=False):
            if p == q:
                continue
            adj.setdefault(p, []).append(q)
            adj.setdefault(q, []).append(p)
    return adj


def centre_of(g: Graph, mask: np.ndarray, dist: np.ndarray) -> tuple[int, int] | None:
    """The skeleton pixel at the body's centre: among the thick skeleton pixels (at least half the
    thickest), the one nearest the silhouette's centroid."""
    adj = _pixels(g)
    if not adj:
        return None
    pts = np.array(list(adj), np.int32)
    d = dist[pts[:, 0], pts[:, 1]]
    ys, xs = np.nonzero(mask)
    cy, cx = float(ys.mean()), float(xs.mean())
    thick = d >= 0.5 * float(d.max())
    cand = pts[thick]
    k = int(np.argmin(np.hypot(cand[:, 0] - cy, cand[:, 1] - cx)))
    return (int(cand[k, 0]), int(cand[k, 1]))


def tips_from(g: Graph, centre: tuple[int, int], dist: np.ndarray) -> list[Tip]:
    """Every tip of the graph, walked from `centre`."""
    adj = _pixels(g)
    parent: dict[tuple[int, int], tuple[int, int] | None] = {centre: None}
    queue = deque([centre])
    while queue:
        p = queue.popleft()
        for q in adj.get(p, []):
            if q not in parent:
                parent[q] = p
                queue.append(q)
    body = float(dist[centre])
    out: list[Tip] = []
    for n in g.tips():
        node = g.nodes[n]
        if node not in parent or node == centre:
            continue
        chain: list[tuple[int, int]] = []
        cur: tuple[int, int] | None = node
        while cur is not None:
            chain.append(cur)
            cur = parent[cur]
        chain.reverse()
        yx = np.asarray(chain, np.int32)
        widths = dist[yx[:, 0], yx[:, 1]].astype(np.float32)
        path = yx[:, ::-1].astype(np.float32)
        root_at = _root_index(widths, body)
        out.append(Tip(path, widths, root_at, _blob_index(path, widths, body, root_at)))
    return out


def _root_index(widths: np.ndarray, body: float) -> int:
    """The first point of the walk thinner than the body by ROOT_DROP (the last point when none is)."""
    thin = np.nonzero(widths < ROOT_DROP * body)[0]
    return int(thin[0]) if len(thin) else len(widths) - 1


def _blob_index(path: np.ndarray, widths: np.ndarray, body: float, root_at: int) -> int:
    """The last thick blob of the walk that lies past the body (a head), or -1.

    A blob is a local maximum of the width at least BLOB_SHARE of the body's. It is a head's when the
    walk narrows before it (a neck) and the blob sits just past that narrowing, or the head sits on a thick
    neck; either way nothing long hangs past it (the walk ends inside it, or in an ear or a horn)."""
    n = len(widths)
    if n < 3:
        return -1
    steps = np.r_[0.0, np.cumsum(np.hypot(*np.diff(path, axis=0).T))]
    total = float(steps[-1])
    for i in range(n - 2, 0, -1):
        w = float(widths[i])
        if w < BLOB_SHARE * body or widths[i + 1] > w or widths[i - 1] > w:
            continue
        if steps[i] < body + 0.5 * w:
            return -1  # still inside the body's own disc
        rest = total - steps[i]
        if rest > 2.0 * w + 2.0 or rest > 2.5 * float(np.median(widths[i:])) + w:
            return -1  # something long hangs past it: a thigh or a shoulder, not a head
        if root_at < i and steps[i] - steps[root_at] > 3.0 * w:
            return -1  # far past the narrowing: a foot or a hand at the end of a limb
        if root_at > i and total - steps[root_at] > w:
            return -1  # the walk narrows past it into a limb: a hip or a shoulder, not a head
        return i
    return -1
