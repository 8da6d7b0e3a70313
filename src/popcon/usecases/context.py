"""The services one shell instance shares: settings, store, the job runner and the refine service.

Why one object, built once and passed in: tests build many apps side by side, each with its own
data folder, and nothing may leak between them; the CLI builds it per command.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from popcon.domain.errors import InvalidInput, JobBusy, as_storage_error, error_code
from popcon.domain.events import Event, Listener
from popcon.domain.models import Job
from popcon.pipeline.jobrunner import JobRunner
from popcon.settings import Settings
from popcon.store.db import JobStore, check_job_id
from popcon.store.files import JobFiles

if TYPE_CHECKING:
    from popcon.store.datadir import Writability
    from popcon.usecases.refine import RefineService

BUSY_WAIT_S = 45.0  # how long a job started here waits out the lease a crashed process may still hold


@dataclass
class AppContext:
    settings: Settings
    store: JobStore
    runner: JobRunner
    create_lock: threading.Lock = field(default_factory=threading.Lock)
    _refine: RefineService | None = None
    _work: dict[str, list[Future[object]]] = field(default_factory=dict)
    _work_lock: threading.Lock = field(default_factory=threading.Lock)
    _stalled: dict[str, str] = field(default_factory=dict)  # job -> the storage error that stopped it

    # ---- reading ----------------------------------------------------------------------------
    def get_job(self, job_id: str) -> Job:
        try:
            check_job_id(job_id)
        except InvalidInput as e:
            raise InvalidInput(f"{job_id[:24]!r} is not a job id (12 hex digits)") from e
        return self.store.get_job(job_id)

    def list_jobs(self, limit: int = 50) -> list[Job]:
        return self.store.list_jobs(limit)

    def files(self, job_id: str) -> JobFiles:
        return JobFiles(self.settings.data_dir, job_id)

    def check_room(self) -> None:
        """Refuse to start work (StorageError: 507 / 503) when the data folder takes no write now,
        instead of accepting the request and failing in the background."""
        from popcon.store.datadir import ensure_data_dir

        ensure_data_dir(self.settings.data_dir)

    def stalled(self, job_id: str) -> str | None:
        """Why this process's work on the job stopped on storage (kept in memory: a full disk may
        refuse the database too); None once new work starts or when nothing stopped it."""
        with self._work_lock:
            return None if self.busy_locked(job_id) else self._stalled.get(job_id)

    def writability(self) -> Writability:
        """Whether the data folder takes a real write now, and the room left (for /health)."""
        from popcon.store.datadir import writability

        return writability(self.settings.data_dir)

    @property
    def offline(self) -> bool:
        """Generation runs on this machine with no key and no network."""
        return bool(self.runner.images.offline and self.runner.video.offline)

    @property
    def refine(self) -> RefineService:
        if self._refine is None:
            from popcon.usecases.refine import RefineService

            self._refine = RefineService(self.settings)
        return self._refine

    # ---- events -----------------------------------------------------------------------------
    def subscribe(self, listener: Listener) -> Callable[[], None]:
        return self.runner.bus.subscribe(listener)

    def emit(
        self, job_id: str, kind: str, status: str, message: str | None = None, code: str | None = None
    ) -> None:
        self.runner.bus.emit(Event(job_id=job_id, kind=kind, status=status, message=message, code=code))

    def progress(self, job_id: str, kind: str, done: int, total: int, message: str = "") -> None:
        text = f"{done}/{total}" + (f" {message}" if message else "")
        self.emit(job_id, kind, "done" if done >= total else "running", text)

    def record_activity(self, event: Event) -> None:
        """Keep the events the job page's activity log shows (not heartbeats or per-frame progress)."""
        if event.kind == "refine" or (event.kind == "log" and event.status in ("idle", "info")):
            return
        self.files(event.job_id).append_activity(event.to_dict())

    def activity(self, job_id: str) -> list[dict[str, Any]]:
        """The job's activity so far, oldest first (survives reloads and restarts)."""
        return self.files(self.get_job(job_id).id).read_activity()

    # ---- work started from here ---------------------------------------------------------------
    def start(self, job_id: str, fn: Callable[..., object], *args: object) -> Future[object]:
        """Run `fn(*args)` for this job off the caller's thread and remember it until it ends."""
        fut: Future[object] = self.runner.background(fn, *args)
        with self._work_lock:
            self._stalled.pop(job_id, None)
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
        exc = None if fut.cancelled() else fut.exception()
        storage = as_storage_error(exc) if exc is not None else None
        if storage is not None:  # the job keeps its status (resume continues it); the page says why
            with self._work_lock:
                self._stalled[job_id] = str(storage)
            self.emit(job_id, "log", "failed", str(storage), error_code(storage))
        elif exc is not None:
            text = f"{type(exc).__name__}: {exc}" if not str(exc) else str(exc)
            self.emit(job_id, "log", "failed", text, error_code(exc))
        # Tell listeners the work ended even when no status changed (a failed re-export, say).
        self.emit(job_id, "log", "idle", "work finished")
        from popcon.media.memory import give_back

        give_back()  # what the job's stages freed goes back to the system, not kept by the allocator

    def busy(self, job_id: str) -> bool:
        """True while work this process started for the job is still running."""
        with self._work_lock:
            return self.busy_locked(job_id)

    def busy_locked(self, job_id: str) -> bool:
        return any(not f.done() for f in self._work.get(job_id, []))

    def run_job(self, job_id: str, resume: bool = False) -> Job:
        """Run the job, waiting out the lease a previous (crashed) process may still hold."""
        deadline = time.monotonic() + BUSY_WAIT_S
        while True:
            try:
                return self.runner.run_job(job_id, resume=resume)
            except JobBusy:
                if time.monotonic() > deadline:
                    raise
                time.sleep(2.0)

    def close(self, wait: bool = True) -> None:
        if self._refine is not None:
            self._refine.close()
        self.runner.close(wait=wait)
        self.store.close()


def open_context(
    settings: Settings, *, image_provider: str | None = None, video_provider: str | None = None
) -> AppContext:
    """Store and runner as the settings ask (embedded pool, or Celery with POPCON_QUEUE=celery)."""
    from popcon.providers.registry import image_provider as make_images
    from popcon.providers.registry import video_provider as make_video
    from popcon.queue.dispatch import make_runner
    from popcon.store.datadir import make_data_dir

    make_data_dir(settings.data_dir)  # reads still work on a full disk; writes say so when they fail
    store = JobStore(settings.db_url)  # a database that cannot be opened is a StorageError
    images = make_images(settings, image_provider) if image_provider else None
    video = make_video(settings, video_provider) if video_provider else None
    return AppContext(settings, store, make_runner(settings, store, images=images, video=video))


def check_data_dir(settings: Settings) -> None:
    """Prove the data folder takes a write before a server starts, so a read-only or full disk is one
    clear line up front instead of a traceback from whichever stage writes first."""
    from popcon.store.datadir import ensure_data_dir

    ensure_data_dir(settings.data_dir)
