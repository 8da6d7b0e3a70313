"""The data folder: made, proved usable, and every way it is not said in one line.

Why here and not in each shell: the CLI, `popcon serve`, the web app and the health check all
open the same folder, and a path under /proc, a file where a folder should be, a read-only mount or
a full disk must read the same everywhere (one `StorageError`, never an errno from deep inside).
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from popcon.domain.errors import StorageError

HINT = "set POPCON_DATA_DIR (or --data-dir) to a folder you can write"
PROBE_BYTES = 4096  # one page: a full tmpfs or ext4 refuses it, where an empty file would still fit


@dataclass(frozen=True)
class Writability:
    """What /health reports: whether a real write succeeds now, and the room left."""

    writable: bool
    free_bytes: int | None
    reason: str | None = None


def _first_existing(path: Path) -> Path:
    for p in (path, *path.parents):
        if os.path.lexists(p):
            return p
    return Path(path.anchor or ".")


def _explain(folder: Path, exc: OSError, doing: str) -> StorageError:
    """One sentence for an OSError met while making or probing `folder`."""
    where = Path(exc.filename) if exc.filename else folder
    code = exc.errno
    if code in (errno.ENOSPC, errno.EDQUOT):
        return StorageError(f"the disk holding the data folder {folder} is full: free some space", full=True)
    if code == errno.ENOTDIR or (code == errno.EEXIST and not folder.is_dir()):
        blocker = _first_existing(folder)
        return StorageError(
            f"the data folder {folder} cannot be {doing}: {blocker} is a file, not a folder; {HINT}",
            full=False,
        )
    if code == errno.ENOENT:
        parent = _first_existing(folder)
        return StorageError(
            f"the data folder {folder} cannot be {doing}: {parent} does not accept new folders; {HINT}",
            full=False,
        )
    if code in (errno.EACCES, errno.EPERM):
        return StorageError(
            f"the data folder {folder} cannot be {doing}: permission denied on {where}; {HINT}", full=False
        )
    if code == errno.EROFS:
        where_ro = f"the data folder {folder} cannot be written: it is on a read-only file system"
        return StorageError(f"{where_ro}; {HINT}", full=False)
    reason = exc.strerror or type(exc).__name__
    return StorageError(f"the data folder {folder} cannot be {doing}: {reason.lower()}; {HINT}", full=False)


def make_data_dir(folder: Path) -> Path:
    """Create `folder` (and its parents) or raise one clear StorageError saying why it cannot be."""
    if os.path.lexists(folder) and not folder.is_dir():
        raise StorageError(f"the data folder {folder} is a file, not a folder; {HINT}", full=False)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise _explain(folder, e, "created") from e
    return folder


def _probe(folder: Path) -> None:
    probe = folder / f".write-probe-{os.getpid()}"
    try:
        with probe.open("wb") as f:
            f.write(b"\0" * PROBE_BYTES)
            f.flush()  # tmpfs and ext4 (delayed allocation still reserves) refuse here when full
    finally:
        with contextlib.suppress(OSError):
            probe.unlink(missing_ok=True)


def ensure_data_dir(folder: Path) -> Path:
    """Create `folder` and prove it takes a write (a page of it), or raise one clear StorageError."""
    make_data_dir(folder)
    try:
        _probe(folder)
    except OSError as e:
        raise _explain(folder, e, "written") from e
    return folder


def writability(folder: Path) -> Writability:
    """Whether `folder` takes a real write now (not what its mode bits claim) and the room left."""
    free: int | None
    try:
        free = shutil.disk_usage(folder).free
    except OSError:
        free = None
    if not folder.is_dir():  # never made here: a health check must not create what was removed
        return Writability(False, free, f"the data folder {folder} does not exist")
    try:
        _probe(folder)
    except OSError as e:
        return Writability(False, free, str(_explain(folder, e, "written")))
    return Writability(True, free)
