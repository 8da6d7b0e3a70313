from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from popcon.settings import Settings
from popcon.store.db import JobStore

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
SAMPLES = SHARED / "samples"
BENCH = SHARED / "bench"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", retry_base_delay=0.01, clip_size=256)


@pytest.fixture
def store(settings: Settings):
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    s = JobStore(settings.db_url)
    yield s
    s.close()


class Disk:
    """A real, small filesystem (tmpfs) to fill up or make read-only: storage failures as they happen."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def mount(self, size: str) -> None:
        subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(self.path)], check=True)

    def remount(self, options: str) -> None:
        subprocess.run(["mount", "-o", f"remount,{options}", str(self.path)], check=True)

    def fill(self, leave: int = 0) -> None:
        """Take every free byte but `leave`, the way another program filling the disk would."""
        with (self.path / "ballast").open("ab") as f:
            try:
                while shutil.disk_usage(self.path).free > leave:
                    f.write(b"\1" * min(1 << 20, max(4096, shutil.disk_usage(self.path).free - leave)))
                    f.flush()
            except OSError:
                pass

    def free(self) -> None:
        (self.path / "ballast").unlink(missing_ok=True)


@pytest.fixture
def small_disk(tmp_path: Path):
    """A 64 MB tmpfs mounted for the test (needs root, as CI and this project's machines have)."""
    mnt = tmp_path / "disk"
    mnt.mkdir()
    disk = Disk(mnt)
    try:
        disk.mount("64m")
    except (subprocess.CalledProcessError, FileNotFoundError, PermissionError) as e:
        pytest.skip(f"cannot mount a tmpfs here (not root?): {e}")
    try:
        yield disk
    finally:
        subprocess.run(["umount", "-l", str(mnt)], check=False)
