import math

import numpy as np
import pytest

from popcon.domain.errors import InvalidInput
from popcon.media.loop import crop_dark_borders, dark_border_box, find_loop, frames_for, sample_loop


def _disc_clip(n: int, period: int, offset: int = 0, size: int = 64) -> list[np.ndarray]:
    """A disc moving on a circle with the given period; frames before `offset` hold still."""
    frames = []
    yy, xx = np.mgrid[:size, :size]
    for i in range(n):
        t = max(0, i - offset) / period
        cx = size / 2 + size / 4 * math.cos(2 * math.pi * t)
        cy = size / 2 + size / 4 * math.sin(2 * math.pi * t)
        f = np.full((size, size, 3), 40, np.uint8)
        f[(xx - cx) ** 2 + (yy - cy) ** 2 < 64] = (250, 120, 30)
        frames.append(f)
    return frames


def test_finds_the_whole_second_period():
    frames = _disc_clip(5 * 24, period=48)  # a 2 s cycle in a 5 s clip
    loop = find_loop(frames, 24)
    assert loop.seconds in (2, 4) and loop.seam < 1.0
    assert loop.length == loop.seconds * 24


def test_prefers_the_asked_length_among_equal_seams():
    frames = _disc_clip(5 * 24, period=24)
    assert find_loop(frames, 24, prefer_seconds=2).seconds == 2
    assert find_loop(frames, 24, prefer_seconds=1).seconds == 1


def test_a_still_start_is_not_taken_as_a_loop():
    frames = _disc_clip(4 * 24, period=24, offset=30)  # 30 still frames, then motion
    loop = find_loop(frames, 24)
    assert loop.motion > 1.0
    assert loop.start >= 24  # the still window loops "perfectly" but does not move


def test_procedural_clip_with_closing_frame():
    frames = _disc_clip(2 * 24 + 1, period=48)  # last frame equals the first
    loop = find_loop(frames, 24)
    assert (loop.start, loop.seconds) == (0, 2) and loop.seam < 0.1


def test_too_short_clip_is_a_clear_error():
    with pytest.raises(InvalidInput, match="whole second"):
        find_loop(_disc_clip(10, period=10), 24)


def test_sample_spreads_frames_over_the_loop():
    frames = [np.full((2, 2, 3), i, np.uint8) for i in range(48)]
    loop = find_loop(_disc_clip(48, period=48), 24)
    picked = sample_loop(frames, loop, 12)
    assert [int(f[0, 0, 0]) for f in picked] == list(range(0, 48, 4))


def test_frames_for_respects_platform_caps():
    assert frames_for(1) == 12 and frames_for(2) == 20 and frames_for(4) == 20
    assert frames_for(1, target_fps=3) == 5


def test_crop_dark_borders():
    frames = _disc_clip(6, period=6, size=64)
    boxed = [np.pad(f, ((8, 8), (0, 0), (0, 0))) for f in frames]  # letterbox bars
    boxed = [b.copy() for b in boxed]
    for b in boxed:
        b[8:-8] = np.maximum(b[8:-8], 40)
    assert dark_border_box(boxed) == (8, 72, 0, 64)
    assert crop_dark_borders(boxed)[0].shape == (64, 64, 3)
    dark = [np.full((64, 64, 3), 5, np.uint8) for _ in range(3)]
    assert crop_dark_borders(dark)[0].shape == (64, 64, 3)  # a dark picture is not cropped away
