from __future__ import annotations

import numpy as np

from popcon.vision.segment.base import Click
from popcon.vision.segment.classical import ClassicalSegmenter

from .conftest import iou, scene


def test_positive_click_covers_the_shape() -> None:
    img, truth = scene()
    seg = ClassicalSegmenter()
    m = seg.predict(seg.prepare(img), [Click(160, 130, True)])
    assert iou(m > 0.5, truth) >= 0.95
    edge = (m > 0.05) & (m < 0.95)
    assert edge.any()  # soft, anti-aliased edge


def test_negative_click_removes_a_region() -> None:
    img, truth = scene()
    blob = np.zeros(truth.shape, bool)
    blob[100:140, 200:260] = True  # a blue prop touching the disc
    img[blob] = (40, 90, 220)
    seg = ClassicalSegmenter()
    prep = seg.prepare(img)
    both = seg.predict(prep, [Click(150, 120, True)]) > 0.5
    assert both[blob].mean() > 0.9
    only = seg.predict(prep, [Click(150, 120, True), Click(240, 120, False)]) > 0.5
    assert only[blob & ~truth].mean() < 0.1
    assert iou(only, truth) >= 0.93


def test_prior_is_respected() -> None:
    img, truth = scene()
    other = np.zeros(truth.shape, bool)
    other[170:220, 240:300] = True
    img[other] = (60, 160, 60)
    seg = ClassicalSegmenter()
    prep = seg.prepare(img)
    prior = other.astype(np.float32)
    m = seg.predict(prep, [Click(150, 120, True)], prior=prior) > 0.5
    assert iou(m, truth | other) >= 0.93  # the clicked object added, the prior's other part kept
    m2 = seg.predict(prep, [Click(270, 195, False)], prior=(truth | other).astype(np.float32)) > 0.5
    assert iou(m2, truth) >= 0.93  # a negative click removes only what it points at


def test_full_resolution_output_for_large_frames() -> None:
    img, truth = scene(720, 1280, 640, 360, 200)
    seg = ClassicalSegmenter()
    m = seg.predict(seg.prepare(img), [Click(640, 360, True)])
    assert m.shape == (720, 1280)
    assert iou(m > 0.5, truth) >= 0.97


def test_prior_models_are_learnt_once_per_frame_and_prior(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The clicks of one edit share the prior: its colour models are learnt once (grabCut with zero
    passes), and a changed prior learns its own."""
    import cv2

    import popcon.vision.segment.classical as classical

    img, truth = scene()
    seg = ClassicalSegmenter()
    prep = seg.prepare(img)
    learnt: list[int] = []
    real = cv2.grabCut

    def counting(*args, **kwargs):  # type: ignore[no-untyped-def]
        if args[5] == 0:
            learnt.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(classical.cv2, "grabCut", counting)
    prior = truth.astype(np.float32)
    first = seg.predict(prep, [Click(150, 120, True)], prior=prior)
    second = seg.predict(prep, [Click(150, 120, True), Click(20, 20, False)], prior=prior)
    assert len(learnt) == 1
    assert iou(first > 0.5, truth) >= 0.95 and iou(second > 0.5, truth) >= 0.95
    grown = truth.copy()
    grown[:, :40] = True
    seg.predict(prep, [Click(150, 120, True)], prior=grown.astype(np.float32))
    assert len(learnt) == 2
