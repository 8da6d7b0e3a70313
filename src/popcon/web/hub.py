"""Bridges the runner's thread-side events to asyncio listeners (one queue per SSE connection)."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Callable

from popcon.domain.events import Event, Listener


class EventHub:
    def __init__(
        self,
        subscribe: Callable[[Listener], Callable[[], None]],
        journal: Callable[[Event], None] | None = None,
    ) -> None:
        self._journal = journal  # keeps a job's activity where a reloaded page can read it back
        self._subs: dict[int, tuple[str, asyncio.AbstractEventLoop, asyncio.Queue[Event]]] = {}
        self._lock = threading.Lock()
        self._next = 0
        self._unsubscribe: Callable[[], None] = subscribe(self._on_event)

    def _on_event(self, event: Event) -> None:
        if self._journal is not None:
            with contextlib.suppress(OSError):  # a full disk must not stop the live stream
                self._journal(event)
        with self._lock:
            targets = [(loop, q) for job, loop, q in self._subs.values() if job == event.job_id]
        for loop, q in targets:
            if not loop.is_closed():
                loop.call_soon_threadsafe(q.put_nowait, event)

    def listen(self, job_id: str) -> tuple[int, asyncio.Queue[Event]]:
        """A queue receiving this job's events from now on; call `stop(token)` when done."""
        q: asyncio.Queue[Event] = asyncio.Queue()
        with self._lock:
            self._next += 1
            token = self._next
            self._subs[token] = (job_id, asyncio.get_running_loop(), q)
        return token, q

    def stop(self, token: int) -> None:
        with self._lock:
            self._subs.pop(token, None)

    def close(self) -> None:
        self._unsubscribe()
