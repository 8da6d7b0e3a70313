from __future__ import annotations

import numpy as np
import pytest

from popcon.domain.platforms import get_platform
from popcon.media.budget import BudgetExceeded, frame_count_steps, select_frames
from popcon.media.canvas import fit_frames
from popcon.media.formats import ensure_compliant, fit_budget
from popcon.media.validate import failures, validate_apng
from tests.helpers.clips import disc_clip, sample_clip

PRESET = get_platform("line-emoji")


def noisy_clip(n: int = 20, seed: int = 1) -> list[np.ndarray]:
    """Detailed, grainy 180x180 content that changes everywhere in every frame (worst case)."""
    rng = np.random.default_rng(seed)
    base = fit_frames(disc_clip(n, size=256, radius=110, travel=10), PRESET.canvas)
    out = []
    for f in base:
        g = f.copy()
        grain = rng.integers(-60, 61, size=(*f.shape[:2], 3))
        g[..., :3] = np.clip(g[..., :3].astype(int) + grain, 0, 255).astype(np.uint8)
        g[..., 3] = 255  # opaque over the whole canvas
        out.append(g)
    return out


def test_select_frames_keeps_the_preview_and_spacing() -> None:
    assert select_frames(24, 20)[0] == 0
    assert select_frames(20, 10) == list(range(0, 20, 2))
    assert select_frames(3, 5) == [0, 0, 1, 1, 2]


def test_frame_count_steps_respect_limits() -> None:
    assert frame_count_steps(24, PRESET)[0] == 20
    assert frame_count_steps(3, PRESET) == [5]
    steps = frame_count_steps(20, PRESET)
    assert steps == sorted(steps, reverse=True) and min(steps) == 5


def test_simple_clip_fits_at_full_quality_in_one_try() -> None:
    clip = fit_frames(disc_clip(12), PRESET.canvas, PRESET.margin_px)
    r = fit_budget(clip, 1, PRESET)
    assert (r.knobs.colours, r.knobs.frames, r.loops) == (256, 12, 4)
    assert len(r.attempts) == 1 and r.size <= 300_000
    assert not failures(validate_apng(r.data, PRESET))


def test_more_than_twenty_frames_are_resampled() -> None:
    clip = fit_frames(disc_clip(24, size=256), PRESET.canvas)
    r = fit_budget(clip, 2, PRESET)
    assert r.knobs.frames == 20 and r.source_frames[0] == 0
    assert sum(r.delays_ms) == 2000
    assert not failures(validate_apng(r.data, PRESET))


@pytest.mark.slow
def test_noisy_detailed_clip_is_brought_under_budget() -> None:
    r = fit_budget(noisy_clip(), 2, PRESET)
    assert r.size <= 300_000
    assert r.attempts[0][1] > 300_000  # it really had to search
    assert (r.knobs.colours, r.knobs.frames) != (256, 20)
    assert r.knobs.frames >= 5
    results = validate_apng(r.data, PRESET)
    assert not failures(results), failures(results)


def test_realistic_sample_fits() -> None:
    clip = fit_frames(sample_clip("fox", 20), PRESET.canvas, PRESET.margin_px)
    r = fit_budget(clip, 2, PRESET)
    assert r.size <= 300_000 and r.knobs.frames == 20
    assert not failures(validate_apng(r.data, PRESET))


def test_impossible_budget_raises() -> None:
    clip = fit_frames(disc_clip(10, size=256), PRESET.canvas)
    with pytest.raises(BudgetExceeded, match="2000 bytes"):
        fit_budget(clip, 2, PRESET, max_bytes=2000)


def test_compliant_file_is_not_reencoded() -> None:
    clip = fit_frames(disc_clip(10, size=256), PRESET.canvas)
    data = fit_budget(clip, 2, PRESET).data
    assert ensure_compliant(data, PRESET) is data


def test_noncompliant_file_is_refitted() -> None:
    clip = fit_frames(disc_clip(10, size=256), PRESET.canvas)
    data = fit_budget(clip, 2, PRESET, loops=0).data  # infinite loop: refused by LINE
    assert failures(validate_apng(data, PRESET))
    fixed = ensure_compliant(data, PRESET)
    assert fixed != data and not failures(validate_apng(fixed, PRESET))
