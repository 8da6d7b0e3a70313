"""Atomic file writes: a crash leaves either the previous file or the new one, never half of one.

Used by every layer that writes results (stages, media encoders, the store, the web adapters); a
leftover `*.part` from a killed process is cleaned by `popcon.store.files.clean_partials`.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """Yield a temporary sibling of `path` to write; it replaces `path` only if the block succeeds."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".part")
    try:
        yield tmp
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)


def write_bytes_atomic(path: Path, data: bytes) -> Path:
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)
    return path


def copy_atomic(src: Path, dest: Path) -> Path:
    with atomic_path(dest) as tmp:
        shutil.copyfile(src, tmp)
    return dest
