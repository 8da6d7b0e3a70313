"""The page a drawing lies on: its illumination field, and the ink that departs from it.

Why: a drawing photographed on paper is not on a flat backdrop. The light falls off across the page,
a hand or phone casts a soft shadow, the paper has grain, and the table shows past the page's edge. All
of these are large and smooth next to a pen stroke, so the paper's own brightness is estimated on a
coarse grid of cells (each cell's bright percentile: ink covers little of a cell), then smoothed with the
cells that disagree with their neighbours left out (a blot of ink, a filled-in shape). Ink is then what
departs from that field by much more than the paper's own grain does, measured relative to the local
illumination (a stroke in the shadow is as dark, relatively, as one in the light).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

CELLS = 40  # grid cells along the longer side: larger than strokes, smaller than light fall-off
PAPER_PCT = 75  # a cell's paper level: ink covers less than a quarter of most cells
SMOOTH = 1.5  # Gaussian sigma, in cells, of the illumination field
REJECT = 3.5  # a cell this many noise units from the smoothed field is not paper
ROUNDS = 4
FLOOR = 64.0  # departures in a channel darker than this are measured against it
LIGHT_PAGE = 170  # border luminance above which the page is pale and only darker marks are ink


@dataclass(frozen=True)
class Page:
    """The illumination field (float32 RGB, image size), which cells were paper, and the paper's noise."""

    light: np.ndarray
    paper_cells: np.ndarray  # bool grid: cells that agreed with the field
    cell: int
    dark_ink: bool  # ink darker than the paper (pen on paper); False: light strokes on a dark ground
    ink: np.ndarray  # float32: relative departure from the paper towards the ink (0 on paper)
    noise: float  # robust spread of `ink` on the paper
    levels: np.ndarray  # the cells' paper levels (grid x 3), for re-fitting without a figure


def field_without(page: Page, exclude: np.ndarray) -> np.ndarray:
    """The illumination field fitted again with the cells that `exclude` (bool, image size) covers
    left out: under a solid figure the field is then the light around it, not the figure's pale parts."""
    gh, gw = page.levels.shape[:2]
    h, w = exclude.shape
    pad = cv2.copyMakeBorder(
        exclude.astype(np.uint8), 0, gh * page.cell - h, 0, gw * page.cell - w, cv2.BORDER_REPLICATE
    )
    # A cell whose bright percentile is still paper (the figure covers under a quarter of it) stays: the
    # field then follows the light right up to the figure's edge (a shadow's edge passing beside it).
    touched = pad.reshape(gh, page.cell, gw, page.cell).mean(axis=(1, 3)) > (100 - PAPER_PCT) / 100
    weight = page.paper_cells & ~touched
    if weight.sum() < 4:
        return page.light
    field = _smooth(page.levels, weight, SMOOTH)
    return np.maximum(cv2.resize(field, (w, h), interpolation=cv2.INTER_LINEAR), 1.0)


def _cell_levels(rgb: np.ndarray, cell: int, pct: float) -> np.ndarray:
    """Per cell and channel, the given percentile of the cell's pixels (grid shaped gh x gw x 3)."""
    h, w = rgb.shape[:2]
    gh, gw = -(-h // cell), -(-w // cell)
    pad = cv2.copyMakeBorder(rgb, 0, gh * cell - h, 0, gw * cell - w, cv2.BORDER_REFLECT)
    blocks = pad.reshape(gh, cell, gw, cell, 3).transpose(0, 2, 1, 3, 4).reshape(gh, gw, cell * cell, 3)
    return np.percentile(blocks, pct, axis=2).astype(np.float32)


def _smooth(levels: np.ndarray, weight: np.ndarray, sigma: float) -> np.ndarray:
    """Normalised convolution: a Gaussian average of the accepted cells only."""
    wf = weight.astype(np.float32)
    num = cv2.GaussianBlur(levels * wf[..., None], (0, 0), sigma, borderType=cv2.BORDER_REFLECT)
    den = cv2.GaussianBlur(wf, (0, 0), sigma, borderType=cv2.BORDER_REFLECT)
    out: np.ndarray = num / np.maximum(den, 1e-4)[..., None]
    # Far from any accepted cell the average is undefined: widen until every cell has support.
    gaps = den < 0.02
    if gaps.any() and wf.any():
        wide = _smooth(levels, weight, sigma * 2.5) if sigma < 40 else levels
        out[gaps] = wide[gaps]
    return out


def fit_page(rgb: np.ndarray) -> Page:
    """The page's illumination field and the ink map of an RGB image (uint8)."""
    h, w = rgb.shape[:2]
    cell = max(4, round(max(h, w) / CELLS))
    lum = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    strip = np.concatenate([lum[:2].ravel(), lum[-2:].ravel(), lum[:, :2].ravel(), lum[:, -2:].ravel()])
    dark_ink = float(np.median(strip)) >= 96  # a light page (the usual); else chalk on a dark board
    pct = PAPER_PCT if dark_ink else 100 - PAPER_PCT
    levels = _cell_levels(rgb.astype(np.float32), cell, pct)
    accept = np.ones(levels.shape[:2], bool)
    field = levels
    for _ in range(ROUNDS):
        field = _smooth(levels, accept, SMOOTH)
        dev = np.abs(levels - field).max(-1)
        spread = 1.4826 * float(np.median(dev[accept])) + 1.0
        accept = dev < REJECT * spread + 2.0
        if accept.sum() < 4:
            accept[:] = True
            break
    light = cv2.resize(field, (w, h), interpolation=cv2.INTER_LINEAR)
    light = np.maximum(light, 1.0)
    f = rgb.astype(np.float32)
    # Departure either way, relative to the light there: ink darkens a page, but a figure on a grey or
    # coloured backdrop may be lighter than it in some channel (a dark channel of a green screen is
    # measured against a floor, not against its own near-zero level).
    if float(np.median(strip)) >= LIGHT_PAGE:  # a white or pale page: what is not paper darkens it
        rel = (light - f) / light
    else:
        rel = np.abs(f - light) / np.maximum(light, FLOOR)
    ink = rel.max(-1)
    noise = 1.4826 * float(np.median(np.abs(ink[::2, ::2]))) + 1e-3
    return Page(light, accept, cell, dark_ink, ink.astype(np.float32), noise, levels)
