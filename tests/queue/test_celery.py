"""The distributed mode against real servers: redis-server, PostgreSQL and `popcon worker` processes.

Nothing is faked: the workers are separate processes running the offline providers, they share a
data folder and a PostgreSQL database, and one of them is killed with SIGKILL in the middle of a task.
"""

from __future__ import annotations

import re
import signal
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import inspect, text

from popcon.domain.actions import resolve_actions
from popcon.domain.events import Event
from popcon.domain.status import ActionStatus, JobStatus
from popcon.queue.dispatch import CeleryRunner, make_runner
from popcon.store.db import JobStore
from popcon.store.files import JobFiles, frame_paths
from popcon.store.migrations import HEAD, alembic_config, current_revision, upgrade_schema

pytestmark = pytest.mark.slow

ACTIONS = ["wave", "jump", "laugh", "love"]
RAN = re.compile(r"popcon action (\w+)#(\d+) (done|failed|canceled) on")


def _outcomes(log: str, job_id: str) -> dict[int, str]:
    return {int(i): status for j, i, status in RAN.findall(log) if j == job_id}


def _new_job(store: JobStore, actions: list[str] = ACTIONS) -> str:
    return store.create_job(source="sample", actions=resolve_actions(actions), platforms=["line-emoji"]).id


def _check_outputs_once(settings, job) -> None:  # type: ignore[no-untyped-def]
    """Every action's outputs exist exactly once, complete, with no leftover temporary files."""
    files = JobFiles(settings.data_dir, job.id)
    assert sorted(p.name for p in (files.root / "actions").iterdir()) == sorted(
        files.action_dir(a.index, a.action_id).name for a in job.actions
    )
    for a in job.actions:
        assert a.status == ActionStatus.DONE, (a.action_id, a.status, a.error)
        adir = files.action_dir(a.index, a.action_id)
        assert sorted(p.name for p in adir.iterdir()) == ["clip.mov", "cutouts", "frames", "pose.png"]
        assert len(frame_paths(files.frames_dir(a.index, a.action_id))) == a.frame_count > 0
        assert len(frame_paths(files.cutouts_dir(a.index, a.action_id))) == a.frame_count
    assert not [p for p in files.root.rglob("*") if p.name.endswith((".part", ".old"))]
    exported = sorted(p.name for p in (files.exports_dir / "line-emoji").glob("0*.png"))
    assert exported == [f"{i + 1:03d}.png" for i in range(len(job.actions))]


def test_migrations_run_on_postgresql(postgres):
    url = postgres.new_database()
    store = JobStore(url)  # a fresh database: every revision runs
    with store.engine.connect() as conn:
        assert current_revision(conn) == HEAD
        columns = {c["name"] for c in inspect(conn).get_columns("actions")}
    assert {"lease_owner", "lease_until"} <= columns
    job_id = _new_job(store, ["wave"])
    assert store.claim_action(job_id, 0, "a", ttl=30) and not store.claim_action(job_id, 0, "b", ttl=30)

    # down to the first revision and up again through the startup call, the data kept
    from alembic import command

    with store.engine.begin() as conn:
        command.downgrade(alembic_config(conn), "0001")
    with store.engine.connect() as conn:
        assert "lease_owner" not in {c["name"] for c in inspect(conn).get_columns("actions")}
    upgrade_schema(store.engine)
    assert store.get_job(job_id).actions[0].action_id == "wave"
    assert store.action_lease_holder(job_id, 0) is None
    store.close()

    # a database made before migrations existed (tables, no alembic_version) is stamped and upgraded
    legacy = postgres.new_database()
    first = JobStore(legacy)
    with first.engine.begin() as conn:
        conn.execute(text("DROP TABLE alembic_version"))
        conn.execute(text("ALTER TABLE actions DROP COLUMN lease_owner, DROP COLUMN lease_until"))
    first.close()
    again = JobStore(legacy)
    assert _new_job(again, ["jump"])
    with again.engine.connect() as conn:
        assert current_revision(conn) == HEAD
    again.close()


def test_a_sqlite_file_from_before_migrations_is_upgraded_in_place(tmp_path: Path):
    """The embedded default: a database `create_all` made (no alembic_version) keeps its jobs."""
    url = f"sqlite:///{tmp_path / 'old.db'}"
    store = JobStore(url)
    job_id = _new_job(store, ["wave"])
    with store.engine.begin() as conn:
        conn.execute(text("DROP TABLE alembic_version"))
        conn.execute(text("ALTER TABLE actions DROP COLUMN lease_until"))
        conn.execute(text("ALTER TABLE actions DROP COLUMN lease_owner"))
    store.close()
    again = JobStore(url)
    assert again.get_job(job_id).actions[0].action_id == "wave"
    assert again.claim_action(job_id, 0, "me") and again.action_lease_holder(job_id, 0) == "me"
    with again.engine.connect() as conn:
        assert current_revision(conn) == HEAD
    again.close()


def test_two_workers_finish_one_job_together(distributed):
    settings, workers = distributed
    store = JobStore(settings.db_url)
    a, b = workers.start("w1"), workers.start("w2")
    workers.wait_ready(a, b)
    job_id = _new_job(store)

    runner = make_runner(settings, store)
    assert isinstance(runner, CeleryRunner)
    events: list[Event] = []
    runner.bus.subscribe(events.append)
    job = runner.submit(job_id).result(timeout=180)
    runner.close()

    assert job.status == JobStatus.COMPLETED, job.error
    _check_outputs_once(settings, job)
    ran_a, ran_b = _outcomes(a.text(), job_id), _outcomes(b.text(), job_id)
    assert ran_a and ran_b, (ran_a, ran_b)  # the job's actions spread over both workers
    assert sorted([*ran_a, *ran_b]) == list(range(len(ACTIONS)))  # each action ran once
    # the workers' progress reached this process through Redis
    assert {e.action_index for e in events if e.kind == "action" and e.status == "done"} == set(range(4))
    assert [e.status for e in events if e.kind == "job"][-1] == "completed"
    store.close()


def test_a_worker_killed_mid_task_loses_and_duplicates_nothing(distributed):
    settings, workers = distributed
    store = JobStore(settings.db_url)
    a, b = workers.start("w1"), workers.start("w2")
    workers.wait_ready(a, b)
    job_id = _new_job(store)
    runner = make_runner(settings, store)
    future = runner.submit(job_id)

    # Wait until w1 is inside an action (it took the task and holds the action's lease) while another
    # action is already done, then kill it.
    files = JobFiles(settings.data_dir, job_id)
    victim: int | None = None
    deadline = time.monotonic() + 120
    while victim is None and time.monotonic() < deadline:
        mine = set(re.findall(r"running on (\S+)", a.text()))
        actions = store.get_job(job_id).actions
        if not any(act.status == ActionStatus.DONE for act in actions):
            time.sleep(0.05)
            continue  # kill once some work is finished, to check it is not redone
        for act in actions:
            holder = store.action_lease_holder(job_id, act.index)
            if holder in mine and not act.status.terminal:
                victim = act.index
                break
        time.sleep(0.05)
    assert victim is not None, "w1 never ran an action"
    a.proc.send_signal(signal.SIGKILL)
    a.proc.wait(10)
    killed = store.get_job(job_id)
    stamps = {
        p: p.stat().st_mtime_ns
        for act in killed.actions
        if act.status == ActionStatus.DONE
        for p in [
            files.pose(act.index, act.action_id),
            files.clip(act.index, act.action_id),
            *frame_paths(files.frames_dir(act.index, act.action_id)),
            *frame_paths(files.cutouts_dir(act.index, act.action_id)),
        ]
    }
    stamps[files.character] = files.character.stat().st_mtime_ns
    assert killed.actions[victim].status != ActionStatus.DONE
    assert len(stamps) > 3  # finished outputs whose timestamps must survive

    job = future.result(timeout=180)
    runner.close()
    assert job.status == JobStatus.COMPLETED, job.error
    _check_outputs_once(settings, job)
    # the killed task ran again, on the live worker, and finished there
    assert _outcomes(b.text(), job_id).get(victim) == "done"
    assert victim not in _outcomes(a.text(), job_id)
    for path, mtime in stamps.items():
        assert path.stat().st_mtime_ns == mtime, f"{path} was written again"
    store.close()


def test_tasks_delivered_twice_leave_one_result(distributed):
    settings, workers = distributed
    store = JobStore(settings.db_url)
    w = workers.start("w1")
    workers.wait_ready(w)
    job_id = _new_job(store, ACTIONS[:3])
    runner = make_runner(settings, store)
    assert isinstance(runner, CeleryRunner)
    # the whole job twice over: start_job twice, so every action task is enqueued twice too
    runner.send("popcon.start_job", job_id)
    job = runner.run_job(job_id, timeout=180)
    assert job.status == JobStatus.COMPLETED, job.error
    files = JobFiles(settings.data_dir, job_id)
    stamps = {p: p.stat().st_mtime_ns for p in files.root.rglob("*") if p.is_file()}
    # once the duplicates have run (a ping queued behind them answers), nothing was written again
    token = "after-duplicates"
    runner.send("popcon.ping", token)
    assert runner.redis.blpop([f"popcon:pong:{token}"], timeout=60)
    runner.close()
    log = w.text()
    assert sorted(_outcomes(log, job_id)) == [0, 1, 2] and len(RAN.findall(log)) == 3
    assert len(re.findall(rf"popcon action {job_id}#\d already done", log)) == 3
    assert log.count(f"popcon job {job_id} completed") == 1
    assert {p: p.stat().st_mtime_ns for p in files.root.rglob("*") if p.is_file()} == stamps
    _check_outputs_once(settings, store.get_job(job_id))
    store.close()


def test_provider_limit_holds_across_clients_and_expires(redis_url, redis_client):
    import redis

    from popcon.queue.limits import RedisLimiter

    limiters = [RedisLimiter(redis.Redis.from_url(redis_url), ttl=3.0, poll=0.02) for _ in range(3)]
    inside, peak, lock = [0], [0], threading.Lock()

    def call(limiter: RedisLimiter) -> None:
        for _ in range(4):
            with limiter.slot("video:wan", 2):
                with lock:
                    inside[0] += 1
                    peak[0] = max(peak[0], inside[0])
                time.sleep(0.03)
                with lock:
                    inside[0] -= 1

    threads = [threading.Thread(target=call, args=(lim,)) for lim in limiters for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert peak[0] == 2

    # a holder that dies never gives its slot back: the slot expires after its ttl
    dead = RedisLimiter(redis.Redis.from_url(redis_url), ttl=1.0)
    dead._acquire(keys=["popcon:limit:image:x"], args=[1.0, 1, "dead-worker"])
    started = time.monotonic()
    with limiters[0].slot("image:x", 1):
        waited = time.monotonic() - started
    assert 0.5 < waited < 5, waited
    assert limiters[0].holders("image:x") == 0


def test_make_runner_keeps_the_embedded_default(settings, store):
    from popcon.queue.embedded import EmbeddedRunner

    assert isinstance(make_runner(settings, store), EmbeddedRunner)
    assert settings.queue == "embedded"
