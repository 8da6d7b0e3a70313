"""`popcon jobs cancel` from another terminal while `popcon make` exports its second platform."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from popcon.settings import Settings
from popcon.store.db import JobStore
from tests.conftest import SAMPLES


@pytest.mark.slow
def test_cancel_during_the_second_platform_copies_nothing_and_fails(tmp_path: Path) -> None:
    data, out = tmp_path / "data", tmp_path / "out"
    env = {**os.environ, "POPCON_DATA_DIR": str(data), "COLUMNS": "120"}
    make = subprocess.Popen(
        [sys.executable, "-m", "popcon", "make", str(SAMPLES / "fox.png"), "--actions", "wave,jump",
         "--platform", "line-emoji", "--platform", "telegram-video-sticker", "--out", str(out)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    store = None
    try:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            time.sleep(0.05)
            if store is None and (data / "popcon.db").exists():
                store = JobStore(Settings(data_dir=data).db_url)
            jobs = store.list_jobs() if store else []
            if jobs and "line-emoji" in jobs[0].exports:  # the first platform is done, the second runs
                break
        else:
            pytest.fail("the first platform was never exported")
        job_id = jobs[0].id
        cancel = subprocess.run(
            [sys.executable, "-m", "popcon", "jobs", "cancel", job_id],
            env=env,
            capture_output=True,
            text=True,
        )
        assert cancel.returncode == 0, cancel.stderr
        stdout, stderr = make.communicate(timeout=120)
    finally:
        if make.poll() is None:
            make.kill()
        if store is not None:
            store.close()
    assert make.returncode == 1, (stdout, stderr)
    assert "canceled" in stderr and f"popcon jobs resume {job_id}" in stderr, stderr
    assert not (out / "line-emoji").exists() and not (out / "line-emoji.zip").exists()
