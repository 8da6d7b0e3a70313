"""Real servers for the distributed-mode tests: redis-server and PostgreSQL in temporary folders.

Both listen on 127.0.0.1 on a free port and are stopped (and their folders removed) by the
fixtures. PostgreSQL refuses to run as root, so as root it runs as the `postgres` user in a folder
that user owns. A test is skipped only when the server binaries are not installed (`make test`
installs them).
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_port(port: int, proc: subprocess.Popen, what: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with {proc.returncode}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return
        time.sleep(0.05)
    raise RuntimeError(f"{what} did not listen on {port} in {timeout}s")


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    binary = shutil.which("redis-server") or (
        "/usr/bin/redis-server" if Path("/usr/bin/redis-server").exists() else None
    )
    if binary is None:
        pytest.skip("redis-server is not installed (apt-get install redis-server; `make test` does it)")
    folder = Path(tempfile.mkdtemp(prefix="popcon-redis-"))
    port = free_port()
    proc = subprocess.Popen(
        [binary, "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--dir", str(folder)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_port(port, proc, "redis-server")
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def redis_client(redis_url: str) -> Iterator[object]:
    import redis

    client = redis.Redis.from_url(redis_url)
    client.flushall()  # no task or slot of an earlier test leaks into this one
    yield client
    client.close()


def _pg_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


@dataclass
class Postgres:
    port: int
    admin_url: str
    databases: list[str] = field(default_factory=list)

    def new_database(self) -> str:
        """A fresh, empty database; its SQLAlchemy URL."""
        import psycopg

        name = f"popcon_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        self.databases.append(name)
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{name}"


@pytest.fixture(scope="session")
def postgres() -> Iterator[Postgres]:
    bindir = _pg_bin()
    if bindir is None:
        pytest.skip("PostgreSQL is not installed (apt-get install postgresql; `make test` does it)")
    folder = Path(tempfile.mkdtemp(prefix="popcon-pg-"))
    data, sock = folder / "data", folder / "sock"
    sock.mkdir()
    as_user: list[str] = []
    if os.geteuid() == 0:  # postgres will not run as root: run it as the postgres user, in its folder
        shutil.chown(folder, "postgres")
        shutil.chown(sock, "postgres")
        as_user = ["runuser", "-u", "postgres", "--"]
    port = free_port()
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.PIPE, "check": True}
    initdb = [str(bindir / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres", "--no-sync"]
    subprocess.run([*as_user, *initdb, "-E", "UTF8", "--no-instructions"], **quiet)  # type: ignore[call-overload]
    options = f"-h 127.0.0.1 -p {port} -k {sock} -F -c max_connections=100 -c shared_buffers=16MB"
    pg_ctl = [str(bindir / "pg_ctl"), "-D", str(data)]
    start = ["-o", options, "-l", str(folder / "log"), "-w", "-t", "60", "start"]
    subprocess.run([*as_user, *pg_ctl, *start], **quiet)  # type: ignore[call-overload]
    try:
        yield Postgres(port=port, admin_url=f"postgresql://postgres@127.0.0.1:{port}/postgres")
    finally:
        subprocess.run(
            [*as_user, *pg_ctl, "-m", "immediate", "-w", "stop"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        shutil.rmtree(folder, ignore_errors=True)


@dataclass
class Worker:
    name: str
    proc: subprocess.Popen
    log: Path

    def text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)


class Workers:
    """Real `popcon worker` processes (solo pool: the task runs in the process a test may kill)."""

    def __init__(self, env: dict[str, str], folder: Path) -> None:
        self.env = env
        self.folder = folder
        self.started: list[Worker] = []

    def start(self, name: str) -> Worker:
        log = self.folder / f"{name}.log"
        cmd = [sys.executable, "-m", "popcon.cli.worker", "--pool", "solo", "--loglevel", "info"]
        cmd += ["--hostname", f"{name}@popcon-test", "--logfile", str(log)]
        with (self.folder / f"{name}.out").open("wb") as out:  # a crash before logging starts lands here
            proc = subprocess.Popen(cmd, env=self.env, stdout=out, stderr=subprocess.STDOUT)
        w = Worker(name, proc, log)
        self.started.append(w)
        return w

    def wait_ready(self, *workers: Worker, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        for w in workers:
            while " ready." not in w.text():
                if w.proc.poll() is not None:
                    out = (self.folder / f"{w.name}.out").read_text(errors="replace")[-3000:]
                    raise RuntimeError(f"worker {w.name} exited with {w.proc.returncode}:\n{w.text()}{out}")
                if time.monotonic() > deadline:
                    raise RuntimeError(f"worker {w.name} not ready in {timeout}s:\n{w.text()}")
                time.sleep(0.1)

    def stop_all(self) -> None:
        for w in self.started:
            with contextlib.suppress(Exception):
                w.stop()


@pytest.fixture
def distributed(tmp_path: Path, redis_url: str, redis_client: object, postgres: Postgres):  # type: ignore[no-untyped-def]
    """Settings and a worker launcher for one test: a fresh database, a shared data_dir, short leases."""
    from popcon.settings import Settings

    db_url = postgres.new_database()
    data = tmp_path / "shared-data"
    data.mkdir()
    values = {
        "queue": "celery",
        "redis_url": redis_url,
        "database_url": db_url,
        "data_dir": str(data),
        "clip_size": "256",
        "retry_base_delay": "0.01",
        "celery_visibility_timeout": "6",
        "action_lease_seconds": "4",
    }
    env = {**os.environ, **{f"POPCON_{k.upper()}": v for k, v in values.items()}}
    settings = Settings(**values)  # type: ignore[arg-type]
    workers = Workers(env, tmp_path)
    yield settings, workers
    workers.stop_all()
