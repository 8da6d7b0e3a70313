from __future__ import annotations

import numpy as np
import pytest

from popcon.domain.errors import Canceled
from popcon.vision.segment.base import Click
from popcon.vision.segment.classical import ClassicalSegmenter
from popcon.vision.segment.propagate import move_clicks, propagate

from .conftest import iou, scene


def _clip(n: int = 8) -> tuple[list[np.ndarray], list[np.ndarray], list[int]]:
    frames, truths, xs = [], [], []
    for i in range(n):
        cx = 110 + 9 * i
        img, t = scene(cx=cx, cy=120 + 2 * i, r=50)
        frames.append(img)
        truths.append(t)
        xs.append(cx)
    return frames, truths, xs


def test_propagation_follows_a_moving_shape() -> None:
    frames, truths, xs = _clip()
    seg = ClassicalSegmenter()
    start = 3
    clicks = [Click(xs[start], 124 + 0, True), Click(300, 220, False)]
    first = seg.predict(seg.prepare(frames[start]), clicks)
    seen: list[tuple[int, int]] = []
    masks = propagate(seg, frames, start, clicks, first, progress=lambda d, t: seen.append((d, t)))
    assert len(masks) == len(frames)
    for m, t in zip(masks, truths, strict=True):
        assert m.shape == t.shape and m.dtype == np.float32
        assert iou(m > 0.5, t) >= 0.9
    assert seen[-1] == (len(frames), len(frames))
    assert [d for d, _ in seen] == list(range(1, len(frames) + 1))


def test_propagation_can_be_canceled() -> None:
    frames, _, xs = _clip(5)
    seg = ClassicalSegmenter()
    first = seg.predict(seg.prepare(frames[0]), [Click(xs[0], 120, True)])
    calls = {"n": 0}

    def cancel() -> bool:
        calls["n"] += 1
        return calls["n"] > 2

    with pytest.raises(Canceled):
        propagate(seg, frames, 0, [Click(xs[0], 120, True)], first, cancel=cancel)


def test_clicks_that_leave_the_object_are_fixed() -> None:
    mask = np.zeros((100, 100), np.float32)
    mask[40:80, 40:80] = 1
    moved = move_clicks([Click(10, 10, True), Click(60, 60, False), Click(5, 95, False)], None, 1.0, mask)
    assert len(moved) == 2  # the negative click now inside the object is dropped
    assert moved[0].positive and mask[round(moved[0].y), round(moved[0].x)] == 1
    assert moved[1] == Click(5, 95, False)
