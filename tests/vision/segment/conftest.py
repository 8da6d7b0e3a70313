from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from popcon.vision.segment.base import Segmenter

HAS_SAM = (
    importlib.util.find_spec("torch") is not None and importlib.util.find_spec("ultralytics") is not None
)
BACKENDS = [
    "classical",
    pytest.param(
        "sam2", marks=[pytest.mark.skipif(not HAS_SAM, reason="popcon[sam] not installed"), pytest.mark.slow]
    ),
]


@pytest.fixture(scope="session")
def sam_weights(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """SAM 2.1 tiny with RANDOM weights, built at test time (nothing downloaded, nothing committed)."""
    if not HAS_SAM:
        pytest.skip("popcon[sam] not installed")
    from popcon.vision.segment.sam2 import write_random_weights

    return write_random_weights(tmp_path_factory.mktemp("sam") / "sam2.1_t.pt")


@pytest.fixture(scope="session")
def _sam_segmenter(sam_weights: Path) -> Segmenter:
    from popcon.vision.segment.sam2 import Sam2Segmenter

    return Sam2Segmenter(sam_weights)


@pytest.fixture(params=BACKENDS)
def segmenter(request: pytest.FixtureRequest) -> Segmenter:
    if request.param == "classical":
        from popcon.vision.segment.classical import ClassicalSegmenter

        return ClassicalSegmenter()
    return request.getfixturevalue("_sam_segmenter")


def scene(
    h: int = 240, w: int = 320, cx: int = 150, cy: int = 120, r: int = 55
) -> tuple[np.ndarray, np.ndarray]:
    """A shaded orange disc with a dark 'eye' on an off-white, slightly noisy background."""
    rng = np.random.default_rng(0)
    img = np.empty((h, w, 3), np.float32)
    img[:] = (238, 234, 226)
    img += rng.normal(0, 2.0, img.shape)
    yy, xx = np.mgrid[0:h, 0:w]
    d = np.hypot(xx - cx, yy - cy)
    a = np.clip(r + 0.5 - d, 0, 1)[..., None]
    shade = (1 - 0.3 * (yy - cy + r) / (2 * r))[..., None]
    fg = np.array([250, 170, 40], np.float32) * shade
    img = img * (1 - a) + fg * a
    eye = np.hypot(xx - cx + 15, yy - cy + 15) < 8
    img[eye] = (40, 30, 30)
    return np.clip(img, 0, 255).astype(np.uint8), d <= r


def iou(a: np.ndarray, b: np.ndarray) -> float:
    return float((a & b).sum() / max(1, (a | b).sum()))
