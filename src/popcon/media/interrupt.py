"""A way for a long encode to stop at once when its caller asks, without the media layer knowing why.

Why: the export encodes a set's clips on worker threads and a cancel was only noticed between clips,
so a WebM search (several VP9 encodes of every frame) ran on for seconds after the user pressed
Cancel. The caller installs its check for the thread with `interruptible`; encoders call
`checkpoint()` per frame, which raises whatever the check raises.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

_local = threading.local()


@contextmanager
def interruptible(check: Callable[[], None]) -> Iterator[None]:
    """Encodes run on this thread inside the block call `check` at each checkpoint."""
    previous = getattr(_local, "check", None)
    _local.check = check
    try:
        yield
    finally:
        _local.check = previous


def checkpoint() -> None:
    """Raise what the installed check raises (nothing is installed: a no-op)."""
    check = getattr(_local, "check", None)
    if check is not None:
        check()
