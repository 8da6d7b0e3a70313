"""The skeleton graph of a silhouette: its branches, their ends, lengths, widths and directions.

A shape's medial line (thinned to one pixel, 8-connected) is a tree for a solid silhouette: every arm,
leg, head, tail or wing is a branch that ends at a tip, and the branches meet at junctions inside the
body. Small bumps of the outline make short spurs; a spur that stays inside the inscribed disc of the
junction it leaves is noise and is pruned, so what is left follows the shape's parts at any scale.

Thinning is Zhang and Suen's two-step rule, run on the whole mask at once with a 256-entry table.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np

# Neighbour weights, clockwise from north: P2..P9 of the Zhang-Suen rule.
_OFFSETS = ((-1, 0), (-1, 1), (0, 1), (1, 1), (1, 0), (1, -1), (0, -1), (-1, -1))
_KERNEL = np.zeros((3, 3), np.float32)
for _i, (_dy, _dx) in enumerate(_OFFSETS):
    _KERNEL[1 + _dy, 1 + _dx] = float(1 << _i)


def _tables() -> tuple[np.ndarray, np.ndarray]:
    first = np.zeros(256, bool)
    second = np.zeros(256, bool)
    for code in range(256):
        p = [(code >> i) & 1 for i in range(8)]
        b = sum(p)
        a = sum(1 for i in range(8) if p[i] == 0 and p[(i + 1) % 8] == 1)
        if not (2 <= b <= 6 and a == 1):
            continue
        p2, p4, p6, p8 = p[0], p[2], p[4], p[6]
        first[code] = p2 * p4 * p6 == 0 and p4 * p6 * p8 == 0
        second[code] = p2 * p4 * p8 == 0 and p2 * p6 * p8 == 0
    return first, second


_FIRST, _SECOND = _tables()


def _codes(img: np.ndarray) -> np.ndarray:
    return cv2.filter2D(img, cv2.CV_32F, _KERNEL, borderType=cv2.BORDER_CONSTANT).astype(np.int32)


def thin(mask: np.ndarray) -> np.ndarray:
    """The one-pixel medial line of a mask (Zhang-Suen thinning)."""
    img = np.pad(mask, 1).astype(np.float32)
    while True:
        changed = False
        for table in (_FIRST, _SECOND):
            codes = _codes(img)
            drop = (img > 0) & table[codes]
            if drop.any():
                img[drop] = 0
                changed = True
        if not changed:
            return img[1:-1, 1:-1] > 0


@dataclass
class Branch:
    """A run of skeleton pixels between two nodes, as (y, x) points in order from `a` to `b`."""

    a: int
    b: int
    path: list[tuple[int, int]]
    widths: np.ndarray  # half-thickness (inscribed radius) at each path point

    @property
    def length(self) -> float:
        pts = np.asarray(self.path, np.float32)
        return float(np.hypot(*np.diff(pts, axis=0).T).sum()) if len(pts) > 1 else 0.0

    def other(self, node: int) -> int:
        return self.b if node == self.a else self.a

    def from_node(self, node: int) -> list[tuple[int, int]]:
        """The path walked from `node` to the other end."""
        return self.path if node == self.a else self.path[::-1]


@dataclass
class Graph:
    """Nodes (tips and junctions, as (y, x)) and the branches joining them; `radius` is the half
    thickness of the shape at each node."""

    nodes: list[tuple[int, int]] = field(default_factory=list)
    radius: list[float] = field(default_factory=list)
    branches: list[Branch] = field(default_factory=list)

    def edges(self, node: int) -> list[Branch]:
        return [b for b in self.branches if node in (b.a, b.b)]

    def degree(self, node: int) -> int:
        return sum((b.a == node) + (b.b == node) for b in self.branches)

    def tips(self) -> list[int]:
        return [n for n in range(len(self.nodes)) if self.degree(n) == 1]


def _neighbours(skel: np.ndarray, y: int, x: int) -> list[tuple[int, int]]:
    h, w = skel.shape
    out = []
    for dy, dx in _OFFSETS:
        yy, xx = y + dy, x + dx
        if 0 <= yy < h and 0 <= xx < w and skel[yy, xx]:
            out.append((yy, xx))
    return out


def skeleton_graph(mask: np.ndarray, dist: np.ndarray) -> Graph:
    """The pruned skeleton graph of a solid mask; `dist` is its distance to the outside."""
    skel = thin(mask)
    return prune(_trace(skel, dist), dist)


def _trace(skel: np.ndarray, dist: np.ndarray) -> Graph:
    count = _codes(skel.astype(np.float32))
    nb = np.zeros(skel.shape, np.int32)
    for i in range(8):
        nb += (count >> i) & 1
    node_px = skel & (nb != 2)
    g = Graph()
    index: dict[tuple[int, int], int] = {}
    # Adjacent junction pixels form one node.
    n, labels = cv2.connectedComponents(node_px.astype(np.uint8), connectivity=8)
    for lab in range(1, n):
        ys, xs = np.nonzero(labels == lab)
        k = int(np.argmax(dist[ys, xs]))
        node = len(g.nodes)
        g.nodes.append((int(ys[k]), int(xs[k])))
        g.radius.append(float(dist[ys[k], xs[k]]))
        for y, x in zip(ys.tolist(), xs.tolist(), strict=True):
            index[(y, x)] = node
    if not g.nodes:  # a closed loop with no tips: no parts to find
        return g
    seen: set[tuple[int, int]] = set()
    for start, node in list(index.items()):
        for nxt in _neighbours(skel, *start):
            if nxt in index or nxt in seen:
                if nxt in index and index[nxt] != node and start < nxt:
                    _add(g, node, index[nxt], [g.nodes[node], g.nodes[index[nxt]]], dist)
                continue
            path = [g.nodes[node], nxt]
            seen.add(nxt)
            prev, cur = start, nxt
            end = None
            while end is None:
                step = [p for p in _neighbours(skel, *cur) if p != prev and p not in seen]
                ends = [p for p in _neighbours(skel, *cur) if p in index and p != start and p != prev]
                if ends:
                    end = index[ends[0]]
                    break
                if not step:
                    end = None
                    break
                prev, cur = cur, step[0]
                seen.add(cur)
                path.append(cur)
            if end is None:
                continue
            path.append(g.nodes[end])
            _add(g, node, end, path, dist)
    return g


def _add(g: Graph, a: int, b: int, path: list[tuple[int, int]], dist: np.ndarray) -> None:
    pts = np.asarray(path)
    g.branches.append(Branch(a, b, path, dist[pts[:, 0], pts[:, 1]].astype(np.float32)))


def prune(g: Graph, dist: np.ndarray) -> Graph:
    """Drop spurs (tips that stay within the inscribed disc of the junction they leave, plus a little)
    and self-loops, then join branches through nodes left with two edges."""
    changed = True
    while changed:
        changed = False
        for br in list(g.branches):
            if br.a == br.b:
                g.branches.remove(br)
                changed = True
                continue
            for tip, base in ((br.a, br.b), (br.b, br.a)):
                if g.degree(tip) == 1 and g.degree(base) >= 3:
                    ty, tx = g.nodes[tip]
                    by, bx = g.nodes[base]
                    reach = float(np.hypot(ty - by, tx - bx)) + g.radius[tip]
                    if reach < 1.35 * g.radius[base] + 2.0:
                        g.branches.remove(br)
                        changed = True
                        break
            if changed:
                break
        if not changed:
            changed = _merge_twos(g, dist)
    return g


def _merge_twos(g: Graph, dist: np.ndarray) -> bool:
    for n in range(len(g.nodes)):
        edges = g.edges(n)
        if len(edges) == 2 and edges[0] is not edges[1]:
            e1, e2 = edges
            p1 = e1.from_node(e1.other(n))  # from e1's far end to n
            p2 = e2.from_node(n)  # from n to e2's far end
            a, b = e1.other(n), e2.other(n)
            if a == n or b == n:
                continue
            g.branches.remove(e1)
            g.branches.remove(e2)
            _add(g, a, b, p1 + p2[1:], dist)
            return True
    return False
