from __future__ import annotations

import cv2
import numpy as np
import pytest

from popcon.domain.errors import InvalidInput
from popcon.domain.platforms import get_platform
from popcon.media.canvas import fit_frames, resize_premultiplied, target_size, union_bbox
from tests.helpers.clips import disc_clip, sample_clip

PRESET = get_platform("line-emoji")


def test_output_is_canvas_sized_rgba() -> None:
    out = fit_frames(disc_clip(6), PRESET.canvas, PRESET.margin_px)
    assert len(out) == 6
    assert all(f.shape == (180, 180, 4) and f.dtype == np.uint8 for f in out)


def test_union_crop_is_centred_and_fills_the_canvas() -> None:
    out = fit_frames(disc_clip(12), PRESET.canvas, margin_px=2)
    x0, y0, x1, y1 = union_bbox(out)
    # the clip is wider than tall: width fills the canvas minus margins, vertical is centred
    assert x0 in (2, 3) and x1 in (177, 178)
    assert abs(y0 - (180 - y1)) <= 1
    assert y1 - y0 < 150


def test_one_box_for_the_whole_clip_no_jumping() -> None:
    frames = disc_clip(8)
    for f in frames:  # a static marker that a per-frame crop would move around
        f[20:60, 20:60] = (0, 0, 0, 255)
    out = fit_frames(frames, PRESET.canvas, 0)
    first = out[0][:, :, 3] > 200
    marker = np.argwhere(first & (out[0][:, :, :3].sum(axis=2) < 30))
    for f in out[1:]:
        dark = np.argwhere((f[:, :, 3] > 200) & (f[:, :, :3].sum(axis=2) < 30))
        assert dark.min(axis=0).tolist() == marker.min(axis=0).tolist()


def test_premultiplied_downscale_has_no_fringe() -> None:
    f = np.zeros((400, 400, 4), np.uint8)
    f[..., :3] = 255  # white junk under transparent pixels
    f[101:299, 101:299] = (200, 0, 0, 255)
    small = resize_premultiplied(f, (61, 61))
    edge = (small[..., 3] > 20) & (small[..., 3] < 235)
    assert edge.any()
    assert small[edge][:, 1].max() <= 2 and small[edge][:, 0].min() >= 190  # still pure red
    naive = cv2.resize(f, (61, 61), interpolation=cv2.INTER_AREA)
    assert naive[edge][:, 1].max() > 60  # the straight-alpha resize would show a pink/white fringe


def test_empty_clip_is_refused() -> None:
    with pytest.raises(InvalidInput, match="transparent"):
        fit_frames([np.zeros((64, 64, 4), np.uint8)] * 3, PRESET.canvas)


def test_fit_mode_canvas_for_stickers() -> None:
    rule = get_platform("line-sticker").canvas
    assert target_size(rule, 400, 300) == (320, 240)
    w, h = target_size(rule, 100, 400)
    assert h == 270 and w <= 320
    assert target_size(PRESET.canvas, 17, 900) == (180, 180)


def test_realistic_sample_fits() -> None:
    out = fit_frames(sample_clip(n=4), PRESET.canvas, PRESET.margin_px)
    assert out[0][..., 3].max() == 255 and out[0].shape == (180, 180, 4)
