"""The keyer a restore uses: alpha and colour of pixels mixed with a flat hued background."""

from __future__ import annotations

import numpy as np
import pytest

from popcon.vision.unmix import frame_background, hued_background, key_channels, key_lean, unmix_key

FG = np.array([200, 120, 60], np.float32)  # an orange character


@pytest.mark.parametrize("key", [(0, 255, 0), (0, 0, 255), (255, 0, 255), (0, 250, 8)])
def test_a_soft_edge_on_a_key_comes_apart(key: tuple[int, int, int]) -> None:
    """A disc of the character's colour with a 5 px anti-aliased rim on the key."""
    yy, xx = np.mgrid[0:64, 0:64].astype(np.float32)
    alpha = np.clip((22.0 - np.hypot(xx - 32, yy - 32)) / 5.0, 0.0, 1.0)
    mix = alpha[..., None] * FG + (1 - alpha[..., None]) * np.asarray(key, np.float32)
    out = unmix_key(np.round(mix).astype(np.uint8), key).astype(np.float32)
    assert np.abs(out[..., 3] / 255 - alpha).max() < 0.06
    # Decontaminated: the character's colour, within a few levels as seen (weighted by opacity; a key
    # off pure hue, as H.264 delivers it, bends the keyer's max/min a little).
    assert (np.abs(out[..., :3] - FG).max(-1) * out[..., 3] / 255).max() < 6
    assert (key_lean(out[..., :3], key)[out[..., 3] > 0] <= 0.01).all()  # nothing leans to the key
    assert (out[alpha == 0, 3] == 0).all()  # the key itself is fully transparent


def test_a_background_without_hue_is_not_keyed() -> None:
    grey = np.full((4, 4, 3), 240, np.uint8)
    assert key_channels((240, 240, 240)) is None and key_channels((120, 140, 130)) is None
    assert (unmix_key(grey, (240, 240, 240))[..., 3] == 255).all()
    assert (key_lean(grey, (240, 240, 240)) == 0).all()


def test_background_read_from_the_border() -> None:
    frame = np.zeros((64, 64, 3), np.uint8)
    frame[:] = (0, 254, 6)
    frame[20:44, 20:44] = FG.astype(np.uint8)
    assert frame_background(frame) == (0, 254, 6) and hued_background(frame) == (0, 254, 6)
    frame[:] = (250, 250, 250)
    assert hued_background(frame) is None
