"""Sets per minute with 1 and 2 Celery workers (offline providers), and what the queue costs per task.

usage: python bench/scale.py [--workers 1,2] [--sets 3] [--actions wave,jump,laugh,love]
                             [--clip-size 256] [--pings 200] [--database-url URL] [--embedded]

Starts its own redis-server (127.0.0.1, a free port, a temporary folder) and `popcon worker`
processes (solo pool: one task at a time each) on a fresh shared data folder; the database is a
SQLite file in that folder unless --database-url names a PostgreSQL one. All sets are enqueued at
once and timed until the last comes to rest. The queue's cost is a no-op task (`popcon.ping`) sent
and answered through Redis: one at a time (round trip), then many at once (throughput).
`--embedded` adds the in-process runner with the same number of threads, for comparison.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from popcon.domain.actions import resolve_actions
from popcon.domain.status import JobStatus
from popcon.settings import Settings
from popcon.store.db import JobStore


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_redis(folder: Path) -> tuple[subprocess.Popen, str]:
    binary = shutil.which("redis-server") or "/usr/bin/redis-server"
    port = free_port()
    proc = subprocess.Popen(
        [binary, "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--dir", str(folder)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    for _ in range(200):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return proc, f"redis://127.0.0.1:{port}/0"
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("redis-server did not start")


def start_workers(n: int, env: dict[str, str], folder: Path) -> list[tuple[subprocess.Popen, Path]]:
    started = []
    for i in range(n):
        log = folder / f"worker{i}-{uuid.uuid4().hex[:4]}.log"
        cmd = [sys.executable, "-m", "popcon.cli.worker", "--pool", "solo", "--loglevel", "warning"]
        cmd += ["--hostname", f"bench{i}@%h", "--logfile", str(log)]
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        started.append((proc, log))
    return started


def wait_ready(settings: Settings, n: int) -> None:
    """Every worker answers a ping (they are connected and have built their context)."""
    import redis

    from popcon.queue.celery_app import make_celery

    app, client = make_celery(settings), redis.Redis.from_url(settings.redis_url)
    token = uuid.uuid4().hex
    deadline = time.monotonic() + 120
    while client.llen(f"popcon:pong:{token}") < 4 * n and time.monotonic() < deadline:
        app.send_task("popcon.ping", args=[token])
        time.sleep(0.25)
    if time.monotonic() >= deadline:
        raise RuntimeError("the workers did not answer")
    time.sleep(1.0)  # let the surplus pings drain


def stop(procs: list[tuple[subprocess.Popen, Path]]) -> None:
    for p, _ in procs:
        p.send_signal(signal.SIGTERM)
    for p, _ in procs:
        try:
            p.wait(30)
        except subprocess.TimeoutExpired:
            p.kill()


def new_jobs(store: JobStore, sets: int, actions: list[str]) -> list[str]:
    presets = resolve_actions(actions)
    make = store.create_job
    return [make(source="sample", actions=presets, platforms=["line-emoji"]).id for _ in range(sets)]


def time_sets(runner, store: JobStore, ids: list[str]) -> float:  # type: ignore[no-untyped-def]
    t = time.perf_counter()
    futures = [runner.submit(i) for i in ids]
    jobs = [f.result(timeout=1800) for f in futures]
    wall = time.perf_counter() - t
    bad = [j.id for j in jobs if j.status != JobStatus.COMPLETED]
    if bad:
        raise RuntimeError(f"sets did not complete: {bad}")
    return wall


def bench_celery(n: int, args: argparse.Namespace, redis_url: str, folder: Path) -> float:
    from popcon.queue.dispatch import CeleryRunner

    data = folder / f"celery-{n}"
    data.mkdir()
    values = {
        "queue": "celery",
        "redis_url": redis_url,
        "data_dir": str(data),
        "clip_size": str(args.clip_size),
        "database_url": args.database_url or f"sqlite:///{data / 'popcon.db'}",
    }
    settings = Settings(**values)  # type: ignore[arg-type]
    store = JobStore(settings.db_url)
    env = {**os.environ, **{f"POPCON_{k.upper()}": v for k, v in values.items()}}
    workers = start_workers(n, env, folder)
    try:
        wait_ready(settings, n)
        ids = new_jobs(store, args.sets, args.actions.split(","))
        runner = CeleryRunner(settings, store)
        wall = time_sets(runner, store, ids)
        runner.close()
    finally:
        stop(workers)
        store.close()
    return wall


def bench_embedded(n: int, args: argparse.Namespace, folder: Path) -> float:
    from popcon.queue.embedded import EmbeddedRunner

    data = folder / f"embedded-{n}"
    data.mkdir()
    settings = Settings(data_dir=data, clip_size=args.clip_size, workers=n)
    store = JobStore(settings.db_url)
    runner = EmbeddedRunner(settings, store)
    try:
        return time_sets(runner, store, new_jobs(store, args.sets, args.actions.split(",")))
    finally:
        runner.close()
        store.close()


def bench_queue(args: argparse.Namespace, redis_url: str, folder: Path) -> tuple[list[float], float]:
    """One worker: `pings` round trips one at a time, then `pings` sent at once."""
    import redis

    from popcon.queue.celery_app import make_celery

    data = folder / "ping"
    data.mkdir()
    values = {"queue": "celery", "redis_url": redis_url, "data_dir": str(data)}
    settings = Settings(**values)  # type: ignore[arg-type]
    env = {**os.environ, **{f"POPCON_{k.upper()}": v for k, v in values.items()}}
    workers = start_workers(1, env, folder)
    app, client = make_celery(settings), redis.Redis.from_url(redis_url)
    try:
        wait_ready(settings, 1)
        trips = []
        for _ in range(args.pings):
            token = uuid.uuid4().hex
            t = time.perf_counter()
            app.send_task("popcon.ping", args=[token])
            client.blpop([f"popcon:pong:{token}"], timeout=30)
            trips.append(time.perf_counter() - t)
        token = uuid.uuid4().hex
        t = time.perf_counter()
        with ThreadPoolExecutor(4) as ex:
            list(ex.map(lambda _: app.send_task("popcon.ping", args=[token]), range(args.pings)))
        while client.llen(f"popcon:pong:{token}") < args.pings:
            time.sleep(0.005)
        burst = (time.perf_counter() - t) / args.pings
    finally:
        stop(workers)
    return trips, burst


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--workers", default="1,2", help="Worker counts to time, comma-separated.")
    p.add_argument("--sets", type=int, default=3, help="Sets enqueued at once per worker count.")
    p.add_argument("--actions", default="wave,jump,laugh,love")
    p.add_argument("--clip-size", type=int, default=256)
    p.add_argument("--pings", type=int, default=200)
    p.add_argument("--database-url", default=None, help="A shared database (default: SQLite in the folder).")
    p.add_argument("--embedded", action="store_true", help="Also time the in-process runner.")
    args = p.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="popcon-scale-"))
    redis_proc, redis_url = start_redis(folder)
    n_actions = len(args.actions.split(","))
    print(f"{os.cpu_count()} CPUs; {args.sets} sets of {n_actions} actions, clip {args.clip_size}px, offline")
    try:
        trips, burst = bench_queue(args, redis_url, folder)
        trips_ms = sorted(x * 1000 for x in trips)
        print(
            f"queue, no-op task: round trip median {statistics.median(trips_ms):.1f} ms, "
            f"p95 {trips_ms[int(len(trips_ms) * 0.95) - 1]:.1f} ms; "
            f"{args.pings} at once: {burst * 1000:.2f} ms per task ({1 / burst:.0f} tasks/s, 1 worker)"
        )
        for n in (int(x) for x in args.workers.split(",")):
            wall = bench_celery(n, args, redis_url, folder)
            rate = args.sets / wall * 60
            print(f"celery, {n} worker(s): {rate:.2f} sets/min ({wall:.1f} s for {args.sets})")
            if args.embedded:
                wall = bench_embedded(n, args, folder)
                print(f"embedded, {n} thread(s): {args.sets / wall * 60:.2f} sets/min ({wall:.1f} s)")
    finally:
        redis_proc.terminate()
        redis_proc.wait(10)
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
