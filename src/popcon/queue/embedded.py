"""The embedded runner: a job's actions on this process's thread pool, under one job lease.

One of the two `JobRunner`s (the other is `popcon.queue.dispatch.CeleryRunner`); the default when
one machine is enough. The store is the memory that survives a restart.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, TypeVar

from popcon.domain.errors import StorageError
from popcon.domain.events import EventBus
from popcon.domain.models import Job
from popcon.pipeline.engine import JobEngine
from popcon.pipeline.leases import new_owner
from popcon.providers.base import ImageProvider, VideoProvider
from popcon.providers.registry import image_provider, video_provider
from popcon.queue.pool import WorkerPool
from popcon.settings import Settings
from popcon.store.db import JobStore

T = TypeVar("T")


class EmbeddedRunner:
    """The embedded runner: a job's actions on this process's thread pool, under one job lease."""

    def __init__(
        self,
        settings: Settings,
        store: JobStore,
        *,
        pool: WorkerPool | None = None,
        bus: EventBus | None = None,
        images: ImageProvider | None = None,
        video: VideoProvider | None = None,
    ) -> None:
        self.settings = settings
        self.store = store
        self.pool = pool or WorkerPool(settings.workers)
        self.bus = bus or EventBus()
        self.images = images or image_provider(settings)
        self.video = video or video_provider(settings)
        self.engine = JobEngine(
            settings, store, bus=self.bus, images=self.images, video=self.video, owner=new_owner()
        )
        self.owner = self.engine.owner

    # ---- public API -------------------------------------------------------------------
    def submit(self, job_id: str, *, resume: bool = False) -> Future[Job]:
        return self.pool.submit_job(self.run_job, job_id, resume=resume)

    def cancel(self, job_id: str) -> Job:
        return self.engine.cancel(job_id)

    def run_job(self, job_id: str, *, resume: bool = False) -> Job:
        """Take the job from wherever it stands to its end (or to awaiting_refinement).

        `resume` brings a failed or canceled job back first (the user asked for it).
        """
        let_go = self.engine.hold_job(job_id)
        try:
            if resume:
                self.engine.requeue(job_id)
            live = self.engine.start_job(job_id)
            if live is None:
                return self.store.get_job(job_id)
            futures = [self.pool.submit_stage(self.engine.run_action, job_id, i) for i in live]
            if not self.pool.wait_stages(futures):  # the process is exiting: resume continues the job
                return self.store.get_job(job_id)
            for f in futures:  # a storage failure stops the job as it stands; resume continues it
                error = f.exception()
                if isinstance(error, StorageError):
                    raise error
            return self.engine.finish_job(job_id)
        finally:
            let_go()

    def export(self, job_id: str, platforms: list[str]) -> Job:
        """Export a finished (or awaiting refinement) job again, for these platforms."""
        return self.engine.export_now(job_id, platforms)

    def background(self, fn: Callable[..., T], *args: Any) -> Future[T]:
        return self.pool.submit_job(fn, *args)

    def close(self, wait: bool = True) -> None:
        self.pool.shutdown(wait=wait)
