"""Job records in a SQL database through SQLAlchemy (SQLite by default).

Every status change is a compare-and-set on the row (`WHERE status = <what we read>`), so two
processes racing on a job cannot both move it, and every move is checked against the state
machine of `popcon.domain.status`.
"""

from __future__ import annotations

import json
import re
import secrets
import shutil
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    create_engine,
    event,
    select,
    update,
)
from sqlalchemy.engine import CursorResult, Engine, Result
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, relationship, sessionmaker

from popcon.domain.actions import ActionPreset
from popcon.domain.errors import IllegalTransition, InvalidInput, NotFound, StorageError, as_storage_error
from popcon.domain.exports import ExportSummary
from popcon.domain.models import ActionClip, Job, JobOptions
from popcon.domain.reports import MatteReport, ProviderTask, Usage
from popcon.domain.status import ActionStatus, JobStatus, check_action_transition, check_job_transition

JOB_ID = re.compile(r"^[0-9a-f]{12}$")


def _rowcount(result: Result[Any]) -> int:
    """Rows an UPDATE matched (a compare-and-set that matched none lost the race)."""
    return cast(CursorResult[Any], result).rowcount


def now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def new_job_id() -> str:
    return secrets.token_hex(6)


def check_job_id(job_id: str) -> str:
    if not isinstance(job_id, str) or not JOB_ID.fullmatch(job_id):
        raise InvalidInput(f"{job_id!r} is not a job id (12 hex digits)")
    return job_id


class Base(DeclarativeBase):
    pass


class JobRow(Base):
    __tablename__ = "jobs"
    id: Mapped[str] = mapped_column(String(12), primary_key=True)
    status: Mapped[str] = mapped_column(String(32), index=True)
    source: Mapped[str] = mapped_column(String(16))
    prompt: Mapped[str | None] = mapped_column(Text)
    remove_background: Mapped[bool] = mapped_column(Boolean, default=True)
    platforms: Mapped[list[str]] = mapped_column(JSON)
    auto_export: Mapped[bool] = mapped_column(Boolean, default=True)
    key_color: Mapped[list[int] | None] = mapped_column(JSON)
    error: Mapped[str | None] = mapped_column(Text)
    error_code: Mapped[str | None] = mapped_column(String(32))  # the error's stable code
    options: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    exports: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    usage: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    lease_owner: Mapped[str | None] = mapped_column(String(64))
    lease_until: Mapped[datetime | None] = mapped_column(DateTime)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=now)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=now, onupdate=now)
    actions: Mapped[list[ActionRow]] = relationship(
        back_populates="job", order_by="ActionRow.index", cascade="all, delete-orphan"
    )


class ActionRow(Base):
    __tablename__ = "actions"
    job_id: Mapped[str] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"), primary_key=True)
    index: Mapped[int] = mapped_column(Integer, primary_key=True)
    action_id: Mapped[str] = mapped_column(String(32))
    preset: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)
    error_code: Mapped[str | None] = mapped_column(String(32))  # the error's stable code
    imported_clip: Mapped[str | None] = mapped_column(String(255))
    seconds: Mapped[int | None] = mapped_column(Integer)
    frame_count: Mapped[int] = mapped_column(Integer, default=0)
    loop_start: Mapped[int | None] = mapped_column(Integer)
    loop_score: Mapped[float | None] = mapped_column()
    matte: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # the matte's confidence report
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=now, onupdate=now)
    lease_owner: Mapped[str | None] = mapped_column(String(64))
    lease_until: Mapped[datetime | None] = mapped_column(DateTime)
    provider_task: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # the billed cloud task, if any
    job: Mapped[JobRow] = relationship(back_populates="actions")


def _json_fields(fields: dict[str, Any]) -> dict[str, Any]:
    """Typed records as the JSON their columns hold (the one place they become plain JSON)."""
    out = dict(fields)
    if isinstance(out.get("matte"), MatteReport):
        out["matte"] = out["matte"].to_json()
    if isinstance(out.get("provider_task"), ProviderTask):
        out["provider_task"] = out["provider_task"].to_json()
    if "options" in out:  # replacing them whole: None would drop the upload's name and the rest
        out["options"] = _options_json(out["options"])
    return out


def _options_json(options: JobOptions) -> dict[str, Any]:
    if not isinstance(options, JobOptions):  # a plain dict would bypass every check; None loses all
        raise TypeError(f"job options must be JobOptions, not {type(options).__name__}")
    return options.to_json()


def _to_action(r: ActionRow) -> ActionClip:
    return ActionClip(
        job_id=r.job_id,
        index=r.index,
        preset=ActionPreset.model_validate(r.preset),
        status=ActionStatus(r.status),
        attempts=r.attempts,
        error=r.error,
        error_code=r.error_code,
        imported_clip=r.imported_clip,
        seconds=r.seconds,
        frame_count=r.frame_count,
        loop_start=r.loop_start,
        loop_score=r.loop_score,
        matte=MatteReport.from_json(r.matte) if r.matte else None,
        updated_at=r.updated_at,
        provider_task=ProviderTask.from_json(r.provider_task) if r.provider_task else None,
    )


def _to_job(r: JobRow) -> Job:
    return Job(
        id=r.id,
        status=JobStatus(r.status),
        source=r.source,
        prompt=r.prompt,
        remove_background=r.remove_background,
        platforms=list(r.platforms or []),
        auto_export=r.auto_export,
        key_color=tuple(r.key_color) if r.key_color else None,  # type: ignore[arg-type]
        error=r.error,
        error_code=r.error_code,
        created_at=r.created_at,
        updated_at=r.updated_at,
        options=JobOptions.from_json(r.options),
        actions=[_to_action(a) for a in r.actions],
        exports={k: ExportSummary.from_json(v, k) for k, v in (r.exports or {}).items()},
        usage=[Usage.from_json(u) for u in r.usage or []],
    )


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn: Any, _record: Any) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        return engine
    return create_engine(url, pool_pre_ping=True)


class JobStore:
    """Repository of jobs and actions; the only code that talks SQL."""

    def __init__(self, url: str) -> None:
        from popcon.store.migrations import upgrade_schema

        self.engine = make_engine(url)
        self._folder = Path(url.split("///", 1)[1]).parent if url.startswith("sqlite:///") else None
        try:  # a fresh database gets every table; an older one is brought up to date
            upgrade_schema(self.engine)
        except (OperationalError, OSError) as e:
            raise self._storage_error(e) from e
        self._session = sessionmaker(self.engine, expire_on_commit=False)

    @contextmanager
    def session(self) -> Iterator[Session]:
        try:
            with self._session() as s, s.begin():
                yield s
        except OperationalError as e:  # disk full, read-only, locked out: say so, do not dump SQL
            raise self._storage_error(e) from e

    def _storage_error(self, e: Exception) -> Exception:
        """SQLite reports a full disk as a plain I/O error at times: the free space tells them apart."""
        found = as_storage_error(e)
        if found is None:
            return e
        if not found.full and self._folder is not None:
            with suppress(OSError):
                if shutil.disk_usage(self._folder).free < (1 << 20):
                    return StorageError("the disk is full: free some space, then resume the job", full=True)
        if not found.full and self._folder is not None and "(" not in str(found):
            return StorageError(
                f"the data folder {self._folder} cannot be written: check POPCON_DATA_DIR and its "
                "permissions",
                full=False,
            )
        return found

    def close(self) -> None:
        self.engine.dispose()

    # ---- jobs -------------------------------------------------------------------------
    def create_job(
        self,
        *,
        source: str,
        actions: list[ActionPreset],
        platforms: list[str],
        prompt: str | None = None,
        remove_background: bool = True,
        auto_export: bool = True,
        options: JobOptions | None = None,
        imported_clips: dict[str, str] | None = None,
        job_id: str | None = None,
    ) -> Job:
        job_id = job_id or new_job_id()
        imported_clips = imported_clips or {}
        with self.session() as s:
            row = JobRow(
                id=job_id,
                status=JobStatus.QUEUED.value,
                source=source,
                prompt=prompt,
                remove_background=remove_background,
                platforms=list(platforms),
                auto_export=auto_export,
                options=_options_json(JobOptions() if options is None else options),
                exports={},
                usage=[],
            )
            row.actions = [
                ActionRow(
                    index=i,
                    action_id=p.id,
                    preset=json.loads(p.model_dump_json()),
                    status=ActionStatus.PENDING.value,
                    imported_clip=imported_clips.get(p.id),
                )
                for i, p in enumerate(actions)
            ]
            s.add(row)
        return self.get_job(job_id)

    def _row(self, s: Session, job_id: str) -> JobRow:
        row = s.get(JobRow, check_job_id(job_id))
        if row is None:
            raise NotFound(f"no job {job_id}")
        return row

    def get_job(self, job_id: str) -> Job:
        with self.session() as s:
            return _to_job(self._row(s, job_id))

    def list_jobs(self, limit: int = 50) -> list[Job]:
        if not 1 <= limit <= 10_000:
            raise InvalidInput(f"limit must be between 1 and 10000, not {limit}")
        with self.session() as s:
            rows = s.scalars(select(JobRow).order_by(JobRow.created_at.desc()).limit(limit)).all()
            return [_to_job(r) for r in rows]

    def delete_job(self, job_id: str) -> None:
        """Remove the job and its actions (the caller removes its folder through JobFiles)."""
        with self.session() as s:
            s.delete(self._row(s, job_id))

    def set_job_status(
        self, job_id: str, new: JobStatus, *, error: str | None = None, error_code: str | None = None
    ) -> Job:
        with self.session() as s:
            row = self._row(s, job_id)
            current = JobStatus(row.status)
            if current == new:
                return _to_job(row)
            check_job_transition(current, new)
            done = s.execute(
                update(JobRow)
                .where(JobRow.id == job_id, JobRow.status == current.value)
                .values(
                    status=new.value, error=error, error_code=error_code if error else None, updated_at=now()
                )
            )
            if _rowcount(done) != 1:
                raise IllegalTransition(f"job {job_id} changed status while moving to {new}")
        return self.get_job(job_id)

    def update_job(self, job_id: str, **fields: Any) -> None:
        allowed = {"key_color", "options", "error", "error_code", "platforms", "auto_export"}
        if bad := set(fields) - allowed:
            raise ValueError(f"cannot update {bad}")
        fields = _json_fields(fields)
        with self.session() as s:
            row = self._row(s, job_id)
            for k, v in fields.items():
                setattr(row, k, list(v) if k == "key_color" and v is not None else v)

    def record_export(self, job_id: str, summary: ExportSummary) -> None:
        """Keep the brief copy of a published set under its preset id (replacing an older one)."""
        with self.session() as s:
            row = self._row(s, job_id)
            row.exports = {**(row.exports or {}), summary.preset: summary.brief().to_json()}

    def add_usage(self, job_id: str, entry: Usage) -> None:
        """Append what a provider call consumed (never any secret: the entry is plain numbers)."""
        with self.session() as s:
            row = self._row(s, job_id)
            row.usage = [*(row.usage or []), entry.to_json()]

    # ---- leases: one runner at a time owns a job ----------------------------------------
    def claim(self, job_id: str, owner: str, ttl: float = 30.0) -> bool:
        t = now()
        with self.session() as s:
            self._row(s, job_id)
            res = s.execute(
                update(JobRow)
                .where(JobRow.id == job_id)
                .where(
                    (JobRow.lease_owner.is_(None)) | (JobRow.lease_owner == owner) | (JobRow.lease_until < t)
                )
                .values(lease_owner=owner, lease_until=t + timedelta(seconds=ttl))
            )
            return _rowcount(res) == 1

    def take_over(self, job_id: str, owner: str, dead_owner: str, ttl: float = 30.0) -> bool:
        """Take the lease of an owner known to be dead before it runs out; False if it changed hands."""
        with self.session() as s:
            self._row(s, job_id)
            res = s.execute(
                update(JobRow)
                .where(JobRow.id == job_id, JobRow.lease_owner == dead_owner)
                .values(lease_owner=owner, lease_until=now() + timedelta(seconds=ttl))
            )
            return _rowcount(res) == 1

    def release(self, job_id: str, owner: str) -> None:
        with self.session() as s:
            s.execute(
                update(JobRow)
                .where(JobRow.id == job_id, JobRow.lease_owner == owner)
                .values(lease_owner=None, lease_until=None)
            )

    def lease_holder(self, job_id: str) -> str | None:
        with self.session() as s:
            row = self._row(s, job_id)
            if row.lease_owner and row.lease_until and row.lease_until > now():
                return row.lease_owner
            return None

    # ---- actions ------------------------------------------------------------------------
    def _action_row(self, s: Session, job_id: str, index: int) -> ActionRow:
        row = s.get(ActionRow, (check_job_id(job_id), index))
        if row is None:
            raise NotFound(f"job {job_id} has no action #{index}")
        return row

    def get_action(self, job_id: str, index: int) -> ActionClip:
        with self.session() as s:
            return _to_action(self._action_row(s, job_id, index))

    def set_action_status(
        self,
        job_id: str,
        index: int,
        new: ActionStatus,
        *,
        error: str | None = None,
        error_code: str | None = None,
        **fields: Any,
    ) -> ActionClip:
        with self.session() as s:
            row = self._action_row(s, job_id, index)
            current = ActionStatus(row.status)
            if current != new:
                check_action_transition(current, new)
            values = {
                "status": new.value,
                "error": error,
                "error_code": error_code if error else None,
                "updated_at": now(),
                **_json_fields(fields),
            }
            done = s.execute(
                update(ActionRow)
                .where(
                    ActionRow.job_id == job_id, ActionRow.index == index, ActionRow.status == current.value
                )
                .values(**values)
            )
            if _rowcount(done) != 1:
                raise IllegalTransition(f"action #{index} of job {job_id} changed status concurrently")
        return self.get_action(job_id, index)

    def update_action(self, job_id: str, index: int, **fields: Any) -> None:
        allowed = {
            "attempts",
            "seconds",
            "frame_count",
            "loop_start",
            "loop_score",
            "error",
            "error_code",
            "imported_clip",
            "provider_task",
            "matte",
        }
        if bad := set(fields) - allowed:
            raise ValueError(f"cannot update {bad}")
        fields = _json_fields(fields)
        with self.session() as s:
            row = self._action_row(s, job_id, index)
            for k, v in fields.items():
                setattr(row, k, v)

    # ---- action leases: one worker at a time runs an action (distributed mode) ----------
    def claim_action(self, job_id: str, index: int, owner: str, ttl: float = 30.0) -> bool:
        """Take or renew the action's lease; False while another owner's lease is still live.

        A redelivered task checks this before touching the action, so it never runs an action that
        a live worker is still running; a dead worker's lease simply expires.
        """
        t = now()
        with self.session() as s:
            self._action_row(s, job_id, index)
            res = s.execute(
                update(ActionRow)
                .where(ActionRow.job_id == job_id, ActionRow.index == index)
                .where(
                    (ActionRow.lease_owner.is_(None))
                    | (ActionRow.lease_owner == owner)
                    | (ActionRow.lease_until < t)
                )
                .values(lease_owner=owner, lease_until=t + timedelta(seconds=ttl))
            )
            return _rowcount(res) == 1

    def take_over_action(
        self, job_id: str, index: int, owner: str, dead_owner: str, ttl: float = 30.0
    ) -> bool:
        with self.session() as s:
            self._action_row(s, job_id, index)
            res = s.execute(
                update(ActionRow)
                .where(
                    ActionRow.job_id == job_id, ActionRow.index == index, ActionRow.lease_owner == dead_owner
                )
                .values(lease_owner=owner, lease_until=now() + timedelta(seconds=ttl))
            )
            return _rowcount(res) == 1

    def release_action(self, job_id: str, index: int, owner: str) -> None:
        with self.session() as s:
            s.execute(
                update(ActionRow)
                .where(ActionRow.job_id == job_id, ActionRow.index == index, ActionRow.lease_owner == owner)
                .values(lease_owner=None, lease_until=None)
            )

    def action_lease_holder(self, job_id: str, index: int) -> str | None:
        with self.session() as s:
            row = self._action_row(s, job_id, index)
            if row.lease_owner and row.lease_until and row.lease_until > now():
                return row.lease_owner
            return None
