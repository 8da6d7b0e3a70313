"""Cut a drawing out of its page: the strokes, everything they enclose, nothing of the paper around.

Why this shape: on paper, the inside of a drawn outline has the paper's colour, so no colour rule can
tell it from the page; only the topology can. The strokes are found against the page's illumination
field (`paper.fit_page`), and a region of paper belongs to the figure when the strokes enclose it. Hand
drawn outlines leave small gaps, so enclosure is tested at growing scales: at scale r a region counts as
enclosed when it is cut off from the image's border once every passage narrower than 2r is shut, and it
is a chamber (its inner radius well above r) rather than a channel between two limbs (which narrows to
nothing before it is cut off). A table or the page's edge is a different surface that touches the
border: large, solid, and not line-like, it is dropped with the specks of grain.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from popcon.vision.paper import Page, fit_page

HI = 7.0  # noise units: a stroke's core departs this far from the paper at least
LO = 3.5  # ... and its soft flanks this far (hysteresis)
HI_MIN, LO_MIN = 0.10, 0.05  # relative darkening: very clean scans still need a visible stroke
WEAK = 3.0  # noise units: a departure from the page this large, over an area, is something
GAP = 0.03  # largest gap in an outline that is bridged, as a share of the figure's size
CHAMBER = 2.0  # an enclosed region's inner radius must exceed this many times the gap scale
REMNANT = 0.05  # a separate piece on the border smaller than this share of the figure is a remnant
SPECK = 0.004  # ink components smaller than this share of all the ink are grain or dust


@dataclass(frozen=True)
class DrawingCut:
    """The figure's mask (bool), its strokes (bool), and measurements the confidence is built from."""

    mask: np.ndarray
    strokes: np.ndarray
    page: Page
    line_art: float  # share of the figure that is stroke (low: an outline drawing; ~1: a solid shape)
    surface: float  # share of the ink dropped as a border surface (table, page edge, dark bars)
    surfaces: np.ndarray  # bool: those surfaces' pixels
    fragments: int  # separate pieces of the figure larger than a speck
    at_edge: bool  # the figure meets a dropped surface (a table): where the page ends is a guess
    contrast: float  # median stroke departure in noise units (how clearly the ink stands out)
    unexplained: float = 0.0  # area departing from the page away from the figure, per figure area


def _disk(r: int) -> np.ndarray:
    return cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * r + 1, 2 * r + 1))


def _border_labels(lab: np.ndarray) -> np.ndarray:
    ids = np.unique(np.concatenate([lab[0], lab[-1], lab[:, 0], lab[:, -1]]))
    return np.asarray(ids[ids > 0])


def find_strokes(page: Page) -> np.ndarray:
    """Ink by hysteresis on the departure from the paper: cores above HI, grown through flanks above LO."""
    hi = max(HI * page.noise, HI_MIN)
    lo = max(LO * page.noise, LO_MIN)
    weak = (page.ink > lo).astype(np.uint8)
    n, lab = cv2.connectedComponents(weak, connectivity=8)
    strong = np.zeros(n, bool)
    strong[np.unique(lab[page.ink > hi])] = True
    strong[0] = False
    return np.asarray(strong[lab])


def _is_plane(region: np.ndarray) -> bool:
    """A flat surface seen past the page: a convex polygon of a few straight sides (the page's edge, the
    frame), not a figure's rounded outline."""
    contours, _ = cv2.findContours(region.astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    if not contours:
        return False
    c = max(contours, key=cv2.contourArea)
    area = cv2.contourArea(c)
    hull = cv2.contourArea(cv2.convexHull(c))
    poly = cv2.approxPolyDP(c, 0.01 * cv2.arcLength(c, True), True)
    return bool(hull > 0 and area / hull > 0.85 and len(poly) <= 8)


def _drop_surfaces(ink: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Take out border-touching surfaces that are not the drawing: a table past the page's edge, a dark
    bar. A stroke is thin; a surface holds a wide solid core that runs along the border and is bounded
    by straight edges. Strokes that touch it stay. Returns the ink left and the surfaces' pixels."""
    h, w = ink.shape
    r = max(2, round(0.015 * min(h, w)))
    core = cv2.morphologyEx(ink.astype(np.uint8), cv2.MORPH_OPEN, _disk(r))
    _, lab = cv2.connectedComponents(core, connectivity=8)
    surfaces = np.zeros((h, w), bool)
    for i in _border_labels(lab):
        side = w if (lab[0] == i).any() or (lab[-1] == i).any() else h
        run = int(
            (lab[0] == i).sum() + (lab[-1] == i).sum() + (lab[:, 0] == i).sum() + (lab[:, -1] == i).sum()
        )
        region = lab == i
        if run > 0.1 * side and _is_plane(region):
            surfaces |= region
    if surfaces.any():
        # The page's edge is a line of shadow or light along the surface: it goes with it (a stroke
        # ending at the edge loses that much).
        surfaces = (cv2.dilate(surfaces.astype(np.uint8), _disk(r)) > 0) & ink
    return ink & ~surfaces, surfaces


def _keep_figure(ink: np.ndarray) -> tuple[np.ndarray, int]:
    """Ink components that are more than specks (grain, dust); how many of them there are."""
    n, lab, stats, _ = cv2.connectedComponentsWithStats(ink.astype(np.uint8), connectivity=8)
    if n <= 1:
        return ink, 0
    area = stats[:, cv2.CC_STAT_AREA].astype(np.int64)
    area[0] = 0
    keep = area >= SPECK * area.sum()
    return np.asarray(keep[lab]), int(keep.sum())


def _drop_edge_remnants(mask: np.ndarray) -> np.ndarray:
    """Small separate pieces on the picture's border: what is left of a table or the page's edge."""
    n, lab, stats, _ = cv2.connectedComponentsWithStats(mask.astype(np.uint8), connectivity=8)
    if n <= 2:
        return mask
    area = stats[:, cv2.CC_STAT_AREA].astype(np.int64)
    area[0] = 0
    drop = np.zeros(n, bool)
    drop[_border_labels(lab)] = True
    drop &= area < REMNANT * area.max()
    return np.asarray(mask & ~drop[lab])


def fill_enclosed(strokes: np.ndarray, gap: int) -> np.ndarray:
    """The strokes plus every region they enclose, bridging outline gaps up to 2 * gap px.

    The image's frame closes a region too where it cuts the figure (a hand cut off by the photo's
    edge): a region that meets the frame along no more than such a gap is a pocket, not the outside."""
    filled = strokes.copy()
    free = (~strokes).astype(np.uint8)
    # Inner radius with the frame as a wall: a pocket's size is measured between its walls.
    walled = cv2.copyMakeBorder(free, 1, 1, 1, 1, cv2.BORDER_CONSTANT, value=0)
    inner = cv2.distanceTransform(walled, cv2.DIST_L2, 3)[1:-1, 1:-1]
    for r in range(0, gap + 1):
        # Where a disk of radius r fits: two sides of a gap narrower than 2r fall apart here.
        room = cv2.erode(free, _disk(r)) if r else free.copy()
        room &= (~filled).astype(np.uint8)
        n, lab = cv2.connectedComponents(room, connectivity=4)
        if n <= 1:
            continue
        edge = np.concatenate([lab[0], lab[-1], lab[1:-1, 0], lab[1:-1, -1]])
        run = np.bincount(edge, minlength=n)
        # A region's door: the gap it is shut behind (2r wide), or where it meets the frame, the width
        # it meets it along (the eroded run plus the 2r the erosion took off).
        door = np.where(run > 0, run / 2 + r, r)
        radius = np.zeros(n, np.float32)
        np.maximum.at(radius, lab.ravel().astype(np.intp), inner.ravel())
        chamber = (door <= gap) & (radius > CHAMBER * door)
        chamber[0] = False
        if not chamber.any():
            continue
        add = chamber[lab]
        if r:
            # Give back the rim the erosion shaved off (a gap's mouth at most: r px).
            add = cv2.dilate(add.astype(np.uint8), _disk(r)).astype(bool) & (free > 0)
        filled |= add
    return filled


def cut_drawing(rgb: np.ndarray) -> DrawingCut:
    """The figure drawn on the page of an RGB image (uint8), at the image's size."""
    page = fit_page(rgb)
    raw = find_strokes(page)
    ink, surfaces = _drop_surfaces(raw)
    dropped = int(surfaces.sum())
    strokes, _ = _keep_figure(ink)
    h, w = strokes.shape
    ys, xs = np.nonzero(strokes)
    if len(ys) == 0:
        empty = np.zeros((h, w), bool)
        return DrawingCut(empty, empty, page, 1.0, 1.0 if dropped else 0.0, surfaces, 0, False, 0.0)
    size = max(int(ys.max() - ys.min()), int(xs.max() - xs.min()), 1)
    mask = _drop_edge_remnants(fill_enclosed(strokes, max(1, round(GAP * size))))
    # Pieces of the figure after filling: an eye inside the head is not a fragment of its own.
    _, _, stats, _ = cv2.connectedComponentsWithStats(mask.astype(np.uint8), connectivity=8)
    big = stats[1:, cv2.CC_STAT_AREA] >= SPECK * mask.sum() * 4
    line_art = float(strokes.sum() / max(mask.sum(), 1))
    surface = dropped / max(int(raw.sum()), 1)
    contrast = float(np.median(page.ink[strokes]) / page.noise)
    # Whatever departs from the page should be in the cut: a wide faint region left out (a pale figure,
    # ink too faint to be taken for strokes) says the cut missed something.
    weak = cv2.medianBlur((page.ink > WEAK * page.noise).astype(np.uint8) * 255, 5) > 0
    near = cv2.dilate(mask.astype(np.uint8), np.ones((9, 9), np.uint8)) > 0
    unexplained = float((weak & ~near & ~surfaces).sum() / max(int(mask.sum()), 1))
    at_edge = bool(surfaces.any() and (mask & (cv2.dilate(surfaces.astype(np.uint8), _disk(3)) > 0)).any())
    return DrawingCut(
        mask, strokes, page, line_art, surface, surfaces, int(big.sum()), at_edge, contrast, unexplained
    )
