"""Fine texture of a backdrop (paper grain, a cloth's weave): how rough it is, and where an image is not.

Why: on paper or cloth a pale character can have the backdrop's colour within the texture's amplitude,
so colour alone cannot tell them apart; but the backdrop is rough in its own way everywhere, and the
character's surface is not. The local energy of the fine detail (what a 1 px blur takes away, averaged
over a few px) is measured on the frame's border, where the backdrop certainly is, and a region whose
energy falls outside the backdrop's own range cannot be backdrop: a smooth patch on woven cloth is the
character, even where its colour matches. The bound comes from the clip itself, so a backdrop with
hardly any fine texture (paper after compression) rules nothing out.
"""

from __future__ import annotations

import cv2
import numpy as np

DETAIL_SIGMA = 1.0  # px: the fine detail is what a blur this wide removes
WINDOW_SIGMA = 3.0  # px: the energy is averaged over about this radius
SPREAD = 1.5  # smoother than the backdrop: below its 1st percentile of energy by this factor


def fine_energy(rgb: np.ndarray) -> np.ndarray:
    """Per pixel, the local RMS of the fine detail of the grey image (float32, same size)."""
    gray = cv2.transform(np.ascontiguousarray(rgb, np.float32), np.full((1, 3), 1.0 / 3, np.float32))
    detail = gray - cv2.GaussianBlur(gray, (0, 0), DETAIL_SIGMA)
    return cv2.sqrt(cv2.GaussianBlur(detail * detail, (0, 0), WINDOW_SIGMA))


def smoother_than_backdrop(rgb: np.ndarray, backdrop: np.ndarray) -> np.ndarray:
    """Where the image is clearly smoother than the backdrop ever is (bool): there it cannot be the
    backdrop. `backdrop` marks pixels that certainly are (the frame's border). Only the low side is
    used: a character's own detail is rough too, and its colour already tells it apart."""
    energy = fine_energy(rgb)
    if not backdrop.any():
        return np.zeros(energy.shape, bool)
    low = float(np.percentile(energy[backdrop], 1)) / SPREAD
    return energy < low


__all__ = ["fine_energy", "smoother_than_backdrop"]
