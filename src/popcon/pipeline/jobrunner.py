"""The interfaces the pipeline needs from whoever schedules its work.

`JobRunner` is what the use cases drive: the embedded worker pool and the Celery queue both
implement it (in `popcon.queue`), so nothing above knows which mode it is in and the pipeline
never imports the queue. `Limiter` is how a scheduler shares provider concurrency slots across
workers; the engine takes one injected (None: the providers' own per-process limits).
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future
from contextlib import AbstractContextManager
from typing import Any, Protocol, TypeVar

from popcon.domain.events import EventBus
from popcon.domain.models import Job
from popcon.providers.base import ImageProvider, VideoProvider
from popcon.store.db import JobStore

T = TypeVar("T")
CancelCheck = Callable[[], None]


def _never() -> None:
    return None


class Limiter(Protocol):
    def slot(self, key: str, limit: int, check_cancel: CancelCheck = _never) -> AbstractContextManager[None]:
        """Wait for one of `limit` slots named `key` (calling `check_cancel` while waiting)."""
        ...


class JobRunner(Protocol):
    """Runs jobs somewhere (threads here, or workers elsewhere) and reports on `bus`."""

    store: JobStore
    images: ImageProvider  # describe the generation providers (the CLI says when they are offline)
    video: VideoProvider

    @property
    def bus(self) -> EventBus:
        """Every progress event of every job this runner (or its workers) runs."""
        ...

    def submit(self, job_id: str, *, resume: bool = False) -> Future[Job]:
        """Run the job from wherever it stands; the future resolves when it comes to rest."""
        ...

    def run_job(self, job_id: str, *, resume: bool = False) -> Job:
        """Run the job and wait until it comes to rest (`resume`: bring a failed/canceled job back)."""
        ...

    def export(self, job_id: str, platforms: list[str]) -> Job:
        """Export an exportable job for these platforms and wait for the outcome."""
        ...

    def cancel(self, job_id: str) -> Job:
        """Mark the job canceled; running stages notice within a fraction of a second."""
        ...

    def background(self, fn: Callable[..., T], *args: Any) -> Future[T]:
        """Run `fn(*args)` (a job-scoped call that waits) off the caller's thread."""
        ...

    def close(self, wait: bool = True) -> None:
        """Stop taking work (`wait`: let what runs here finish first)."""
        ...
