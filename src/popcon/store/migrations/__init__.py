"""Schema migrations (Alembic) and the one call that brings any database up to date at startup.

SQLite (the embedded default) and PostgreSQL (the distributed mode) run the same revisions. A
database made before migrations existed (tables, no `alembic_version`) is stamped at the first
revision, whose schema it has, and upgraded from there. Several processes starting at once are
serialised: a file lock next to a SQLite file, an advisory lock on PostgreSQL.
"""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection, Engine

HERE = Path(__file__).resolve().parent
HEAD = "0005"  # the newest revision in versions/; a database there needs no Alembic at all
BASELINE = "0001"  # the schema that `Base.metadata.create_all` made before migrations existed
_PG_LOCK_KEY = 0x706F70636F6E  # "popcon": one advisory lock id shared by every process


def alembic_config(connection: Connection | None = None):  # type: ignore[no-untyped-def]
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(HERE))
    cfg.attributes["connection"] = connection
    return cfg


def current_revision(connection: Connection) -> str | None:
    if not inspect(connection).has_table("alembic_version"):
        return None
    return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()


def upgrade_schema(engine: Engine) -> None:
    """Create or upgrade the schema to HEAD; cheap (one query) when it is already there."""
    with engine.connect() as conn:
        if current_revision(conn) == HEAD:
            return
    with _migration_lock(engine), engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_LOCK_KEY})
        rev = current_revision(conn)
        if rev == HEAD:
            return
        from alembic import command

        cfg = alembic_config(conn)
        if rev is None and inspect(conn).has_table("jobs"):
            command.stamp(cfg, BASELINE)
        command.upgrade(cfg, "head")


@contextmanager
def _migration_lock(engine: Engine) -> Iterator[None]:
    """Serialise migrations of one SQLite file across processes (PostgreSQL locks in the database)."""
    db = engine.url.database if engine.dialect.name == "sqlite" else None
    if not db or db == ":memory:":
        yield
        return
    lock = Path(db).with_name(Path(db).name + ".migrate.lock")
    with lock.open("a") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)
