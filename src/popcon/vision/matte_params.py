"""The automatic matte's thresholds, in one place so that the matte's parts (flood, shadows) share them."""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np


@dataclass(frozen=True)
class MatteParams:
    """Thresholds in 0..255 colour units (max over channels); tuned on the benchmark set."""

    tol: float = 7.0  # |I - B| below this is background (half-res noise + compression stay under ~5)
    tol_min: float = 4.0  # ... and never falls below this (a clean, flat background: pale characters)
    noise_gain: float = 1.2  # tolerance = noise_gain * (90th percentile of the frame's border noise) + 3
    block_extra: float = 4.0  # a full-res pixel this far beyond the tolerance stops the background
    tol_max: float = 20.0  # the tolerance grows with the frame's measured noise up to this
    strong: float = 24.0  # a clear edge: the light ring is only accepted next to one
    ring_max: int = 16  # the light ring is at most this much brighter than the background
    ring_chroma: int = 14  # ... and near neutral (all channels brightened alike; 4:2:0 bleeds some colour)
    ring_dark: int = 8  # ... no channel darker than this (compression noise)
    ring_kernel: np.ndarray = field(
        default_factory=lambda: cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (11, 11))
    )  # half-res px: the ring reaches ~10 full-res px from the edge
    shadow_min_ratio: float = 0.55  # darkest contact shadow accepted, as a fraction of the background
    shadow_chroma: float = 7.0  # max chroma deviation of a shadow from the background's hue
    shadow_grad: float = 10.0  # shadows are soft: max local gradient (per half-res pixel)
    shadow_zone: float = 0.7  # shadows only in the lowest 30 % of the figure's height
    shadow_grow: int = 4  # half-res px the shadow may be grown past the gradient barrier
    shadow_core: float = 0.07  # ... and is somewhere at least this much darker than the background
    shadow_step: float = 0.06  # ... and darkens by at most this much per half-res px where it is grown
    shadow_depth: float = 0.12  # a shadow off the floor goes at most this share of the figure's height deep
    bite_radius: int = 6  # half-res px: notches up to about twice this wide may be mended ...
    bite_faint: float = 0.4  # ... when this share of the character's rim around them shows no edge
    bite_area: float = 0.02  # ... and they are small against the character
    key_lean: float = 0.6  # on a key: leaning to its hue by this share of the key's margin is background
    faint_step: float = 6.0  # an outline pixel with less contrast than 2 x tolerance + this is faint
    faint_share: float = 0.2  # confidence falls once more of the outline than this is faint
    hole_min_area: int = 6  # half-res px; smaller enclosed specks stay foreground
    hole_tol: float = 4.0  # an enclosed hole must match the background this closely
    hole_lit: float = 0.1  # share of a shadowed hole that shows the lit backdrop
    band: int = 5  # inner half-width (full-res px) of the band where alpha is solved (soft, compressed edges)
    band_out: int = 5  # outward half-width: light rims fall below the coarse threshold
    bg_win: int = 15  # window (full-res px) for the local background colour
    bg_gap: int = 2  # ... sampled from this far outside the coarse edge
    fg_win: int = 9  # window for the local foreground colour: small, characters are shaded
    alpha_gain: float = 1.25  # steepening of the alpha ramp around 0.5
    geo_mix: float = 0.5  # weight of the geometric ramp against the colour-solved alpha
    ramp: float = 2.0  # width (full-res px) of the geometric ramp
    alpha_sigma: float = 0.0  # smoothing of the solved alpha (full-res px)
    fg_far: int = 15  # fallback window for the foreground colour
    weak: float = 10.0  # |F - B| below this: colour cannot tell, keep the coarse decision
