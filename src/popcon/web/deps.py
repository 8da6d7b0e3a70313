"""The services one app instance shares (settings, store, runner, event hub) and request dependencies.

Why a container on `app.state` rather than module globals: tests build many apps side by side, each
with its own data folder, and nothing may leak between them.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, Path, Request

from popcon.domain.errors import InvalidInput
from popcon.domain.models import Job
from popcon.pipeline.runner import JobBusy, Runner
from popcon.queue.dispatch import CeleryRunner
from popcon.settings import Settings
from popcon.store.db import JobStore, check_job_id
from popcon.web.hub import EventHub


@dataclass
class Services:
    settings: Settings
    store: JobStore
    runner: Runner | CeleryRunner
    hub: EventHub
    create_lock: threading.Lock = field(default_factory=threading.Lock)
    _work: dict[str, list[Future[object]]] = field(default_factory=dict)
    _work_lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self, job_id: str, fn: Callable[..., object], *args: object) -> Future[object]:
        """Run `fn(*args)` for this job on the pool's job executor and remember it until it ends."""
        fut: Future[object] = self.runner.pool.submit_job(fn, *args)
        with self._work_lock:
            self._work.setdefault(job_id, []).append(fut)
        fut.add_done_callback(lambda f: self._finished(job_id, f))
        return fut

    def _finished(self, job_id: str, fut: Future[object]) -> None:
        with self._work_lock:
            live = [f for f in self._work.get(job_id, []) if f is not fut and not f.done()]
            if live:
                self._work[job_id] = live
            else:
                self._work.pop(job_id, None)
        exc = fut.exception()
        if exc is not None:
            self.hub.log(job_id, f"{type(exc).__name__}: {exc}" if not str(exc) else str(exc), "failed")
        # Tell listeners the work ended even when no status changed (a failed re-export, say).
        self.hub.log(job_id, "work finished", "idle")

    def busy(self, job_id: str) -> bool:
        """True while work this process started for the job is still running."""
        with self._work_lock:
            return any(not f.done() for f in self._work.get(job_id, []))

    def run_job(self, job_id: str, resume: bool = False) -> None:
        """Run the job, waiting out the lease a previous (crashed) process may still hold."""
        deadline = time.monotonic() + 45.0
        while True:
            try:
                self.runner.run_job(job_id, resume=resume)
                return
            except JobBusy:
                if time.monotonic() > deadline:
                    raise
                time.sleep(2.0)


def services(request: Request) -> Services:
    return request.app.state.services


def _job_id(job_id: Annotated[str, Path(description="12 hex digits", min_length=1, max_length=64)]) -> str:
    try:
        return check_job_id(job_id)
    except InvalidInput as e:
        raise InvalidInput(f"{job_id[:24]!r} is not a job id (12 hex digits)") from e


def get_job(job_id: Annotated[str, Depends(_job_id)], svc: Annotated[Services, Depends(services)]) -> Job:
    return svc.store.get_job(job_id)


Svc = Annotated[Services, Depends(services)]
JobDep = Annotated[Job, Depends(get_job)]
