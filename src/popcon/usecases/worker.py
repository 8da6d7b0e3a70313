"""Run a Celery worker of the distributed mode (`popcon worker`)."""

from __future__ import annotations

from popcon.settings import Settings


def run_worker(settings: Settings, argv: list[str]) -> None:
    """Create or migrate the schema once, then serve the popcon queue with Celery's own `argv`."""
    from popcon.queue.celery_app import QUEUE, make_celery
    from popcon.store.db import JobStore

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    JobStore(settings.db_url).close()  # before any task runs
    make_celery(settings).worker_main([*argv, f"--queues={QUEUE}"])
