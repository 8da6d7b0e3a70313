"""Give freed memory back to the system after a large decode.

Why: glibc keeps freed blocks of a large image decode in its arenas, so a server that decoded a few
6000x6000 uploads stayed at 2 GB long after it had freed them. `malloc_trim` returns that memory;
elsewhere (musl, macOS) this is a no-op.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools


@functools.cache
def _trim():  # type: ignore[no-untyped-def]
    name = ctypes.util.find_library("c")
    if not name:
        return None
    try:
        return ctypes.CDLL(name).malloc_trim
    except (OSError, AttributeError):
        return None


def give_back() -> None:
    """Return the heap's free memory to the system where the C library can (glibc)."""
    trim = _trim()
    if trim is not None:
        trim(0)
