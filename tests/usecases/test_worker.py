"""`popcon worker`: the schema is made before Celery takes over, and Celery's own arguments pass through."""

from __future__ import annotations

import click
import pytest

from popcon.settings import Settings
from popcon.store.db import JobStore
from popcon.usecases.worker import run_worker


def test_the_worker_makes_the_schema_then_hands_argv_to_celery(
    settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    assert not settings.data_dir.exists()
    run_worker(settings, ["worker", "--help"])  # Celery prints its help and returns: no broker is needed
    assert "--concurrency" in capsys.readouterr().out
    store = JobStore(settings.db_url)  # a fresh folder got every table before any task could run
    try:
        assert store.list_jobs() == []
    finally:
        store.close()
    with pytest.raises(click.NoSuchOption):  # argv is Celery's own: an unknown option is its error
        run_worker(settings, ["worker", "--no-such-option"])
