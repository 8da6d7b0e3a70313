"""Progress events the runner emits; the CLI renders them, the web app streams them.

Pure data and an in-memory fan-out, so every layer (pipeline emits, shells listen) can share it.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class Event:
    job_id: str
    kind: str  # "job" (job status), "action" (action status), "export", "log"
    status: str
    action_index: int | None = None
    action_id: str | None = None
    message: str | None = None
    code: str | None = None  # a failure's stable code (domain.errors) beside its English message
    at: float = field(default_factory=time.time)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


Listener = Callable[[Event], None]


class EventBus:
    """Fan-out of events to listeners; a failing listener never breaks the pipeline."""

    def __init__(self) -> None:
        self._listeners: list[Listener] = []
        self._lock = threading.Lock()

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        with self._lock:
            self._listeners.append(listener)

        def unsubscribe() -> None:
            with self._lock:
                if listener in self._listeners:
                    self._listeners.remove(listener)

        return unsubscribe

    def emit(self, event: Event) -> None:
        with self._lock:
            listeners = list(self._listeners)
        for listener in listeners:
            with contextlib.suppress(Exception):  # a broken display must not stop the work
                listener(event)
