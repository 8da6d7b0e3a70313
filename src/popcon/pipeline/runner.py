"""Runs jobs: schedules each action's stages on the worker pool, retries transient errors,
isolates failures to their action, honours cancel, and emits progress events.

State lives in the store, never only in memory: a runner that dies mid-job leaves statuses
that name the stage each action was in, and `run_job` on any later runner continues from there.
"""

from __future__ import annotations

import os
import random
import threading
import time
import uuid
from concurrent.futures import Future, wait

from popcon.domain.errors import Canceled, InvalidInput, PopconError, TransientError
from popcon.domain.models import ActionClip, Job
from popcon.domain.status import ACTION_STAGE, JOB_WORK_STAGES, ActionStatus, JobStatus, job_path
from popcon.pipeline import stages
from popcon.pipeline.events import Event, EventBus
from popcon.providers.base import ImageProvider, VideoProvider
from popcon.providers.registry import image_provider, video_provider
from popcon.queue.pool import WorkerPool
from popcon.settings import Settings
from popcon.store.db import JobStore
from popcon.store.files import JobFiles, clean_partials

_STAGE_ORDER = (JobStatus.QUEUED, *JOB_WORK_STAGES)


class JobBusy(PopconError):
    """Another live process is running this job."""


class Runner:
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
        self.owner = f"{os.getpid()}-{uuid.uuid4().hex[:6]}"
        self._locks: dict[str, threading.Lock] = {}

    # ---- public API -------------------------------------------------------------------
    def submit(self, job_id: str) -> Future[Job]:
        return self.pool.submit_job(self.run_job, job_id)

    def cancel(self, job_id: str) -> Job:
        job = self.store.get_job(job_id)
        if job.status.terminal:
            raise InvalidInput(f"job {job_id} is already {job.status}")
        job = self.store.set_job_status(job_id, JobStatus.CANCELED, error="canceled by the user")
        self._emit(job_id, "job", JobStatus.CANCELED)
        return job

    def run_job(self, job_id: str) -> Job:
        """Take the job from wherever it stands to its end (or to awaiting_refinement)."""
        if not self.store.claim(job_id, self.owner):
            raise JobBusy(f"job {job_id} is being run by another process ({self.store.lease_holder(job_id)})")
        stop_heartbeat = self._heartbeat(job_id)
        try:
            return self._run(job_id)
        finally:
            stop_heartbeat()
            self.store.release(job_id, self.owner)

    def export(self, job_id: str, platforms: list[str]) -> Job:
        """Export a finished (or awaiting refinement) job again, for these platforms."""
        job = self.store.get_job(job_id)
        if job.status not in (
            JobStatus.AWAITING_REFINEMENT,
            JobStatus.COMPLETED,
            JobStatus.COMPLETED_WITH_ERRORS,
        ):
            raise InvalidInput(
                f"job {job_id} is {job.status}; it can be exported once its frames are cut out"
            )
        if not self.store.claim(job_id, self.owner):
            raise JobBusy(f"job {job_id} is being run by another process")
        try:
            return self._export(job_id, platforms)
        finally:
            self.store.release(job_id, self.owner)

    # ---- orchestration ----------------------------------------------------------------
    def _run(self, job_id: str) -> Job:
        job = self.store.get_job(job_id)
        clean_partials(JobFiles(self.settings.data_dir, job_id).root)
        if job.status in (JobStatus.FAILED, JobStatus.CANCELED):
            # Resume: what was stopped goes on; what had failed gets another try.
            for a in job.actions:
                if a.status in (ActionStatus.FAILED, ActionStatus.CANCELED):
                    self.store.set_action_status(job_id, a.index, ActionStatus.PENDING)
            self._set_job(job_id, JobStatus.QUEUED)
            job = self.store.get_job(job_id)
        if job.status == JobStatus.QUEUED:
            self._set_job(job_id, JobStatus.GENERATING_CHARACTER)
            job = self.store.get_job(job_id)
        if job.status == JobStatus.GENERATING_CHARACTER:
            ctx = self._context(job_id)
            try:
                self._with_retries(lambda: stages.make_character(ctx, self.store.get_job(job_id)))
            except Canceled:
                return self.store.get_job(job_id)
            except Exception as e:  # the character failing fails the job, with its reason
                return self._fail_job(job_id, f"character: {_message(e)}")
            self._set_job(job_id, JobStatus.GENERATING_POSES)
        elif job.status.terminal or job.status in (JobStatus.AWAITING_REFINEMENT, JobStatus.EXPORTING):
            if job.status == JobStatus.EXPORTING:
                return self._export(job_id, job.platforms, finishing=True)
            return job

        job = self.store.get_job(job_id)
        live = [a for a in job.actions if not a.status.terminal]
        futures = [self.pool.submit_stage(self._run_action, job_id, a.index) for a in live]
        wait(futures)
        job = self.store.get_job(job_id)
        if job.status == JobStatus.CANCELED:
            return job
        if not job.done_actions:
            reasons = "; ".join(f"{a.action_id}: {a.error}" for a in job.failed_actions)
            return self._fail_job(job_id, f"every action failed ({reasons})")
        self._advance_job(job_id, JobStatus.MATTING)
        if not job.auto_export:
            self._set_job(job_id, JobStatus.AWAITING_REFINEMENT)
            return self.store.get_job(job_id)
        return self._export(job_id, job.platforms, finishing=True)

    def _export(self, job_id: str, platforms: list[str], finishing: bool = False) -> Job:
        self._set_job(job_id, JobStatus.EXPORTING)
        ctx = self._context(job_id)
        errors: list[str] = []
        for platform in platforms:
            job = self.store.get_job(job_id)
            self._emit(job_id, "export", "running", message=platform)
            try:
                summary = stages.export_platform(ctx, job, platform)
            except Exception as e:  # one platform failing does not lose the others
                errors.append(f"{platform}: {_message(e)}")
                self._emit(job_id, "export", "failed", message=f"{platform}: {_message(e)}")
                continue
            self.store.record_export(job_id, platform, summary)
            self._emit(job_id, "export", "done", message=platform)
        job = self.store.get_job(job_id)
        if errors and len(errors) == len(platforms):
            return self._fail_job(job_id, "; ".join(errors))
        final = JobStatus.COMPLETED_WITH_ERRORS if (errors or job.failed_actions) else JobStatus.COMPLETED
        message = "; ".join(errors) or None
        if job.failed_actions and not message:
            message = f"{len(job.failed_actions)} action(s) failed: retry them alone"
        self._set_job(job_id, final, error=message)
        return self.store.get_job(job_id)

    def _run_action(self, job_id: str, index: int) -> None:
        ctx = self._context(job_id)
        action = self.store.get_action(job_id, index)
        try:
            while not action.status.terminal:
                ctx.check_cancel()
                action = self._step(ctx, action)
                self._sync_job_stage(job_id)
        except Canceled:
            self._set_action(job_id, index, ActionStatus.CANCELED)
        except Exception as e:  # isolate: this action fails, the set goes on
            self._set_action(job_id, index, ActionStatus.FAILED, error=_message(e))
            self._sync_job_stage(job_id)

    def _step(self, ctx: stages.StageContext, action: ActionClip) -> ActionClip:
        """Run the stage the action is in, record its result, and move the action on."""
        job_id, i = action.job_id, action.index
        job = self.store.get_job(job_id)
        match action.status:
            case ActionStatus.PENDING:
                nxt = ActionStatus.EXTRACTING if action.imported_clip else ActionStatus.POSING
                if action.imported_clip:
                    self._with_retries(lambda: stages.make_clip(ctx, job, action), job_id, i)
                return self._set_action(job_id, i, nxt)
            case ActionStatus.POSING:
                self._with_retries(lambda: stages.make_pose(ctx, job, action), job_id, i)
                return self._set_action(job_id, i, ActionStatus.ANIMATING)
            case ActionStatus.ANIMATING:
                self._with_retries(lambda: stages.make_clip(ctx, job, action), job_id, i)
                return self._set_action(job_id, i, ActionStatus.EXTRACTING)
            case ActionStatus.EXTRACTING:
                info = self._with_retries(lambda: stages.extract_frames(ctx, job, action), job_id, i)
                return self._set_action(job_id, i, ActionStatus.MATTING, **info)
            case ActionStatus.MATTING:
                self._with_retries(lambda: stages.matte_action(ctx, job, action), job_id, i)
                return self._set_action(job_id, i, ActionStatus.DONE)
        raise AssertionError(f"no stage for {action.status}")

    # ---- helpers ----------------------------------------------------------------------
    def _with_retries(self, fn, job_id: str | None = None, index: int | None = None):  # type: ignore[no-untyped-def]
        attempt = 0
        while True:
            if job_id is not None and index is not None:
                a = self.store.get_action(job_id, index)
                self.store.update_action(job_id, index, attempts=a.attempts + 1)
            try:
                return fn()
            except TransientError as e:
                if attempt >= self.settings.max_retries:
                    raise
                delay = self.settings.retry_base_delay * (2**attempt) * (0.5 + random.random())
                attempt += 1
                if job_id:
                    self._emit(
                        job_id,
                        "log",
                        "retry",
                        action_index=index,
                        message=f"{_message(e)}; retry {attempt} in {delay:.1f}s",
                    )
                time.sleep(delay)

    def _context(self, job_id: str) -> stages.StageContext:
        last = [0.0]

        def check_cancel() -> None:
            t = time.monotonic()
            if t - last[0] < 0.2:
                return
            last[0] = t
            if self.store.get_job(job_id).status == JobStatus.CANCELED:
                raise Canceled(f"job {job_id} was canceled")

        return stages.StageContext(
            settings=self.settings,
            store=self.store,
            images=self.images,
            video=self.video,
            check_cancel=check_cancel,
            log=lambda m: self._emit(job_id, "log", "info", message=m),
        )

    def _lock(self, job_id: str) -> threading.Lock:
        return self._locks.setdefault(job_id, threading.Lock())

    def _set_job(self, job_id: str, status: JobStatus, error: str | None = None) -> None:
        with self._lock(job_id):
            before = self.store.get_job(job_id).status
            self.store.set_job_status(job_id, status, error=error)
        if before != status:
            self._emit(job_id, "job", status, message=error)

    def _fail_job(self, job_id: str, reason: str) -> Job:
        self._set_job(job_id, JobStatus.FAILED, error=reason)
        return self.store.get_job(job_id)

    def _set_action(self, job_id: str, index: int, status: ActionStatus, error: str | None = None, **fields):  # type: ignore[no-untyped-def]
        a = self.store.set_action_status(job_id, index, status, error=error, **fields)
        self._emit(job_id, "action", status, action_index=index, action_id=a.action_id, message=error)
        return a

    def _advance_job(self, job_id: str, target: JobStatus) -> None:
        with self._lock(job_id):
            current = self.store.get_job(job_id).status
            if current not in _STAGE_ORDER or _STAGE_ORDER.index(current) >= _STAGE_ORDER.index(target):
                return
            for status in job_path(current, target):
                self.store.set_job_status(job_id, status)
                self._emit(job_id, "job", status)

    def _sync_job_stage(self, job_id: str) -> None:
        """The job stands at the least advanced stage of its live actions."""
        job = self.store.get_job(job_id)
        live = [ACTION_STAGE[a.status] for a in job.actions if a.status in ACTION_STAGE]
        if not live:
            return
        self._advance_job(job_id, min(live, key=_STAGE_ORDER.index))

    def _heartbeat(self, job_id: str):  # type: ignore[no-untyped-def]
        stop = threading.Event()

        def beat() -> None:
            while not stop.wait(10.0):
                self.store.claim(job_id, self.owner)

        t = threading.Thread(target=beat, daemon=True, name=f"lease-{job_id}")
        t.start()
        return stop.set

    def _emit(self, job_id: str, kind: str, status: str, **kw) -> None:  # type: ignore[no-untyped-def]
        self.bus.emit(Event(job_id=job_id, kind=kind, status=str(status), **kw))

    def close(self) -> None:
        self.pool.shutdown()


def _message(e: BaseException) -> str:
    if isinstance(e, PopconError):
        return str(e)
    return f"{type(e).__name__}: {e}"
