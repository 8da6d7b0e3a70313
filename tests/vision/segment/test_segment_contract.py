"""The contract every segmentation backend passes (classical always, SAM 2.1 with random weights)."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from popcon.domain.errors import InvalidInput
from popcon.vision.segment.base import Click, Prepared, Segmenter

from .conftest import scene


def test_is_a_segmenter(segmenter: Segmenter) -> None:
    assert isinstance(segmenter, Segmenter)
    assert segmenter.name in ("classical", "sam2")


def test_predict_shape_dtype_range(segmenter: Segmenter) -> None:
    img, _ = scene()
    prep = segmenter.prepare(img)
    assert isinstance(prep, Prepared) and prep.shape == img.shape[:2]
    for clicks in ([Click(150, 120, True)], [Click(150, 120, True), Click(300, 20, False)]):
        m = segmenter.predict(prep, clicks)
        assert m.shape == img.shape[:2] and m.dtype == np.float32
        assert float(m.min()) >= 0.0 and float(m.max()) <= 1.0


def test_no_clicks_returns_prior_or_empty(segmenter: Segmenter) -> None:
    img, truth = scene()
    prep = segmenter.prepare(img)
    assert not segmenter.predict(prep, []).any()
    prior = truth.astype(np.uint8) * 255
    np.testing.assert_allclose(segmenter.predict(prep, [], prior=prior), truth.astype(np.float32))


def test_prepare_is_cached_per_key(segmenter: Segmenter) -> None:
    img, _ = scene()
    a = segmenter.prepare(img, key="clip/0")
    assert segmenter.prepare(img, key="clip/0") is a
    assert segmenter.prepare(img, key="clip/1") is not a


def test_rgba_accepted_and_bad_input_refused(segmenter: Segmenter) -> None:
    img, _ = scene()
    rgba = np.dstack([img, np.full(img.shape[:2], 255, np.uint8)])
    assert segmenter.prepare(rgba).shape == img.shape[:2]
    with pytest.raises(InvalidInput):
        segmenter.prepare(img.astype(np.float32))
    with pytest.raises(InvalidInput):
        segmenter.prepare(img[..., 0])
    prep = segmenter.prepare(img)
    with pytest.raises(InvalidInput):
        segmenter.predict(prep, [Click(5, 5, True)], prior=np.zeros((10, 10), np.uint8))


def test_clicks_outside_the_image_are_clamped(segmenter: Segmenter) -> None:
    img, _ = scene()
    m = segmenter.predict(segmenter.prepare(img), [Click(-50, 9999, True)])
    assert m.shape == img.shape[:2]


def test_concurrent_predictions_agree(segmenter: Segmenter) -> None:
    img, _ = scene()
    prep = segmenter.prepare(img, key="concurrent")
    clicks = [Click(150, 120, True)]
    ref = segmenter.predict(prep, clicks)
    results: list[np.ndarray] = []

    def run() -> None:
        results.append(segmenter.predict(prep, clicks))

    threads = [threading.Thread(target=run) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 3
    for r in results:
        np.testing.assert_allclose(r, ref, atol=1e-5)


def test_prefetch_fills_the_cache(segmenter: Segmenter) -> None:
    from popcon.vision.segment.base import prefetch

    img, _ = scene()
    prefetch(segmenter, [img, img[::-1].copy()], ["pf/0", "pf/1"]).join(timeout=120)
    a = segmenter.prepare(img, key="pf/0")
    assert segmenter.prepare(img, key="pf/0") is a
