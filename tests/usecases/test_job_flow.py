"""The job use cases past creation: what is stored as typed options, resume / retry / cancel / export
refusals with their reasons, background export, and the context's activity log and busy state."""

from __future__ import annotations

import json
import threading
import time

import pytest

from popcon.domain.errors import Conflict, InvalidInput, NotFound
from popcon.domain.events import Event
from popcon.domain.models import Job, JobOptions
from popcon.domain.status import JobStatus
from popcon.usecases.context import AppContext
from popcon.usecases.jobs import (
    NewJob,
    Upload,
    actions_from_names,
    cancel_job,
    create_job,
    resume_job,
    retry_action,
    run_job,
    start_export,
)
from popcon.usecases.rig import job_rig
from tests.conftest import SAMPLES
from tests.usecases.conftest import sample_job


def _wait_idle(ctx: AppContext, job_id: str, timeout: float = 300) -> Job:
    deadline = time.monotonic() + timeout
    while ctx.busy(job_id) and time.monotonic() < deadline:
        time.sleep(0.1)
    return ctx.get_job(job_id)


def test_the_inputs_of_a_new_job_are_kept_as_typed_options(module_ctx: AppContext, refined: Job) -> None:
    rig = job_rig(module_ctx, refined.id).to_json().encode()
    fox = (SAMPLES / "fox.png").read_bytes()
    req = NewJob(
        presets=actions_from_names(["wave"]),
        platforms=["line-emoji"],
        image=Upload("my fox.png", data=fox),
        rig=rig,
        idempotency_key="  key-1 ",
    )
    job, created = create_job(module_ctx, req, start=False)
    assert created and isinstance(job.options, JobOptions)
    opts = job.options
    assert opts.idempotency_key == "key-1" and opts.content_hash and opts.created_unix > 0
    inputs = module_ctx.files(job.id).input_dir
    assert opts.upload is not None and (inputs / opts.upload).read_bytes() == fox
    assert opts.rig is not None and json.loads((inputs / opts.rig).read_text("utf-8"))["source"] == "user"
    assert opts.captions is not None and opts.captions.lang == "en" and opts.cutout is None
    assert opts.reference is None and job.usage == [] and job.cost == {}
    module_ctx.runner.cancel(job.id)

    prompt, _ = create_job(
        module_ctx,
        NewJob(
            presets=actions_from_names(["wave"]),
            platforms=["line-emoji"],
            prompt="a red fox",
            reference=Upload("look.png", data=fox),
        ),
        start=False,
    )
    assert prompt.source == "prompt" and prompt.options.reference is not None
    assert (module_ctx.files(prompt.id).input_dir / prompt.options.reference).read_bytes() == fox
    module_ctx.runner.cancel(prompt.id)


def test_bad_and_unknown_ids_are_refused_by_every_use_case(module_ctx: AppContext) -> None:
    for call in (
        lambda i: resume_job(module_ctx, i),
        lambda i: cancel_job(module_ctx, i),
        lambda i: start_export(module_ctx, i),
        lambda i: retry_action(module_ctx, i, 0),
        lambda i: run_job(module_ctx, i),
    ):
        with pytest.raises(NotFound):
            call("0123456789ab")
        with pytest.raises(InvalidInput, match="not a job id"):
            call("../etc/passwd")


def test_what_cannot_happen_to_a_job_at_rest_says_why(module_ctx: AppContext, refined: Job) -> None:
    with pytest.raises(Conflict, match="nothing to resume"):
        resume_job(module_ctx, refined.id)
    with pytest.raises(NotFound, match="no action #7"):
        retry_action(module_ctx, refined.id, 7)
    with pytest.raises(Conflict, match="only a failed action is retried"):
        retry_action(module_ctx, refined.id, 0)
    with pytest.raises(InvalidInput):
        start_export(module_ctx, refined.id, ["myspace"])
    assert module_ctx.get_job(refined.id).status == JobStatus.AWAITING_REFINEMENT  # nothing moved


def test_a_background_export_records_its_set_and_ends_the_job(module_ctx: AppContext) -> None:
    job = sample_job(module_ctx)
    events: list[Event] = []
    seen = threading.Event()

    def listen(e: Event) -> None:
        if e.job_id == job.id:
            events.append(e)
            module_ctx.record_activity(e)
            seen.set()

    stop = module_ctx.subscribe(listen)
    try:
        started = start_export(module_ctx, job.id, ["telegram-emoji"])
        assert started.id == job.id and seen.wait(60)
        done = _wait_idle(module_ctx, job.id)
    finally:
        stop()
    assert done.status == JobStatus.COMPLETED, done.error
    assert list(done.exports) == ["telegram-emoji"] and done.exports["telegram-emoji"].files
    with pytest.raises(Conflict, match="already completed"):
        cancel_job(module_ctx, job.id)
    assert any(e.kind == "export" and e.status == "done" for e in events)
    logged = module_ctx.activity(job.id)
    assert any(a.get("kind") == "export" for a in logged)
    assert all(a.get("kind") != "refine" for a in logged)
