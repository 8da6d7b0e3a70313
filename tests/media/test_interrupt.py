"""A check installed with `interruptible` stops an encode at the next frame, on that thread only."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from popcon.domain.platforms import get_platform
from popcon.media.formats.webm import encode_webm
from popcon.media.interrupt import checkpoint, interruptible


class Stop(Exception):
    pass


def _clip(n: int = 24, side: int = 96) -> list[np.ndarray]:
    frames = []
    for i in range(n):
        f = np.zeros((side, side, 4), np.uint8)
        f[20:70, 10 + i : 60 + i] = (200, 80, 40, 255)
        frames.append(f)
    return frames


def test_a_webm_encode_stops_at_the_frame_the_check_raises() -> None:
    calls = []

    def check() -> None:
        calls.append(1)
        if len(calls) == 3:
            raise Stop

    with interruptible(check), pytest.raises(Stop):
        encode_webm(_clip(), 1.0, 30)
    assert len(calls) == 3  # frames 4..24 were never encoded
    assert encode_webm(_clip(), 1.0, 30)  # outside the block nothing is installed


def test_a_palette_search_stops_too() -> None:
    from popcon.media.formats import codec_for

    preset = get_platform("line-emoji")
    with interruptible(lambda: (_ for _ in ()).throw(Stop())), pytest.raises(Stop):
        codec_for(preset).fit([f for f in _clip(12, 180)], 1.0, preset)


def test_the_check_belongs_to_its_thread() -> None:
    seen: list[bool] = []

    def other() -> None:
        try:
            checkpoint()
            seen.append(True)
        except Stop:
            seen.append(False)

    def boom() -> None:
        raise Stop

    with interruptible(boom):
        t = threading.Thread(target=other)
        t.start()
        t.join()
    assert seen == [True]
