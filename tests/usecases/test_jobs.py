"""The job use cases without a shell: what both the CLI and the web app rely on."""

from __future__ import annotations

import pytest

from popcon.domain.errors import Conflict, InvalidInput
from popcon.domain.status import JobStatus
from popcon.settings import Settings
from popcon.usecases.context import open_context
from popcon.usecases.jobs import (
    NewJob,
    Upload,
    actions_from_items,
    actions_from_names,
    create_job,
    delete_job,
)
from tests.conftest import SAMPLES


@pytest.fixture
def ctx(settings: Settings):  # type: ignore[no-untyped-def]
    c = open_context(settings)
    yield c
    c.close()


def _request(**kw: object) -> NewJob:
    fields: dict = {
        "presets": actions_from_names(["wave"]),
        "platforms": ["line-emoji"],
        "image": Upload("fox.png", data=(SAMPLES / "fox.png").read_bytes()),
        **kw,
    }
    return NewJob(**fields)


def test_idempotency_key_and_duplicate_window(ctx) -> None:  # type: ignore[no-untyped-def]
    first, created = create_job(ctx, _request(idempotency_key="k"), start=False)
    again, created_again = create_job(ctx, _request(idempotency_key="k"), start=False)
    assert created and not created_again and again.id == first.id
    plain, _ = create_job(ctx, _request(), start=False)
    assert plain.id != first.id  # no key and no window: every call is a new job
    dup, created_dup = create_job(ctx, _request(duplicate_window_s=30.0), start=False)
    assert not created_dup and dup.id == plain.id


def test_inputs_are_checked_before_a_job_exists(ctx) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidInput, match="exactly one"):
        create_job(ctx, _request(prompt="a cat"), start=False)
    with pytest.raises(InvalidInput, match="not an image"):
        create_job(ctx, _request(image=Upload("x.png", data=b"\x89PNG\r\n\x1a\n junk")), start=False)
    with pytest.raises(InvalidInput, match="myspace"):
        create_job(ctx, _request(platforms=["myspace"]), start=False)
    with pytest.raises(InvalidInput, match="listed twice"):
        actions_from_items(["wave", {"id": "wave"}])
    assert ctx.list_jobs() == []


def test_delete_refuses_a_running_job_and_removes_a_stopped_one(ctx) -> None:  # type: ignore[no-untyped-def]
    job, _ = create_job(ctx, _request(), start=False)
    assert job.status == JobStatus.QUEUED
    with pytest.raises(Conflict):
        delete_job(ctx, job.id)
    ctx.runner.cancel(job.id)
    root = ctx.files(job.id).root
    assert root.is_dir()
    delete_job(ctx, job.id)
    assert ctx.list_jobs() == [] and not root.exists()
