"""Every way the data folder can be unusable: one line on stderr, a non-zero exit, no traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import Disk
from tests.helpers.datadir import CASES, NO_DAC, WORDS, no_dac_available, unusable


def run_cli(*args: str, data: Path, prefix: list[str] | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "POPCON_DATA_DIR": str(data), "COLUMNS": "60"}  # narrow: a wrapped line would show
    return subprocess.run(
        [*(prefix or []), sys.executable, "-m", "popcon", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


def one_line(run: subprocess.CompletedProcess[str], words: str) -> None:
    assert run.returncode == 1, (run.returncode, run.stdout, run.stderr)
    assert "Traceback" not in run.stdout + run.stderr, run.stderr
    lines = [ln for ln in run.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, run.stderr
    assert lines[0].startswith("error: ") and words in lines[0], lines[0]


@pytest.mark.parametrize("case", CASES)
def test_jobs_list_and_serve_say_one_line(case: str, tmp_path: Path, small_disk: Disk) -> None:
    with unusable(case, tmp_path, small_disk) as data:
        one_line(run_cli("jobs", "list", data=data), WORDS[case])
        one_line(run_cli("serve", "--port", "65433", data=data), WORDS[case])


@pytest.mark.skipif(not no_dac_available(), reason="setpriv is not installed")
def test_permission_denied_without_root_override(tmp_path: Path) -> None:
    """Root without CAP_DAC_OVERRIDE on a folder another user owns: the kernel says EACCES."""
    folder = tmp_path / "theirs"
    folder.mkdir()
    os.chown(folder, 65534, 65534)
    folder.chmod(0o755)
    one_line(run_cli("jobs", "list", data=folder / "data", prefix=NO_DAC), "permission denied")
    one_line(run_cli("serve", "--port", "65434", data=folder, prefix=NO_DAC), "permission denied")
    one_line(run_cli("jobs", "list", data=folder, prefix=NO_DAC), "cannot be written")


def test_a_data_folder_whose_disk_fills_up(small_disk: Disk) -> None:
    """A folder that worked, then the disk filled: SQLite cannot even map its shared-memory file to
    read, so listing says the disk is full (one line), as does a server start."""
    data = small_disk.path / "data"
    assert run_cli("jobs", "list", data=data).returncode == 0
    small_disk.fill()
    one_line(run_cli("jobs", "list", data=data), "disk is full")
    one_line(run_cli("serve", "--port", "65435", data=data), "full")
    small_disk.free()
    assert run_cli("jobs", "list", data=data).returncode == 0
