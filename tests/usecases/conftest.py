"""A real AppContext for the use-case tests: SQLite store and files under a temporary data folder, the
embedded runner and the offline providers (no mocks).

`refined` is one sample job with one action, run once per test module up to awaiting_refinement;
a test that must start from a job of its own calls `sample_job`.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from popcon.domain.models import Job
from popcon.settings import Settings
from popcon.usecases.context import AppContext, open_context
from popcon.usecases.jobs import NewJob, actions_from_names, create_job


def sample_job(ctx: AppContext, actions: list[str] | None = None, platforms: list[str] | None = None) -> Job:
    """A sample job run through its cut-outs (stops for refinement)."""
    req = NewJob(
        presets=actions_from_names(actions or ["wave"]),
        platforms=platforms or ["line-emoji"],
        sample=True,
        auto_export=False,
    )
    job, _ = create_job(ctx, req, start=False)
    done = ctx.run_job(job.id)
    assert done.status.value == "awaiting_refinement", (done.status, done.error)
    return done


@pytest.fixture(scope="module")
def module_ctx(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppContext]:
    data: Path = tmp_path_factory.mktemp("usecases") / "data"
    c = open_context(Settings(data_dir=data, retry_base_delay=0.01, clip_size=256))
    yield c
    c.close()


@pytest.fixture(scope="module")
def refined(module_ctx: AppContext) -> Job:
    return sample_job(module_ctx)
