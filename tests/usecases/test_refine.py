"""Refine without a shell: a restore brings back the character's colours, never the key colour."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from popcon.animation.animator import render_clip
from popcon.animation.mascot import sample_character
from popcon.domain.models import Job
from popcon.media.images import read_png
from popcon.providers.keycolor import choose_key_color
from popcon.settings import Settings
from popcon.usecases.context import AppContext, open_context
from popcon.usecases.jobs import NewJob, actions_from_names, create_job
from popcon.usecases.refine import ClickIn, clicks_of
from popcon.vision.unmix import key_lean


@pytest.fixture
def ctx(settings: Settings) -> Iterator[AppContext]:
    c = open_context(settings.model_copy(update={"clip_size": 256}))
    yield c
    c.close()


def _job(ctx: AppContext, clips: dict[str, Path] | None = None) -> Job:
    req = NewJob(
        presets=actions_from_names(["wave"]),
        platforms=["line-emoji"],
        sample=True,
        auto_export=False,
        clips=clips or {},
    )
    job, _ = create_job(ctx, req, start=False)
    done = ctx.run_job(job.id)
    assert done.status.value == "awaiting_refinement", (done.status, done.error)
    return done


def _centre(alpha: np.ndarray) -> tuple[float, float]:
    ys, xs = np.nonzero(alpha > 200)
    return float(np.median(xs)), float(np.median(ys))


def _apply(ctx: AppContext, job: Job, clicks: list[ClickIn], mode: str, whole: bool = False) -> np.ndarray:
    """Apply the clicks; `whole` takes the largest of the choices they offer (the whole piece)
    instead of the default part under the click."""
    k = ctx.refine.key(job, 0, 0)
    choice = len(ctx.refine.choices(k, clicks_of(clicks), mode)) - 1 if whole else None
    ctx.refine.apply(k, clicks_of(clicks), mode, choice=choice)
    return read_png(ctx.refine.cutout_path(k))


def test_restore_on_a_keyed_clip_pastes_no_key_colour(ctx: AppContext, tmp_path: Path) -> None:
    character = sample_character()
    key = choose_key_color(character)
    clip = render_clip(
        character,
        actions_from_names(["wave"])[0].recipe,
        tmp_path / "keyed.mp4",
        background=key,
        size=256,
        fps=12,
    )
    job = _job(ctx, {"wave": clip})
    k = ctx.refine.key(job, 0, 0)
    before = read_png(ctx.refine.cutout_path(k))
    original = read_png(ctx.refine.original_path(k))
    assert original.shape[2] == 3 and (key_lean(original, key) > 0.9).mean() > 0.3  # a keyed frame

    def tinted(cut: np.ndarray) -> int:
        return int(((key_lean(cut[..., :3], key) > 0.1) & (cut[..., 3] > 0)).sum())

    assert tinted(before) == 0
    x, y = _centre(before[..., 3])
    body: list[ClickIn] = [(x, y, True)]
    erased = _apply(ctx, job, body, "erase", whole=True)
    assert erased[..., 3].sum() < 0.7 * before[..., 3].sum()
    restored = _apply(ctx, job, body, "restore", whole=True)
    assert tinted(restored) == 0
    assert restored[..., 3].astype(int).sum() > 0.9 * before[..., 3].astype(int).sum()
    # A restore click on the background brings back nothing visible: the key has no opacity.
    corner: list[ClickIn] = [(6.0, 6.0, True)]
    after = _apply(ctx, job, corner, "restore")
    assert tinted(after) == 0
    grown = (after[..., 3] > 0) & (restored[..., 3] == 0)
    assert grown.mean() < 0.01, grown.mean()


def test_restore_on_an_alpha_clip_brings_back_its_own_pixels(ctx: AppContext) -> None:
    job = _job(ctx)  # the offline animator: frames with their own alpha
    k = ctx.refine.key(job, 0, 0)
    original = read_png(ctx.refine.original_path(k))
    assert original.shape[2] == 4
    x, y = _centre(original[..., 3])
    _apply(ctx, job, [(x, y, True)], "erase", whole=True)
    restored = _apply(ctx, job, [(x, y, True)], "restore", whole=True)
    # Restored pixels are the original's colours, never more opaque than the original (a soft mask
    # edge brings a rim pixel back partly); nothing transparent turns opaque.
    assert int(((restored[..., 3] > 0) & (original[..., 3] == 0)).sum()) == 0
    assert (restored[..., 3] <= original[..., 3]).all()
    assert restored[..., 3].astype(int).sum() > 0.95 * original[..., 3].astype(int).sum()
    back = restored[..., 3] > 0
    assert np.abs(restored[..., :3][back].astype(int) - original[..., :3][back]).max() <= 1
    corner = _apply(ctx, job, [(4.0, 4.0, True)], "restore")
    assert int(((corner[..., 3] > 0) & (original[..., 3] == 0)).sum()) == 0
