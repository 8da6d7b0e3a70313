"""Refine's edit state through the use case: frames addressed by ids, undo/redo, apply-to-all, refusals."""

from __future__ import annotations

import numpy as np
import pytest

from popcon.domain.errors import Conflict, InvalidInput, NotFound
from popcon.domain.models import Job
from popcon.media.images import read_png
from popcon.usecases.context import AppContext
from popcon.usecases.jobs import NewJob, actions_from_names, create_job
from popcon.usecases.refine import clicks_of, default_choice, done_action, pick_choice, require_editable
from tests.usecases.conftest import sample_job


def _centre(alpha: np.ndarray) -> tuple[float, float]:
    ys, xs = np.nonzero(alpha > 200)
    return float(np.median(xs)), float(np.median(ys))


def test_frames_are_addressed_only_by_ids_the_job_has(module_ctx: AppContext, refined: Job) -> None:
    refine = module_ctx.refine
    n = refined.actions[0].frame_count
    assert refine.key(refined, 0, n - 1).frame == n - 1
    with pytest.raises(NotFound, match="frames 0"):
        refine.key(refined, 0, n)
    with pytest.raises(NotFound, match="no action #3"):
        refine.key(refined, 3, 0)
    assert (
        refine.frame_size(refined, 0)
        == read_png(refine.original_path(refine.key(refined, 0, 0))).shape[1::-1]
    )
    require_editable(refined)


def test_an_unfinished_job_cannot_be_refined(module_ctx: AppContext) -> None:
    req = NewJob(presets=actions_from_names(["wave"]), platforms=["line-emoji"], sample=True)
    job, _ = create_job(module_ctx, req, start=False)
    with pytest.raises(Conflict, match="once they are cut out"):
        require_editable(job)
    with pytest.raises(Conflict, match="no cut-out frames"):
        done_action(job, 0)
    module_ctx.runner.cancel(job.id)


def test_an_erase_is_undone_and_redone_and_listed_as_an_edit(module_ctx: AppContext) -> None:
    job = sample_job(module_ctx)  # its own job: this test edits frames
    refine = module_ctx.refine
    k = refine.key(job, 0, 2)
    before = read_png(refine.cutout_path(k))
    clicks = clicks_of([(*_centre(before[..., 3]), True)])
    with pytest.raises(InvalidInput, match="at least once"):
        refine.choices(k, [], "erase")
    with pytest.raises(InvalidInput, match="mode"):
        refine.apply(k, clicks, "paint")
    with pytest.raises(Conflict, match="nothing to undo"):
        refine.step(k, -1)
    state = refine.apply(k, clicks, "erase")
    erased = read_png(refine.cutout_path(k))
    assert state["can_undo"] and not state["can_redo"]
    assert erased[..., 3].astype(int).sum() < before[..., 3].astype(int).sum()
    assert refine.edited_frames(job, 0) == [2]
    assert refine.step(k, -1)["can_redo"]
    assert np.array_equal(read_png(refine.cutout_path(k)), before)  # undo gives the automatic cut back
    refine.step(k, +1)
    assert np.array_equal(read_png(refine.cutout_path(k)), erased)
    with pytest.raises(Conflict, match="nothing to redo"):
        refine.step(k, +1)
    with pytest.raises(Conflict, match="no edits to apply"):
        refine.apply_all(job, 0, 0, lambda _d, _t: None)
    seen: list[tuple[int, int]] = []
    result = refine.apply_all(job, 0, 2, lambda d, t: seen.append((d, t)))
    assert seen and seen[-1][0] == seen[-1][1]
    assert set(refine.edited_frames(job, 0)) == set(range(job.actions[0].frame_count)), result


def test_the_default_choice_and_a_chosen_one_stay_in_range() -> None:
    for mode in ("keep", "erase", "restore"):
        for n in (1, 3, 5):
            assert 0 <= default_choice(mode, n) < n
            assert pick_choice(mode, n, None) == default_choice(mode, n)
            assert pick_choice(mode, n, n - 1) == n - 1
            with pytest.raises(InvalidInput, match="does not exist"):
                pick_choice(mode, n, n)
