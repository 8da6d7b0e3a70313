"""Atomic file writes: a crash leaves either the previous file or the new one, never half of one.

Used by every layer that writes results (stages, media encoders, the store, the web adapters); a
leftover `*.part` from a killed process is cleaned by `popcon.store.files.clean_partials`.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from popcon.domain.errors import as_storage_error


@contextmanager
def storage_errors() -> Iterator[None]:
    """Turn a full disk or a read-only folder met inside the block into one clear StorageError."""
    try:
        yield
    except OSError as e:
        raise (as_storage_error(e) or e) from e


@contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """Yield a temporary sibling of `path` to write; it replaces `path` only if the block succeeds."""
    tmp = path.with_name(path.name + ".part")
    try:
        with storage_errors():  # disk full / read-only: one clear error, not an errno deep in a stage
            path.parent.mkdir(parents=True, exist_ok=True)
            yield tmp
            tmp.replace(path)
    finally:
        with suppress(OSError):
            tmp.unlink(missing_ok=True)


def write_bytes_atomic(path: Path, data: bytes) -> Path:
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)
    return path


def copy_atomic(src: Path, dest: Path) -> Path:
    with atomic_path(dest) as tmp:
        shutil.copyfile(src, tmp)
    return dest
