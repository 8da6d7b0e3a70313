"""The Celery tasks: the same `JobEngine` calls the embedded runner makes, one task per call.

```
start_job(job_id)            job lease: resume, character stage -> run_action(job_id, i) per live action
run_action(job_id, i)        action lease: pose -> animate -> extract -> matte; the last to end -> finish_job
finish_job(job_id)           job lease: outcome, export (or stop at awaiting_refinement)
export_job(job_id, [names])  job lease: export again for these platforms
```
Tasks carry ids only (JSON); every input and result is in the database or the shared data_dir.

Each task is idempotent, so a task delivered twice (a worker died before acknowledging it, or the
visibility timeout ran out on a long task) leaves one result: stages skip work whose output is
already published, statuses move by compare-and-set, and an action leased by a live worker is not
touched: the duplicate asks to be retried later instead, and finds the action finished (or its
lease expired, when that worker died) when it runs again.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from dataclasses import dataclass
from typing import Any

from celery import Celery, Task

from popcon.domain.errors import JobBusy
from popcon.domain.events import Event, EventBus
from popcon.domain.status import JobStatus
from popcon.pipeline.engine import JobEngine
from popcon.settings import Settings
from popcon.store.db import JobStore

log = logging.getLogger("popcon.worker")
EVENTS_CHANNEL = "popcon:events"
BUSY_RETRY_S = 2.0  # how soon a task that found its job or action held tries again
_NOT_FOR_ACTIONS = (JobStatus.QUEUED, JobStatus.GENERATING_CHARACTER, JobStatus.AWAITING_REFINEMENT)


@dataclass
class WorkerContext:
    """What one worker process builds once: store, engine, Redis client (after any fork)."""

    settings: Settings
    store: JobStore
    engine: JobEngine
    redis: Any
    pid: int


_ctx: WorkerContext | None = None
_ctx_lock = threading.Lock()


def worker_context(app: Celery) -> WorkerContext:
    global _ctx
    with _ctx_lock:
        if _ctx is None or _ctx.pid != os.getpid():  # a forked child makes its own connections
            _ctx = _build(app.popcon_settings)
        return _ctx


def _build(settings: Settings) -> WorkerContext:
    import redis

    from popcon.providers.registry import image_provider, video_provider
    from popcon.queue.limits import RedisLimiter

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    # Timeouts so a Redis outage fails a call (and the task is retried) instead of hanging a worker.
    client = redis.Redis.from_url(settings.redis_url, socket_timeout=10, socket_connect_timeout=5)
    store = JobStore(settings.db_url)
    bus = EventBus()

    def publish(e: Event) -> None:
        client.publish(EVENTS_CHANNEL, json.dumps(e.to_dict()))

    bus.subscribe(publish)
    engine = JobEngine(
        settings,
        store,
        bus=bus,
        images=image_provider(settings),
        video=video_provider(settings),
        limiter=RedisLimiter(client),
        action_leases=True,
    )
    return WorkerContext(settings, store, engine, client, os.getpid())


def register(app: Celery) -> None:
    """Define the tasks on this app (an app per Settings object, no shared global app)."""

    @app.task(bind=True, name="popcon.start_job")
    def start_job(self: Task, job_id: str) -> None:
        w = worker_context(self.app)
        try:
            let_go = w.engine.hold_job(job_id)
        except JobBusy:
            raise self.retry(countdown=BUSY_RETRY_S, max_retries=None) from None
        try:
            live = w.engine.start_job(job_id, clean=False)
        finally:
            let_go()
        log.info("popcon job %s started on %s: actions %s", job_id, w.engine.owner, live)
        if live is None:
            return
        if not live:
            finish_job.delay(job_id)
        for i in live:
            run_action.delay(job_id, i)

    @app.task(bind=True, name="popcon.run_action")
    def run_action(self: Task, job_id: str, index: int) -> None:
        w = worker_context(self.app)
        job = w.store.get_job(job_id)
        if job.status in _NOT_FOR_ACTIONS or (job.status.terminal and job.status != JobStatus.CANCELED):
            return  # not this task's turn (or long over): start_job enqueues the actions again
        before = w.store.get_action(job_id, index)
        if before.status.terminal:
            log.info("popcon action %s#%d already %s", job_id, index, before.status.value)
        else:
            log.info("popcon action %s#%d running on %s", job_id, index, w.engine.owner)
        if not w.engine.run_action(job_id, index):
            log.info(
                "popcon action %s#%d is held by %s", job_id, index, w.store.action_lease_holder(job_id, index)
            )
            raise self.retry(
                countdown=max(BUSY_RETRY_S, w.settings.action_lease_seconds / 2), max_retries=None
            )
        if not before.status.terminal:
            action = w.store.get_action(job_id, index)
            log.info("popcon action %s#%d %s on %s", job_id, index, action.status.value, w.engine.owner)
        if all(a.status.terminal for a in w.store.get_job(job_id).actions):
            finish_job.delay(job_id)

    @app.task(bind=True, name="popcon.finish_job")
    def finish_job(self: Task, job_id: str) -> None:
        w = worker_context(self.app)
        job = w.store.get_job(job_id)
        if not job.status.active:
            return  # a duplicate: the job is already at rest
        if job.status != JobStatus.EXPORTING and not all(a.status.terminal for a in job.actions):
            return  # the last action to end enqueues finish_job again
        try:
            let_go = w.engine.hold_job(job_id)
        except JobBusy:
            raise self.retry(countdown=BUSY_RETRY_S, max_retries=None) from None
        try:
            done = w.engine.finish_job(job_id)
        finally:
            let_go()
        log.info("popcon job %s %s on %s", job_id, done.status.value, w.engine.owner)

    @app.task(bind=True, name="popcon.export_job")
    def export_job(self: Task, job_id: str, platforms: list[str]) -> None:
        w = worker_context(self.app)
        if w.store.get_job(job_id).status != JobStatus.EXPORTING:
            return  # a duplicate of an export that already ended
        try:
            let_go = w.engine.hold_job(job_id)
        except JobBusy:
            raise self.retry(countdown=BUSY_RETRY_S, max_retries=None) from None
        try:
            w.engine.export(job_id, platforms)
        finally:
            let_go()

    @app.task(bind=True, name="popcon.ping")
    def ping(self: Task, token: str) -> None:
        """Does nothing but answer on Redis: measures what the queue itself costs per task."""
        client = worker_context(self.app).redis
        client.rpush(f"popcon:pong:{token}", 1)
        client.expire(f"popcon:pong:{token}", 300)


def relay_event(bus: EventBus, data: bytes | str) -> None:
    """Re-emit a worker's event (from the Redis channel) on a local bus."""
    bus.emit(Event(**json.loads(data)))
