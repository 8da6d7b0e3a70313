from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from popcon.domain.errors import Canceled
from popcon.vision.matte import matte_frames
from popcon.vision.segment.base import Click, Prepared
from popcon.vision.segment.classical import ClassicalSegmenter
from popcon.vision.segment.edits import LayerStack
from popcon.vision.segment.propagate import guard_edit, move_clicks, propagate, propagate_edit

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


# ---- apply-to-all rules: a propagated edit never adds background, never drops a kept part ----------
SAMPLES = sorted((Path(__file__).resolve().parents[3].parent / "shared" / "samples").glob("*_on_white.jpg"))


class _SpillingSegmenter:
    """A bad re-segmentation: spills into the background (a blob beside the head) and misses a thin part."""

    name = "spilling"

    def __init__(self, blob: tuple[int, int], antenna: tuple[slice, slice]) -> None:
        self.blob, self.antenna = blob, antenna

    def prepare(self, image: np.ndarray, key: str | None = None) -> Prepared:
        return Prepared(self.name, image.shape[:2], image)

    def predict(
        self, prepared: Prepared, points: Sequence[Click], prior: np.ndarray | None = None
    ) -> np.ndarray:
        m = (np.asarray(prior) > 0.5).astype(np.uint8)
        cv2.circle(m, self.blob, 14, 1, -1)
        m[self.antenna] = 0
        return m.astype(np.float32)


def _antenna_clip(n: int = 6) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """A round character with a thin antenna and a ball on top, moving right on a blue key colour."""
    frames, autos = [], []
    for i in range(n):
        a = np.zeros((200, 240), np.uint8)
        cx = 100 + 3 * i
        cv2.circle(a, (cx, 120), 45, 1, -1)
        cv2.line(a, (cx, 75), (cx, 40), 1, 2)
        cv2.circle(a, (cx, 36), 5, 1, -1)
        img = np.zeros((200, 240, 3), np.uint8) + np.array([30, 60, 230], np.uint8)
        img[a > 0] = (230, 120, 40)
        img[30:42, cx - 6 : cx + 7][a[30:42, cx - 6 : cx + 7] > 0] = (220, 30, 30)
        frames.append(img)
        autos.append(a.astype(np.float32))
    return frames, autos


def test_a_propagated_keep_never_shows_background_nor_drops_a_thin_part() -> None:
    frames, autos = _antenna_clip()
    seg = _SpillingSegmenter(blob=(160, 60), antenna=(slice(25, 60), slice(0, 240)))
    masks = propagate_edit(seg, frames, 0, "keep", [Click(100, 120, True)], autos[0], autos)
    for i in range(1, len(frames)):
        stack = LayerStack(autos[i].shape)
        stack.push("keep", masks[i])
        out = stack.alpha(autos[i]) > 0.5
        auto = autos[i] > 0.5
        assert not (out & ~auto).any(), f"frame {i}: background shown"
        assert out[25:45].sum() >= 0.95 * auto[25:45].sum(), f"frame {i}: the antenna ball was dropped"


def test_guard_limits_erase_and_restore_to_where_the_edit_went() -> None:
    auto = np.zeros((50, 50), np.float32)
    auto[10:40, 10:40] = 1
    edit = np.zeros_like(auto)
    edit[0:8, 0:8] = 1
    spill = np.ones_like(auto)  # the re-segmentation covered the whole frame
    for op in ("erase", "restore"):
        g = guard_edit(op, spill, auto, edit, np.zeros_like(auto))
        assert g[30, 30] == 0 and g[2, 2] == 1


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda p: p.stem)
def test_apply_to_all_on_every_sample(sample: Path) -> None:
    """Each sample, moving over a few frames: the user keeps the character on frame 0 (GrabCut from one
    click), and every propagated frame shows no more background than the edit did and keeps the parts
    of the frame's own automatic cut-out that the edit kept."""
    rgb = np.asarray(Image.open(sample).convert("RGB"))
    s = 200 / max(rgb.shape[:2])
    small = cv2.resize(rgb, None, fx=s, fy=s, interpolation=cv2.INTER_AREA)
    h, w = small.shape[:2]
    frames = []
    for i in range(5):
        canvas = np.full((h + 20, w + 40, 3), 255, np.uint8)
        canvas[10 : 10 + h, 4 * i + 5 : 4 * i + 5 + w] = small
        frames.append(canvas)
    autos = [c[..., 3].astype(np.float32) / 255 for c in matte_frames(frames)]
    seg = ClassicalSegmenter()
    click = [Click(5 + w / 2, 10 + h / 2, True)]
    src = seg.predict(seg.prepare(frames[0]), click, prior=autos[0])
    src_extra = int(((src > 0.5) & (autos[0] <= 0.5)).sum())
    src_kept = (src > 0.5) & (autos[0] > 0.5)
    masks = propagate_edit(seg, frames, 0, "keep", click, src, autos)
    for i in range(1, len(frames)):
        stack = LayerStack(autos[i].shape)
        stack.push("keep", masks[i])
        out = stack.alpha(autos[i]) > 0.5
        auto = autos[i] > 0.5
        extra = int((out & ~auto).sum())
        assert extra <= 1.2 * src_extra + 0.01 * auto.sum(), f"frame {i}: background added ({extra} px)"
        if src_kept.sum() >= 0.97 * (autos[0] > 0.5).sum():  # the edit kept the whole character
            assert (out & auto).sum() >= 0.97 * auto.sum(), f"frame {i}: a kept part was dropped"
