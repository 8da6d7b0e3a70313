"""Data folders that cannot be used, each made for real (root can mount, remount and chattr).

Root ignores mode bits, so "permission denied" is made two honest ways: `chattr +i` (the kernel
refuses even root, EPERM) and, for a subprocess, dropping root's DAC override capabilities with
`setpriv` on a folder another user owns (EACCES).
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.conftest import Disk

# What each case's message must say (a word of it), by case name.
WORDS = {
    "under-proc": "does not accept new folders",
    "parent-uncreatable": "read-only file system",
    "file-is-folder": "is a file, not a folder",
    "file-in-path": "is a file, not a folder",
    "immutable": "permission denied",
    "read-only": "read-only file system",
    "disk-full": "full",
}
CASES = tuple(WORDS)
NO_DAC = ["setpriv", "--bounding-set", "-dac_override,-dac_read_search,-fowner"]


@contextmanager
def unusable(case: str, tmp: Path, disk: Disk) -> Iterator[Path]:
    """The data folder path for `case`, the fault in place while the block runs."""
    if case == "under-proc":
        yield Path("/proc/popcon-data")
    elif case == "parent-uncreatable":
        disk.remount("ro")
        yield disk.path / "missing" / "data"
    elif case == "file-is-folder":
        (tmp / "data").write_text("not a folder")
        yield tmp / "data"
    elif case == "file-in-path":
        (tmp / "file").write_text("not a folder")
        yield tmp / "file" / "data"
    elif case == "immutable":
        folder = tmp / "locked"
        folder.mkdir()
        if subprocess.run(["chattr", "+i", str(folder)], capture_output=True).returncode:
            pytest.skip("chattr +i is not supported on this file system")
        try:
            yield folder / "data"
        finally:
            subprocess.run(["chattr", "-i", str(folder)], check=False)
    elif case == "read-only":
        disk.remount("ro")
        yield disk.path / "data"
    elif case == "disk-full":
        disk.fill()
        yield disk.path / "data"
    else:
        raise ValueError(case)


def no_dac_available() -> bool:
    return shutil.which("setpriv") is not None
