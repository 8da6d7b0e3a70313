from __future__ import annotations

import numpy as np
import pytest

from popcon.domain.errors import InvalidInput
from popcon.domain.platforms import get_platform
from popcon.media.canvas import fit_frames
from popcon.media.palette import apply_palette, build_palette, psnr, quantize
from tests.helpers.clips import disc_clip

PRESET = get_platform("line-emoji")


@pytest.fixture(scope="module")
def clip() -> list[np.ndarray]:
    return fit_frames(disc_clip(10), PRESET.canvas, PRESET.margin_px)


def test_one_palette_with_transparent_entry(clip: list[np.ndarray]) -> None:
    q = quantize(clip, 64)
    assert 2 <= len(q.palette) <= 64
    assert tuple(q.palette[0]) == (0, 0, 0, 0)
    assert len(q.indices) == len(clip)
    for f, m in zip(clip, q.indices, strict=True):
        assert m.shape == (180, 180) and m.dtype == np.uint8
        assert (m[f[..., 3] == 0] == 0).all()  # invisible stays invisible


def test_quality_improves_with_colours(clip: list[np.ndarray]) -> None:
    scores = []
    for k in (32, 128, 256):
        q = quantize(clip, k)
        scores.append(np.mean([psnr(f, q.to_rgba(i)) for i, f in enumerate(clip)]))
    assert scores[0] < scores[1] <= scores[2] + 0.5
    assert scores[2] > 32.0


def test_few_colours_are_kept_exactly() -> None:
    f = np.zeros((20, 20, 4), np.uint8)
    f[5:10, 5:10] = (255, 0, 0, 255)
    g = f.copy()
    g[12:15, 2:8] = (0, 128, 255, 100)
    q = quantize([f, g], 256)
    assert len(q.palette) == 3
    assert np.array_equal(q.to_rgba(0), f) and np.array_equal(q.to_rgba(1), g)


def test_soft_edges_keep_their_colour(clip: list[np.ndarray]) -> None:
    red = np.zeros((120, 120, 4), np.uint8)
    yy, xx = np.mgrid[0:120, 0:120]
    d = np.hypot(yy - 60, xx - 60)
    red[..., 0] = 220
    red[..., 3] = np.clip((50 - d) * 40, 0, 255).astype(np.uint8)
    noisy = [red, *clip[:2]]  # share the palette with a colourful clip
    q = quantize([np.ascontiguousarray(f[:120, :120]) for f in noisy], 48)
    out = q.to_rgba(0)
    edge = (red[..., 3] > 30) & (red[..., 3] < 230) & (out[..., 3] > 0)
    assert edge.any()
    # edge pixels map to reddish entries, not to the dark or white of a fringe
    assert (out[edge][:, 0].astype(int) - out[edge][:, 1:3].max(axis=1)).min() > 60


def test_deterministic(clip: list[np.ndarray]) -> None:
    a, b = quantize(clip, 96), quantize(clip, 96)
    assert np.array_equal(a.palette, b.palette)
    assert all(np.array_equal(x, y) for x, y in zip(a.indices, b.indices, strict=True))


def test_bad_sizes_refused(clip: list[np.ndarray]) -> None:
    with pytest.raises(InvalidInput):
        build_palette(clip, 300)
    with pytest.raises(InvalidInput):
        apply_palette(clip, np.full((4, 4), 255, np.uint8))  # entry 0 not transparent
