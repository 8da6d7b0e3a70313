from __future__ import annotations

import io
from functools import cache

import numpy as np
import pytest
from PIL import Image

from popcon.domain.platforms import CanvasRule, get_platform
from popcon.media.canvas import fit_frames
from popcon.media.formats.apng import encode_apng, frame_delays_ms
from popcon.media.palette import quantize
from popcon.media.validate import InvalidExport, failures, require_valid, validate_apng
from tests.helpers.clips import disc_clip

PRESET = get_platform("line-emoji")


@cache
def _clip(n: int, side: int = 180) -> tuple[np.ndarray, tuple[np.ndarray, ...]]:
    q = quantize(
        fit_frames(disc_clip(n, size=200, radius=30, travel=50), CanvasRule(width=side, height=side)), 64
    )
    return q.palette, tuple(q.indices)


def _apng(n: int = 10, seconds: float = 2, loops: int = 2, side: int = 180) -> bytes:
    pal, idx = _clip(n, side)
    return encode_apng(pal, list(idx), frame_delays_ms(n, seconds), loops)


def _failed(data: bytes, preset=PRESET) -> set[str]:
    return {r.rule for r in failures(validate_apng(data, preset))}


def test_good_file_passes_everything() -> None:
    results = validate_apng(_apng(), PRESET)
    assert not failures(results)
    by_rule = {r.rule: r for r in results}
    assert by_rule["loop_seconds"].measured == 2
    assert by_rule["frame_count"].measured == 10
    assert by_rule["colour_type"].measured == "indexed"
    assert by_rule["first_last_similar"].passed  # a seamless loop is not flagged


def test_grayscale_is_rejected() -> None:
    frames = [Image.fromarray(np.full((180, 180), 20 * i, np.uint8), "L") for i in range(6)]
    buf = io.BytesIO()
    frames[0].save(buf, "PNG", save_all=True, append_images=frames[1:], duration=1000 / 6, loop=1)
    failed = _failed(buf.getvalue())
    assert "colour_type" in failed


def test_infinite_loop_count_is_rejected() -> None:
    assert _failed(_apng(loops=0)) >= {"loop_count", "total_playback"}


def test_too_many_frames_is_rejected() -> None:
    assert "frame_count" in _failed(_apng(n=21, seconds=2))
    assert "frame_count" in _failed(_apng(n=4, seconds=1))
    assert not _failed(_apng(n=20, seconds=2))


def test_fractional_loop_time_is_rejected() -> None:
    assert "loop_seconds" in _failed(_apng(n=10, seconds=1.5, loops=1))


def test_loop_time_times_loops_over_four_seconds_is_rejected() -> None:
    assert _failed(_apng(seconds=2, loops=3)) == {"total_playback"}
    assert _failed(_apng(seconds=1, loops=5)) == {"loop_count", "total_playback"}


def test_oversize_is_rejected() -> None:
    data = _apng()
    small = PRESET.model_copy(update={"max_bytes": len(data) - 1})
    assert _failed(data, small) == {"file_size"}


def test_identical_frames_are_rejected() -> None:
    pal, idx = _clip(10)
    data = encode_apng(pal, [idx[0]] * 10, frame_delays_ms(10, 2), 2)
    assert "frames_not_identical" in _failed(data)


def test_wrong_canvas_and_bad_crc_are_rejected() -> None:
    assert "canvas_size" in _failed(_apng(side=100))
    data = bytearray(_apng())
    pos = data.index(b"IDAT") + 20
    data[pos] ^= 0xFF
    assert "chunk_crc" in _failed(bytes(data))


def test_not_a_png() -> None:
    assert {"png_signature", "structure"} <= _failed(b"GIF89a" + b"\0" * 100)


def test_loop_that_jumps_is_only_a_warning() -> None:
    pal, idx = _clip(20)
    jumpy = list(idx[:10])  # half of the loop: the last frame is far from the first
    results = validate_apng(encode_apng(pal, jumpy, frame_delays_ms(10, 2), 2), PRESET)
    seam = next(r for r in results if r.rule == "first_last_similar")
    assert not seam.passed and seam.severity == "warning"
    assert not failures(results)


def test_require_valid_names_file_and_rule() -> None:
    with pytest.raises(InvalidExport, match=r"007\.png.*loop_count"):
        require_valid(validate_apng(_apng(loops=0), PRESET), "007.png")
