"""A full disk and a read-only data folder, on a real filesystem: one clear line, and resume finishes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from ..conftest import SAMPLES, Disk


def popcon(*args: str, data: Path, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "POPCON_DATA_DIR": str(data), "COLUMNS": "120"}
    return subprocess.run(
        [sys.executable, "-m", "popcon", *args], capture_output=True, text=True, env=env, timeout=timeout
    )


def _one_clear_line(run: subprocess.CompletedProcess[str], words: str) -> None:
    assert run.returncode == 1, (run.returncode, run.stdout, run.stderr)
    assert "Traceback" not in run.stderr + run.stdout, run.stderr
    assert words in run.stderr, run.stderr
    assert len([ln for ln in run.stderr.splitlines() if ln.strip()]) <= 3, run.stderr


@pytest.mark.slow
def test_disk_full_mid_job_is_one_line_and_resume_finishes(small_disk: Disk, tmp_path: Path) -> None:
    data = small_disk.path / "data"
    ok = popcon("jobs", "list", data=data)  # creates the database while there is room
    assert ok.returncode == 0, ok.stderr
    small_disk.fill(leave=3 << 20)  # room for the job record and its first files, not for its frames
    run = popcon(
        "make", str(SAMPLES / "fox.png"), "--actions", "wave,jump", "--out", str(tmp_path / "o"), data=data
    )
    _one_clear_line(run, "disk is full")
    small_disk.free()
    listed = popcon("jobs", "list", data=data)
    assert listed.returncode == 0, listed.stderr
    ids = [
        ln.split()[1] for ln in listed.stdout.splitlines() if len(ln.split()) > 2 and len(ln.split()[1]) == 12
    ]
    if not ids:  # the disk was full before the job's row could be written: nothing to resume, nothing lost
        return
    resumed = popcon("jobs", "resume", ids[0], "--out", str(tmp_path / "o"), data=data)
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    assert (tmp_path / "o" / "line-emoji.zip").is_file()


def test_a_read_only_data_folder_is_one_line_everywhere(small_disk: Disk, tmp_path: Path) -> None:
    data = small_disk.path / "data"
    assert popcon("jobs", "list", data=data).returncode == 0
    small_disk.remount("ro")
    _one_clear_line(popcon("jobs", "list", data=data), "cannot be written")
    out = str(tmp_path / "o")
    _one_clear_line(
        popcon("make", str(SAMPLES / "fox.png"), "--actions", "wave", "--out", out, data=data),
        "cannot be written",
    )
    _one_clear_line(popcon("serve", "--port", "65432", data=data, timeout=60), "cannot be written")


def test_export_on_a_filling_disk_is_one_line_then_resume_finishes(small_disk: Disk, tmp_path: Path) -> None:
    """No raw OSError text, the job is not failed, and resume finishes the export round."""
    data = small_disk.path / "data"
    made = popcon("make", str(SAMPLES / "fox.png"), "--actions", "wave", "--refine", data=data)
    assert made.returncode == 0, made.stderr
    job_id = next(w for w in made.stdout.split() if len(w) == 12 and all(c in "0123456789abcdef" for c in w))
    small_disk.fill(leave=64 << 10)
    out = tmp_path / "o"
    run = popcon("export", job_id, "--platform", "line-emoji", "--out", str(out), data=data)
    _one_clear_line(run, "disk is full")
    assert "Errno" not in run.stderr
    small_disk.free()
    shown = popcon("jobs", "show", job_id, data=data)
    assert "failed" not in shown.stdout.split("\n")[0], shown.stdout
    if "exporting" in shown.stdout:
        resumed = popcon("jobs", "resume", job_id, "--out", str(out), data=data)
    else:  # refused before the export started: it is simply asked again
        resumed = popcon("export", job_id, "--platform", "line-emoji", "--out", str(out), data=data)
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    assert (out / "line-emoji.zip").is_file()
