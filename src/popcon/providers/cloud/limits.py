"""Per-provider concurrency limits shared by every job of the process.

Why module level: the services cap concurrent tasks per key (about 2 for Wan video), and each job
builds its own provider objects; a limit held by one provider instance would not protect the key.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from popcon.providers.base import CancelCheck, never_canceled

_lock = threading.Lock()
_slots: dict[str, tuple[int, threading.BoundedSemaphore]] = {}


def semaphore(key: str, limit: int) -> threading.BoundedSemaphore:
    """The process-wide semaphore of `key`; the first caller's limit wins until `reset`."""
    with _lock:
        found = _slots.get(key)
        if found is None:
            found = (limit, threading.BoundedSemaphore(limit))
            _slots[key] = found
        return found[1]


@contextmanager
def slot(key: str, limit: int, check_cancel: CancelCheck = never_canceled) -> Iterator[None]:
    """Hold one of `limit` slots of `key`; waiting for a slot still honours job cancel."""
    sem = semaphore(key, limit)
    while not sem.acquire(timeout=0.2):
        check_cancel()
    try:
        yield
    finally:
        sem.release()


def reset() -> None:
    """Forget every limit (tests, or after the settings change)."""
    with _lock:
        _slots.clear()
