"""Request dependencies: the app's use-case context, its event hub, and the job a path names.

Why the context lives on `app.state` rather than in module globals: tests build many apps side by
side, each with its own data folder, and nothing may leak between them.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path, Request

from popcon.domain.errors import StorageError
from popcon.domain.models import Job
from popcon.usecases.context import AppContext
from popcon.web.hub import EventHub
from popcon.web.schemas import JobOut


def _usable(request: Request) -> None:
    """Raise the data folder's error when the app started on one it cannot use (a JSON 503/507)."""
    unusable: StorageError | None = getattr(request.app.state, "unusable", None)
    if unusable is not None:
        raise unusable


def services(request: Request) -> AppContext:
    _usable(request)
    ctx: AppContext = request.app.state.services
    return ctx


def event_hub(request: Request) -> EventHub:
    _usable(request)
    hub: EventHub = request.app.state.hub
    return hub


def get_job(
    job_id: Annotated[str, Path(description="12 hex digits", min_length=1, max_length=64)],
    svc: Annotated[AppContext, Depends(services)],
) -> Job:
    return svc.get_job(job_id)


def job_out(svc: AppContext, job: Job) -> JobOut:
    return JobOut.of(job, busy=svc.busy(job.id), stalled=svc.stalled(job.id))


Svc = Annotated[AppContext, Depends(services)]
Hub = Annotated[EventHub, Depends(event_hub)]
JobDep = Annotated[Job, Depends(get_job)]
