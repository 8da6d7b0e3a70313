"""Kill a real `popcon make` process mid-job, then resume: nothing finished is redone or lost."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from popcon.domain.status import ActionStatus, JobStatus
from popcon.settings import Settings
from popcon.store.db import JobStore
from popcon.store.files import JobFiles, frame_paths


@pytest.mark.slow
def test_crash_then_resume_finishes_without_redoing_work(tmp_path):
    data = tmp_path / "d"
    env = {**os.environ, "POPCON_DATA_DIR": str(data), "POPCON_WORKERS": "1"}
    cmd = [
        sys.executable,
        "-m",
        "popcon",
        "make",
        "--sample",
        "--out",
        str(tmp_path / "out"),
        "--actions",
        "wave,jump,laugh,love,cry,happy",
    ]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    settings = Settings(data_dir=data)
    store = None
    job = None
    deadline = time.monotonic() + 300
    try:
        while time.monotonic() < deadline:
            time.sleep(0.05)
            if store is None:
                if not (data / "popcon.db").exists():
                    continue
                store = JobStore(settings.db_url)
            jobs = store.list_jobs()
            if not jobs:
                continue
            job = jobs[0]
            done = [a for a in job.actions if a.status == ActionStatus.DONE]
            if done and len(done) < len(job.actions):
                break
        else:
            pytest.fail("the job never reached a half-finished state")
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    assert store is not None and job is not None
    killed = store.get_job(job.id)
    assert not killed.status.terminal
    files = JobFiles(data, job.id)
    finished = [a for a in killed.actions if a.status == ActionStatus.DONE]
    stamps = {
        a.index: {
            p: p.stat().st_mtime_ns
            for p in [files.clip(a.index, a.action_id), *frame_paths(files.cutouts_dir(a.index, a.action_id))]
        }
        for a in finished
    }

    # The dead process's lease expires; resume takes over.
    store.claim(job.id, "expire", ttl=-1)
    store.release(job.id, "expire")
    run = subprocess.run(
        [sys.executable, "-m", "popcon", "jobs", "resume", job.id, "--out", str(tmp_path / "out")],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    final = store.get_job(job.id)
    assert final.status == JobStatus.COMPLETED
    assert all(a.status == ActionStatus.DONE for a in final.actions)
    for files_before in stamps.values():
        for path, mtime in files_before.items():
            assert path.stat().st_mtime_ns == mtime, f"{path} was redone"
    assert len(list((tmp_path / "out" / "line-emoji").glob("0*.png"))) == 6
    assert not list(files.root.rglob("*.part"))
    store.close()
