from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from popcon.domain.errors import InvalidInput
from popcon.domain.platforms import get_platform
from popcon.media.canvas import fit_frames
from popcon.media.formats.apng import encode_apng, frame_delays_ms
from popcon.media.palette import quantize
from popcon.media.validate import parse_apng
from tests.helpers.clips import disc_clip

PRESET = get_platform("line-emoji")


@pytest.mark.parametrize(("n", "seconds"), [(12, 1), (20, 2), (7, 3), (18, 4), (5, 1)])
def test_delays_sum_exactly(n: int, seconds: int) -> None:
    d = frame_delays_ms(n, seconds)
    assert len(d) == n and sum(d) == seconds * 1000
    assert max(d) - min(d) <= 1


def test_pillow_redecodes_frames_timing_and_pixels() -> None:
    clip = fit_frames(disc_clip(12), PRESET.canvas, PRESET.margin_px)
    q = quantize(clip, 128)
    data = encode_apng(q.palette, q.indices, frame_delays_ms(12, 1), loops=4)
    with Image.open(io.BytesIO(data)) as im:
        assert im.format == "PNG" and im.n_frames == 12 and im.info["loop"] == 4
        durations = []
        for i in range(12):
            im.seek(i)
            durations.append(im.info["duration"])
            assert np.array_equal(np.asarray(im.convert("RGBA")), q.to_rgba(i))
    assert sum(durations) == 1000  # exact: 83/84 ms steps, no rounding drift


def test_identical_neighbours_are_still_counted_frames() -> None:
    clip = fit_frames(disc_clip(6), PRESET.canvas)
    clip = [clip[0], clip[0], clip[1], clip[1], clip[2], clip[3]]
    q = quantize(clip, 64)
    p = parse_apng(encode_apng(q.palette, q.indices, frame_delays_ms(6, 2), loops=2))
    assert p.num_frames == 6 and len(p.frames) == 6 and p.num_plays == 2
    assert p.colour_type == 3 and not p.bad_crc and p.sequence_ok


def test_delta_frames_are_smaller_and_identical_in_result() -> None:
    frames = disc_clip(10)
    for f in frames:
        f[:, :200] = (30, 200, 90, 255)  # a large static area
    clip = fit_frames(frames, PRESET.canvas)
    q = quantize(clip, 128)
    d = frame_delays_ms(10, 2)
    full = encode_apng(q.palette, q.indices, d, 2, delta=False)
    delta = encode_apng(q.palette, q.indices, d, 2, delta=True)
    assert len(delta) < len(full)
    with Image.open(io.BytesIO(full)) as a, Image.open(io.BytesIO(delta)) as b:
        for i in range(10):
            a.seek(i)
            b.seek(i)
            assert np.array_equal(np.asarray(a.convert("RGBA")), np.asarray(b.convert("RGBA")))


def test_bad_input_refused() -> None:
    pal = np.array([[0, 0, 0, 0], [255, 0, 0, 255]], np.uint8)
    m = np.zeros((4, 4), np.uint8)
    with pytest.raises(InvalidInput):
        encode_apng(pal, [m, m], [100], 1)
    with pytest.raises(InvalidInput):
        encode_apng(pal, [m + 2], [100], 1)
    with pytest.raises(InvalidInput):
        frame_delays_ms(5, 0.001)
