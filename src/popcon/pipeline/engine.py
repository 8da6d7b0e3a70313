"""The job engine: the stages of one job as calls any scheduler can make.

State lives in the store, never only in memory: a runner that dies mid-job leaves statuses
that name the stage each action was in, and any later runner continues from there.

`start_job`, `run_action` and `finish_job` are made by both schedulers (the embedded pool and the
Celery tasks, in `popcon.queue`); only who schedules the calls differs. The engine retries
transient errors, isolates failures to their action, honours cancel and emits progress events.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from typing import TypeVar

from popcon.domain.errors import (
    Canceled,
    IllegalTransition,
    InvalidInput,
    JobBusy,
    PopconError,
    StorageError,
    TransientError,
    as_storage_error,
    error_code,
)
from popcon.domain.events import Event, EventBus
from popcon.domain.models import ActionClip, Job
from popcon.domain.status import ACTION_STAGE, JOB_WORK_STAGES, ActionStatus, JobStatus, job_path
from popcon.pipeline import stages
from popcon.pipeline.export_round import ExportRound
from popcon.pipeline.jobrunner import Limiter
from popcon.pipeline.leases import heartbeat, new_owner, owner_is_dead
from popcon.providers.base import ImageProvider, VideoProvider
from popcon.settings import Settings
from popcon.store.db import JobStore
from popcon.store.files import JobFiles, clean_exports, clean_partials

_STAGE_ORDER = (JobStatus.QUEUED, *JOB_WORK_STAGES)
T = TypeVar("T")


class _LeaseLost(Exception):
    """This worker's lease on an action ran out and another worker took the action over."""


class JobEngine:
    """The stages of one job as calls any scheduler can make, each safe to repeat.

    `start_job` runs the character stage and names the actions left to do; `run_action` takes one
    action through its stages; `finish_job` decides the job's outcome and exports. With
    `action_leases` (the distributed mode) an action is run only by the worker holding its lease,
    so a redelivered task never runs an action that a live worker is running.
    """

    def __init__(
        self,
        settings: Settings,
        store: JobStore,
        *,
        bus: EventBus,
        images: ImageProvider,
        video: VideoProvider,
        owner: str | None = None,
        limiter: Limiter | None = None,
        action_leases: bool = False,
    ) -> None:
        self.settings = settings
        self.store = store
        self.bus = bus
        self.images = images
        self.video = video
        self.owner = owner or new_owner()
        self.limiter = limiter  # the distributed mode's cross-worker limit; None: the providers' own
        self.action_leases = action_leases
        self._locks: dict[str, threading.Lock] = {}
        self._locks_guard = threading.Lock()

    # ---- the three calls ----------------------------------------------------------------
    def start_job(self, job_id: str, *, clean: bool = True) -> list[int] | None:
        """Start (or continue) the job and make its character; the indices of the actions left to run.

        None when nothing is left for actions (the job failed, was canceled or is already at
        rest); an empty list when only `finish_job` remains (an export that was interrupted).
        A failed or canceled job stays so: only an explicit resume (`requeue`) brings it back, so a
        cancel that lands before the job's turn in the pool is not undone.
        """
        job = self.store.get_job(job_id)
        if clean:  # only the job's owner may sweep the whole job folder (nobody else writes there)
            clean_partials(JobFiles(self.settings.data_dir, job_id).root)
        if job.status == JobStatus.QUEUED:
            self._set_job(job_id, JobStatus.GENERATING_CHARACTER)
            job = self.store.get_job(job_id)
        if job.status == JobStatus.GENERATING_CHARACTER:
            ctx = self._context(job_id)
            try:
                self._with_retries(
                    lambda: self._limited(
                        "image", ctx, lambda: stages.make_character(ctx, self.store.get_job(job_id))
                    )
                )
            except Canceled:
                return None
            except StorageError:
                raise  # the disk, not the job: the job stays where it is and resume continues it
            except Exception as e:  # the character failing fails the job, with its reason
                self._fail_job(job_id, f"character: {_message(e)}", error_code(e))
                return None
            try:
                self._set_job(job_id, JobStatus.GENERATING_POSES)
            except IllegalTransition:
                if self.store.get_job(job_id).status == JobStatus.CANCELED:
                    return None  # canceled while the character was made: the user's word stands
                raise
        elif job.status == JobStatus.EXPORTING:
            return []
        elif job.status.terminal or job.status == JobStatus.AWAITING_REFINEMENT:
            return None
        job = self.store.get_job(job_id)
        return [a.index for a in job.actions if not a.status.terminal]

    def requeue(self, job_id: str) -> None:
        """Resume a job at rest: what was stopped goes on; what had failed gets another try.

        A set that finished with errors retries its failed actions (then exports again), or, when
        only an export failed, exports again.
        """
        job = self.store.get_job(job_id)
        if job.status not in (JobStatus.FAILED, JobStatus.CANCELED, JobStatus.COMPLETED_WITH_ERRORS):
            return
        retry = [a for a in job.actions if a.status in (ActionStatus.FAILED, ActionStatus.CANCELED)]
        for a in retry:
            self.store.set_action_status(job_id, a.index, ActionStatus.PENDING)
        if job.status != JobStatus.COMPLETED_WITH_ERRORS:
            self._set_job(job_id, JobStatus.QUEUED)
        else:
            self._set_job(job_id, JobStatus.GENERATING_POSES if retry else JobStatus.EXPORTING)

    def run_action(self, job_id: str, index: int) -> bool:
        """Take one action through its stages; False when another live worker holds it (try later)."""
        if not self.action_leases:
            self._run_action(job_id, index)
            return True
        ttl = self.settings.action_lease_seconds
        if not self.store.claim_action(job_id, index, self.owner, ttl=ttl):
            holder = self.store.action_lease_holder(job_id, index)
            if not (
                holder
                and owner_is_dead(holder)
                and self.store.take_over_action(job_id, index, self.owner, holder, ttl=ttl)
            ):
                return False
        lost = threading.Event()

        def renew() -> None:
            if not self.store.claim_action(job_id, index, self.owner, ttl=ttl):
                lost.set()

        stop = heartbeat(renew, ttl / 3, f"lease-{job_id}-{index}")
        try:
            action = self.store.get_action(job_id, index)
            if not action.status.terminal:
                # A worker that died here left only its own temporary files in this folder.
                clean_partials(JobFiles(self.settings.data_dir, job_id).action_dir(index, action.action_id))
                self._run_action(job_id, index, still_mine=lambda: not lost.is_set())
        finally:
            stop()
            if not lost.is_set():
                self.store.release_action(job_id, index, self.owner)
        return True

    def finish_job(self, job_id: str) -> Job:
        """Once every action has ended: fail, stop for refinement or export; a job at rest is returned."""
        job = self.store.get_job(job_id)
        if (
            job.status == JobStatus.EXPORTING
        ):  # an interrupted export: finish its round, keep what it published
            return self.export(job_id, job.platforms, resume=True)
        if not job.status.active or job.status in (JobStatus.QUEUED, JobStatus.GENERATING_CHARACTER):
            return job
        if not job.done_actions:
            reasons = "; ".join(f"{a.action_id}: {a.error}" for a in job.failed_actions)
            return self._fail_job(job_id, f"every action failed ({reasons})", "all_actions_failed")
        self._advance_job(job_id, JobStatus.MATTING)
        if not job.auto_export:
            self._set_job(job_id, JobStatus.AWAITING_REFINEMENT)
            return self.store.get_job(job_id)
        return self.export(job_id, job.platforms)

    def export(self, job_id: str, platforms: list[str], *, resume: bool = False) -> Job:
        """Encode and package the done actions for each platform; one failing does not lose the others.

        `resume` continues the round an interrupted export started: a platform it already published
        whole is recorded from its manifest and never encoded or swapped in again.
        """
        ctx = self._context(job_id)
        files = ctx.files(self.store.get_job(job_id))
        exports_dir = files.exports_dir
        rnd = ExportRound.load(files.root) if resume else None
        if rnd is None:  # written before the status says exporting, so a resume never finds an older one
            rnd = ExportRound.start(files.root, platforms)
        self._set_job(job_id, JobStatus.EXPORTING)
        clean_exports(exports_dir)  # staging left by a killed export
        errors: list[str] = []
        codes: list[str] = []
        platforms = rnd.platforms
        for platform in platforms:
            job = self.store.get_job(job_id)
            kept = stages.published_platform(ctx, job, platform, rnd.token) if resume else None
            if kept is not None:
                recorded = job.exports.get(platform)
                if recorded is None or recorded.round != rnd.token:
                    self.store.record_export(job_id, kept)
                self._emit(job_id, "export", "done", message=f"{platform} (kept: published before the stop)")
                continue
            self._emit(job_id, "export", "running", message=platform)
            try:
                summary = stages.export_platform(
                    ctx, job, platform, self._export_progress(job_id, platform), round_token=rnd.token
                )
            except Canceled:  # the user canceled: nothing more is published, the job stays canceled
                self._emit(job_id, "export", "canceled", message=platform)
                return self.store.get_job(job_id)
            except Exception as e:  # one platform failing does not lose the others
                storage = as_storage_error(e)
                if storage is not None:  # the disk, not the set: stop; resume finishes this round
                    self._emit(
                        job_id, "export", "failed", message=f"{platform}: {storage}", code=error_code(storage)
                    )
                    raise storage from e
                errors.append(f"{platform}: {_message(e)}")
                codes.append(error_code(e))
                self._emit(job_id, "export", "failed", message=f"{platform}: {_message(e)}", code=codes[-1])
                continue
            self.store.record_export(job_id, summary)
            self._emit(job_id, "export", "done", message=platform)
        job = self.store.get_job(job_id)
        if errors and len(errors) == len(platforms):
            return self._fail_job(job_id, "; ".join(errors), _export_code(codes, "export_failed"))
        final = JobStatus.COMPLETED_WITH_ERRORS if (errors or job.failed_actions) else JobStatus.COMPLETED
        message = "; ".join(errors) or None
        code = _export_code(codes, "export_failed_some") if errors else None
        if job.failed_actions and not message:
            message = f"{len(job.failed_actions)} action(s) failed: retry them alone"
            code = "actions_failed"
        self._set_job(job_id, final, error=message, code=code)
        return self.store.get_job(job_id)

    def mark_exporting(self, job_id: str) -> None:
        """Move an exportable job to exporting under its lease (a scheduler then runs `export`)."""
        job = self.store.get_job(job_id)
        check_exportable(job)
        let_go = self.hold_job(job_id)
        try:  # a new request: a resume must not take the previous round's sets for this one's
            ExportRound.forget(JobFiles(self.settings.data_dir, job.id).root)
            self._set_job(job_id, JobStatus.EXPORTING)
        finally:
            let_go()

    def export_now(self, job_id: str, platforms: list[str]) -> Job:
        """Export here and now under the job's lease (JobBusy when another process holds it)."""
        check_exportable(self.store.get_job(job_id))
        if not self.store.claim(job_id, self.owner):
            raise JobBusy(f"job {job_id} is being run by another process")
        try:
            return self.export(job_id, platforms)
        finally:
            self.store.release(job_id, self.owner)

    def cancel(self, job_id: str) -> Job:
        for attempt in range(5):
            job = self.store.get_job(job_id)
            if job.status.terminal:
                raise InvalidInput(f"job {job_id} is already {job.status}")
            try:
                job = self.store.set_job_status(
                    job_id, JobStatus.CANCELED, error="canceled by the user", error_code=Canceled.code
                )
                break
            except IllegalTransition:
                if attempt == 4:  # the runner moved the job between our read and our write: read again
                    raise
        self._emit(job_id, "job", JobStatus.CANCELED)
        return job

    def hold_job(self, job_id: str) -> Callable[[], None]:
        """Claim the job's lease and keep it alive; returns the call that lets it go. JobBusy if held."""
        if not self.store.claim(job_id, self.owner):
            holder = self.store.lease_holder(job_id)
            if not (holder and owner_is_dead(holder) and self.store.take_over(job_id, self.owner, holder)):
                raise JobBusy(f"job {job_id} is being run by another process ({holder})")
        stop = heartbeat(lambda: self.store.claim(job_id, self.owner), 10.0, f"lease-{job_id}")

        def let_go() -> None:
            stop()
            self.store.release(job_id, self.owner)

        return let_go

    # ---- one action ---------------------------------------------------------------------
    def _run_action(self, job_id: str, index: int, still_mine: Callable[[], bool] = lambda: True) -> None:
        ctx = self._context(job_id)
        action = self.store.get_action(job_id, index)
        try:
            while not action.status.terminal:
                if not still_mine():
                    raise _LeaseLost
                ctx.check_cancel()
                try:
                    action = self._step(ctx, action)
                except IllegalTransition:
                    if not self.action_leases:
                        raise
                    # A worker whose lease had lapsed moved the action on meanwhile: go on from there.
                    action = self.store.get_action(job_id, index)
                    continue
                self._sync_job_stage(job_id)
        except _LeaseLost:
            return  # the worker that took the action over records its outcome
        except Canceled:
            self._set_action(job_id, index, ActionStatus.CANCELED)
        except StorageError:
            raise  # the disk, not the action: it stays in its stage for resume, and the job stops
        except Exception as e:  # isolate: this action fails, the set goes on
            if not still_mine():
                return
            self._set_action(job_id, index, ActionStatus.FAILED, error=_message(e), code=error_code(e))
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
                self._with_retries(
                    lambda: self._limited("image", ctx, lambda: stages.make_pose(ctx, job, action)),
                    job_id,
                    i,
                )
                return self._set_action(job_id, i, ActionStatus.ANIMATING)
            case ActionStatus.ANIMATING:
                self._with_retries(
                    lambda: self._limited("video", ctx, lambda: stages.make_clip(ctx, job, action)),
                    job_id,
                    i,
                )
                return self._set_action(job_id, i, ActionStatus.EXTRACTING)
            case ActionStatus.EXTRACTING:
                info = self._with_retries(lambda: stages.extract_frames(ctx, job, action), job_id, i)
                return self._set_action(job_id, i, ActionStatus.MATTING, **info)
            case ActionStatus.MATTING:
                report = self._with_retries(lambda: stages.matte_action(ctx, job, action), job_id, i)
                return self._set_action(job_id, i, ActionStatus.DONE, **({"matte": report} if report else {}))
        raise AssertionError(f"no stage for {action.status}")

    # ---- helpers ------------------------------------------------------------------------
    def _limited(self, kind: str, ctx: stages.StageContext, fn: Callable[[], T]) -> T:
        """Hold one of the provider's concurrency slots (across workers in the distributed mode)."""
        provider: ImageProvider | VideoProvider = self.images if kind == "image" else self.video
        if self.limiter is None or provider.offline:
            return fn()  # in one process the cloud clients limit themselves; offline work is local
        limit = self.settings.image_concurrency if kind == "image" else self.settings.video_concurrency
        with self.limiter.slot(f"{kind}:{provider.name}", limit, ctx.check_cancel):
            return fn()

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
        with self._locks_guard:
            return self._locks.setdefault(job_id, threading.Lock())

    def _set_job(
        self, job_id: str, status: JobStatus, error: str | None = None, code: str | None = None
    ) -> None:
        with self._lock(job_id):
            before = self.store.get_job(job_id).status
            self.store.set_job_status(job_id, status, error=error, error_code=code)
        if before != status:
            self._emit(job_id, "job", status, message=error, code=code if error else None)

    def _fail_job(self, job_id: str, reason: str, code: str) -> Job:
        self._set_job(job_id, JobStatus.FAILED, error=reason, code=code)
        return self.store.get_job(job_id)

    def _set_action(  # type: ignore[no-untyped-def]
        self,
        job_id: str,
        index: int,
        status: ActionStatus,
        error: str | None = None,
        code: str | None = None,
        **fields,
    ):
        a = self.store.set_action_status(job_id, index, status, error=error, error_code=code, **fields)
        self._emit(
            job_id,
            "action",
            status,
            action_index=index,
            action_id=a.action_id,
            message=error,
            code=code if error else None,
        )
        return a

    def _advance_job(self, job_id: str, target: JobStatus) -> None:
        """Move the job up to `target`; another process moving it at the same time is not an error."""
        with self._lock(job_id):
            for _ in range(len(_STAGE_ORDER) + 1):
                current = self.store.get_job(job_id).status
                if current not in _STAGE_ORDER or _STAGE_ORDER.index(current) >= _STAGE_ORDER.index(target):
                    return
                try:
                    for status in job_path(current, target):
                        self.store.set_job_status(job_id, status)
                        self._emit(job_id, "job", status)
                    return
                except IllegalTransition:
                    continue  # someone else moved it (another worker, a cancel): look again

    def _sync_job_stage(self, job_id: str) -> None:
        """The job stands at the least advanced stage of its live actions."""
        job = self.store.get_job(job_id)
        live = [ACTION_STAGE[a.status] for a in job.actions if a.status in ACTION_STAGE]
        if not live:
            return
        self._advance_job(job_id, min(live, key=_STAGE_ORDER.index))

    def _export_progress(self, job_id: str, platform: str) -> Callable[[int, int, str], None]:
        """Per-file progress of one platform's export as `export` events: "<platform> <done>/<total> <what>"
        (the longest wait of a job; the job page draws a bar per platform from them)."""

        def report(done: int, total: int, what: str) -> None:
            self._emit(job_id, "export", "progress", message=f"{platform} {done}/{total} {what}")

        return report

    def _emit(self, job_id: str, kind: str, status: str, **kw) -> None:  # type: ignore[no-untyped-def]
        self.bus.emit(Event(job_id=job_id, kind=kind, status=str(status), **kw))


def check_exportable(job: Job) -> None:
    """Export needs cut-out frames; what a runner checks before it starts one."""
    if not job.status.exportable:
        raise InvalidInput(f"job {job.id} is {job.status}; it can be exported once its frames are cut out")


def _export_code(codes: list[str], kind: str) -> str:
    """One platform's reason when every failed platform failed alike (all over budget), else the kind."""
    return codes[0] if codes and len(set(codes)) == 1 and codes[0] != "internal" else kind


def _message(e: BaseException) -> str:
    if isinstance(e, PopconError):
        return str(e)
    return f"{type(e).__name__}: {e}"
