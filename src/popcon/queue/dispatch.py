"""`make_runner`: the one place (called by `popcon.usecases.context.open_context`) that chooses between
running jobs here and enqueueing them for Celery workers (`POPCON_QUEUE=celery`).

`CeleryRunner` and `EmbeddedRunner` both implement `popcon.pipeline.jobrunner.JobRunner`, so the
use cases and shells do not know which mode they are in: `submit`
enqueues and returns a future that resolves when the job comes to rest (read from the shared
database), and the workers' progress events reach `bus` through a Redis channel.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, TypeVar

from popcon.domain.errors import InvalidInput
from popcon.domain.events import EventBus
from popcon.domain.models import Job
from popcon.domain.status import JobStatus
from popcon.pipeline.engine import JobEngine
from popcon.pipeline.jobrunner import JobRunner
from popcon.providers.base import ImageProvider, VideoProvider
from popcon.queue.embedded import EmbeddedRunner
from popcon.queue.pool import WorkerPool
from popcon.settings import Settings
from popcon.store.db import JobStore

T = TypeVar("T")


def make_runner(
    settings: Settings,
    store: JobStore,
    *,
    images: ImageProvider | None = None,
    video: VideoProvider | None = None,
) -> JobRunner:
    """The runner the settings ask for: the embedded pool (default) or the Celery queue."""
    if settings.queue == "celery":
        return CeleryRunner(settings, store, images=images, video=video)
    return EmbeddedRunner(settings, store, images=images, video=video)


def at_rest(job: Job) -> bool:
    return job.status.at_rest


class CeleryRunner:
    """Enqueues jobs for `popcon worker`s and waits on the shared database for their outcome.

    The workers use their own provider settings; `images` / `video` here only describe them (the
    CLI prints whether generation is offline).
    """

    poll_s = 0.25

    def __init__(
        self,
        settings: Settings,
        store: JobStore,
        *,
        images: ImageProvider | None = None,
        video: VideoProvider | None = None,
        bus: EventBus | None = None,
    ) -> None:
        import redis

        from popcon.providers.registry import image_provider, video_provider
        from popcon.queue.celery_app import make_celery

        self.settings = settings
        self.store = store
        self.images = images or image_provider(settings)
        self.video = video or video_provider(settings)
        self.pool = WorkerPool(workers=1, max_jobs=32)  # threads that only wait on the database
        self.celery = make_celery(settings)
        self.redis = redis.Redis.from_url(settings.redis_url, socket_connect_timeout=5)
        self._bus = bus or EventBus()
        self.engine = JobEngine(settings, store, bus=self._bus, images=self.images, video=self.video)
        self.owner = self.engine.owner
        self._relay: threading.Thread | None = None
        self._relay_lock = threading.Lock()
        self._stop = threading.Event()

    @property
    def bus(self) -> EventBus:
        """Local listeners see every worker's events from the first time the bus is asked for."""
        self._start_relay()
        return self._bus

    # ---- JobRunner surface ----------------------------------------------------------------
    def submit(self, job_id: str, *, resume: bool = False) -> Future[Job]:
        self._start_relay()
        return self.pool.submit_job(self.run_job, job_id, resume=resume)

    def run_job(self, job_id: str, timeout: float | None = None, *, resume: bool = False) -> Job:
        """Enqueue the job (from wherever it stands) and wait until it comes to rest.

        `resume` brings a failed or canceled job back first (the user asked for it).
        """
        self._start_relay()
        job = self.store.get_job(job_id)
        if resume and job.status in (JobStatus.FAILED, JobStatus.CANCELED):
            let_go = self.engine.hold_job(job_id)
            try:
                self.engine.requeue(job_id)
            finally:
                let_go()
        elif at_rest(job):
            return job
        self.send("popcon.start_job", job_id)
        return self._wait(job_id, at_rest, timeout)

    def cancel(self, job_id: str) -> Job:
        return self.engine.cancel(job_id)

    def export(self, job_id: str, platforms: list[str], timeout: float | None = None) -> Job:
        if not platforms:
            raise InvalidInput("name at least one platform to export")
        self.engine.mark_exporting(job_id)
        self.send("popcon.export_job", job_id, list(platforms))
        return self._wait(job_id, lambda j: j.status != JobStatus.EXPORTING, timeout)

    def background(self, fn: Callable[..., T], *args: Any) -> Future[T]:
        return self.pool.submit_job(fn, *args)

    def close(self, wait: bool = True) -> None:
        self._stop.set()
        if self._relay is not None:
            self._relay.join(timeout=2)
        self.pool.shutdown(wait=False)
        self.redis.close()

    # ---- plumbing -------------------------------------------------------------------------
    def send(self, task: str, *args: object) -> None:
        self.celery.send_task(task, args=list(args))

    def _wait(self, job_id: str, done: Callable[[Job], bool], timeout: float | None) -> Job:
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            job = self.store.get_job(job_id)
            if done(job):
                return job
            if deadline is not None and time.monotonic() > deadline:
                raise TimeoutError(f"job {job_id} is still {job.status} after {timeout:.0f}s")
            time.sleep(self.poll_s)

    def _start_relay(self) -> None:
        with self._relay_lock:
            if self._relay is not None:
                return
            from popcon.queue.tasks import EVENTS_CHANNEL, relay_event

            pubsub = self.redis.pubsub(ignore_subscribe_messages=True)
            pubsub.subscribe(EVENTS_CHANNEL)
            subscribed = threading.Event()

            def run() -> None:
                try:
                    while not self._stop.is_set():
                        try:
                            msg = pubsub.get_message(timeout=0.5)
                        except Exception:  # Redis went away: the job outcome still comes from the database
                            time.sleep(1.0)
                            continue
                        subscribed.set()
                        if msg and msg.get("type") == "message":
                            relay_event(self._bus, msg["data"])
                finally:
                    pubsub.close()

            self._relay = threading.Thread(target=run, daemon=True, name="popcon-events")
            self._relay.start()
            subscribed.wait(2.0)
