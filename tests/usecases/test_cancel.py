"""Cancel and what follows it: retrying one action of a canceled job runs that action only."""

from __future__ import annotations

import time

from popcon.domain.status import ActionStatus, JobStatus
from popcon.settings import Settings
from popcon.usecases.context import open_context
from popcon.usecases.jobs import NewJob, Upload, actions_from_names, cancel_job, create_job, retry_action
from tests.conftest import SAMPLES


def _rest(ctx, job_id: str, timeout: float = 180):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while True:
        job = ctx.get_job(job_id)
        if (job.status.at_rest and not ctx.busy(job_id)) or time.monotonic() > deadline:
            return job
        time.sleep(0.1)


def test_retrying_action_0_of_a_canceled_job_runs_only_action_0(settings: Settings) -> None:
    ctx = open_context(settings.model_copy(update={"workers": 1}))
    try:
        req = NewJob(
            presets=actions_from_names(["wave", "jump", "laugh", "love"]),
            platforms=["line-emoji"],
            image=Upload("fox.png", data=(SAMPLES / "fox.png").read_bytes()),
            auto_export=False,
        )
        job, _ = create_job(ctx, req, start=False)

        def cancel_when_action_0_runs(e) -> None:  # type: ignore[no-untyped-def]
            if e.kind == "action" and e.action_index == 0 and e.status not in ("pending", "canceled"):
                cancel_job(ctx, job.id)

        stop = ctx.subscribe(cancel_when_action_0_runs)
        ctx.start(job.id, ctx.run_job, job.id)
        canceled = _rest(ctx, job.id)
        stop()
        assert canceled.status == JobStatus.CANCELED
        before = {a.index: (a.status, a.attempts) for a in canceled.actions}
        assert before[0][0] == ActionStatus.CANCELED, before
        retry_action(ctx, job.id, 0)
        after = _rest(ctx, job.id)
        assert after.actions[0].status == ActionStatus.DONE, after.actions[0]
        for a in after.actions[1:]:  # not run: a sibling the cancel left pending is now marked canceled
            assert a.attempts == before[a.index][1], f"action {a.index} was run again"
            assert (
                a.status in (before[a.index][0], ActionStatus.CANCELED) and a.status != ActionStatus.PENDING
            )
        assert after.status == JobStatus.AWAITING_REFINEMENT, after.status
    finally:
        ctx.close()
