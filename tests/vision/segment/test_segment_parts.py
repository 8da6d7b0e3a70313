"""Part choices for a click: the part, bigger parts, the whole, from the frame's own structure."""

from __future__ import annotations

import numpy as np
import pytest

from popcon.vision.segment.base import Click, choices
from popcon.vision.segment.classical import ClassicalSegmenter
from tests.helpers.mascot import MascotFrame, inside_point, iou, mascot_frame


@pytest.fixture(scope="module")
def mascot() -> MascotFrame:
    return mascot_frame()


@pytest.fixture(scope="module")
def seg() -> ClassicalSegmenter:
    return ClassicalSegmenter()


@pytest.mark.parametrize("limb", ["right_arm", "right_leg", "left_leg"])
def test_a_click_on_a_limb_offers_the_limb(mascot: MascotFrame, seg: ClassicalSegmenter, limb: str) -> None:
    prep = seg.prepare(mascot.rgb)
    x, y = inside_point(mascot.limbs[limb])
    masks = choices(seg, prep, [Click(x, y)], prior=mascot.rgba[..., 3])
    assert len(masks) >= 2
    areas = [float((m > 0.5).sum()) for m in masks]
    assert areas == sorted(areas), "choices run from the smallest part to the whole"
    best = max(iou(m > 0.5, mascot.limbs[limb]) for m in masks)
    assert best >= 0.8, f"no choice is the {limb}: best IoU {best:.2f}"
    whole = mascot.rgba[..., 3] > 127
    assert iou(masks[-1] > 0.5, whole) > 0.95, "the last choice is the whole character"


def test_a_background_point_on_the_body_keeps_the_limb(mascot: MascotFrame, seg: ClassicalSegmenter) -> None:
    prep = seg.prepare(mascot.rgb)
    arm, body = mascot.limbs["right_arm"], mascot.limbs["torso"]
    (ax, ay), (bx, by) = inside_point(arm), inside_point(body)
    masks = choices(seg, prep, [Click(ax, ay), Click(bx, by, False)], prior=mascot.rgba[..., 3])
    assert masks and all(m[round(by), round(bx)] < 0.5 for m in masks), "no choice takes the body"
    assert max(iou(m > 0.5, arm) for m in masks) >= 0.8
    assert min(float((m > 0.5).sum()) for m in masks) > 0.2 * arm.sum(), "a choice collapsed to a speck"


def test_a_click_off_the_cut_out_falls_back_to_one_colour_cut(
    mascot: MascotFrame, seg: ClassicalSegmenter
) -> None:
    prep = seg.prepare(mascot.rgb)
    masks = choices(seg, prep, [Click(5, 5)], prior=mascot.rgba[..., 3])
    assert len(masks) == 1


def test_part_masks_keep_the_cut_outs_soft_edge(mascot: MascotFrame, seg: ClassicalSegmenter) -> None:
    prep = seg.prepare(mascot.rgb)
    x, y = inside_point(mascot.limbs["right_leg"])
    alpha = mascot.rgba[..., 3].astype(np.float32) / 255
    for m in choices(seg, prep, [Click(x, y)], prior=mascot.rgba[..., 3]):
        assert (m <= alpha + 1e-6).all(), "a part never selects more than the cut-out holds"
        assert ((m > 0) & (m < 1)).any(), "the outer edge stays soft"
