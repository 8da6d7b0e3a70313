"""The Celery app of the distributed mode, built from one Settings object (no import-time app).

Delivery is at least once: tasks are acknowledged after they finish (`acks_late`), requeued when
their worker process dies (`reject_on_worker_lost`), each worker takes one task at a time
(prefetch 1), and a task a dead worker had taken comes back after the broker's visibility
timeout. Running a task twice is safe: every task is idempotent (see `popcon.queue.tasks`).

`celery -A popcon.queue.celery_app worker` also works: the module's `app` is made on first use
from the `POPCON_*` environment.
"""

from __future__ import annotations

from typing import Any

from celery import Celery

from popcon.settings import Settings

QUEUE = "popcon"


def make_celery(settings: Settings) -> Celery:
    app = Celery("popcon", broker=settings.redis_url, set_as_current=False)
    visibility = settings.celery_visibility_timeout
    app.conf.update(
        task_serializer="json",
        accept_content=["json"],
        result_serializer="json",
        task_ignore_result=True,  # results live in the job store; the broker only carries ids
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        task_acks_on_failure_or_timeout=True,
        worker_prefetch_multiplier=1,
        task_default_queue=QUEUE,
        broker_connection_retry_on_startup=True,
        broker_transport_options={
            "visibility_timeout": visibility,
            # Look for tasks of dead workers often enough that the visibility timeout is what counts.
            "unacked_restore_interval": max(1, min(10, int(visibility / 4))),
            "unacked_restore_throttle": 1,
        },
        worker_hijack_root_logger=False,
        worker_send_task_events=False,
        enable_utc=True,
    )
    app.popcon_settings = settings
    from popcon.queue import tasks

    tasks.register(app)
    return app


_default: Celery | None = None


def __getattr__(name: str) -> Any:
    """`app` for `celery -A popcon.queue.celery_app`, made from the environment only when asked for."""
    global _default
    if name in ("app", "celery"):
        if _default is None:
            _default = make_celery(Settings())
        return _default
    raise AttributeError(name)
