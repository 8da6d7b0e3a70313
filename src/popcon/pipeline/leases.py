"""Lease owners and process liveness: who holds a job or an action, and whether that holder is gone.

Kept apart from the engine because both schedulers (the embedded pool and Celery workers) rely on
the same rules: a lease is a row in the store renewed by a heartbeat, and a holder whose process
provably died on this machine may be taken over at once instead of waiting for the lease to run out.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import socket
import threading
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any


def _machine_id() -> str:
    """Same value for processes that can see each other's pids: one host, one boot, one pid namespace."""
    parts = [socket.gethostname()]
    with contextlib.suppress(OSError):
        parts.append(Path("/proc/sys/kernel/random/boot_id").read_text().strip())
    with contextlib.suppress(OSError):
        parts.append(str(os.stat("/proc/self/ns/pid").st_ino))
    return hashlib.sha1("|".join(parts).encode()).hexdigest()[:8]


_MACHINE = _machine_id()
_OWNER = re.compile(r".*\.([0-9a-f]{8})-(\d+)-[0-9a-f]{6}")


def new_owner() -> str:
    """A lease owner name: the host (for operators), where its pid means something, pid, and a nonce."""
    return f"{socket.gethostname()[:24]}.{_MACHINE}-{os.getpid()}-{uuid.uuid4().hex[:6]}"


def owner_is_dead(owner: str) -> bool:
    """True only when `owner` is provably gone: a process of this machine that no longer runs.

    A crashed runner's lease would otherwise block `popcon jobs resume` (or a restarted worker)
    until it runs out; anything not provable (another machine, a name we did not make) stays live.
    """
    m = _OWNER.fullmatch(owner)
    if not m or m.group(1) != _MACHINE or int(m.group(2)) == os.getpid():
        return False
    pid = int(m.group(2))
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    with contextlib.suppress(OSError, IndexError):  # a zombie: killed, not reaped yet
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    return False


def heartbeat(renew: Callable[[], Any], every: float, name: str) -> Callable[[], None]:
    """Call `renew` every `every` seconds on a daemon thread until the returned stop is called."""
    stop = threading.Event()

    def beat() -> None:
        while not stop.wait(every):
            try:
                renew()
            except Exception:  # a database hiccup: the next beat tries again before the lease ends
                continue

    threading.Thread(target=beat, daemon=True, name=name).start()
    return stop.set
