"""A runner killed (SIGKILL, a real process) in every window of a paid video task pays once.

The stand-in server stops the request of each window part-way (`FakeCloud.gate`) so that the kill
lands exactly there: before the create arrives, with the task made but its answer held, right
after the task id was saved, between polls, and half-way through the download. A fresh runner
then resumes the job; the service must have made exactly one task and the job must complete.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from popcon.domain.actions import resolve_actions
from popcon.domain.models import JobOptions
from popcon.domain.status import JobStatus
from popcon.queue.embedded import EmbeddedRunner
from popcon.store.db import JobStore
from popcon.store.files import JobFiles

from ...conftest import SAMPLES
from .conftest import DASH_KEY

_CHILD = """
import sys
from popcon.queue.embedded import EmbeddedRunner
from popcon.settings import Settings
from popcon.store.db import JobStore

settings = Settings()
EmbeddedRunner(settings, JobStore(settings.db_url)).run_job(sys.argv[1])
"""

# window -> (what the server does, the ledger state expected at the kill, tasks made by then)
WINDOWS = {
    "before-the-post": ("create-before", "sending", 0),
    "during-the-post": ("create-after", "sending", 1),
    "after-the-task-id": ("poll", "created", 1),
    "during-polling": ("polling", "created", 1),
    "during-the-download": ("download", "created", 1),
}


@pytest.fixture
def cloud_store(cloud_settings):
    cloud_settings.data_dir.mkdir(parents=True, exist_ok=True)
    s = JobStore(cloud_settings.db_url)
    yield s
    s.close()


def _job(settings, store):
    job = store.create_job(
        source="upload", actions=resolve_actions(["wave"]), platforms=["line-emoji"], options=JobOptions()
    )
    files = JobFiles(settings.data_dir, job.id)
    name = files.save_input("fox.png", (SAMPLES / "fox.png").read_bytes()).name
    store.update_job(job.id, options=JobOptions(upload=name))
    return job


def _child_env(settings, cloud) -> dict[str, str]:
    return {
        **os.environ,
        "PYTHONPATH": str(Path(__file__).resolve().parents[3] / "src"),
        "POPCON_DATA_DIR": str(settings.data_dir),
        "POPCON_VIDEO_PROVIDER": "dashscope",
        "DASHSCOPE_API_KEY": DASH_KEY,
        "POPCON_DASHSCOPE_BASE_URL": cloud.url,
        "POPCON_DASHSCOPE_REGION": "beijing",
        "POPCON_DASHSCOPE_LOOKUP_SETTLE": "0",
        "POPCON_POLL_INTERVAL": "0.05",
        "POPCON_POLL_INTERVAL_MAX": "0.1",
        "POPCON_HTTP_TIMEOUT": "60",
        "POPCON_CLIP_SIZE": "256",
    }


def _reached(window: str, cloud) -> bool:
    if window == "during-polling":
        polls = [p for p in cloud.paths("GET") if p == "/api/v1/tasks/task-1"]
        return len(polls) >= 3  # PENDING, RUNNING, RUNNING: well inside the polling loop
    return cloud.gated.is_set()


@pytest.mark.parametrize("window", list(WINDOWS))
def test_a_runner_killed_in_any_window_pays_once(window, cloud, cloud_settings, cloud_store):
    gate, state, made = WINDOWS[window]
    settings = cloud_settings.model_copy(update={"video_provider": "dashscope"})
    job = _job(settings, cloud_store)
    if gate == "polling":
        cloud.polls_before_done = 10**6
    else:
        cloud.gate = gate
    child = subprocess.Popen([sys.executable, "-c", _CHILD, job.id], env=_child_env(settings, cloud))
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and child.poll() is None and not _reached(window, cloud):
            time.sleep(0.05)
        assert child.poll() is None, "the child runner ended before the window"
        assert _reached(window, cloud), f"the child never reached the window {window}"
        record = cloud_store.get_action(job.id, 0).provider_task
        assert record is not None and record.state == state, record  # saved before that step
        assert len(cloud.created) == made
        if window == "during-the-download":
            assert record.billed is True and record.task_id == "task-1"
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(30)
    cloud.gate = None
    cloud.polls_before_done = 0
    cloud.release.set()  # the held request goes on into the dead child's closed socket

    runner = EmbeddedRunner(settings, cloud_store)
    done = runner.run_job(job.id)  # the dead runner's lease is taken over at once
    runner.close()
    assert done.status == JobStatus.COMPLETED, (done.error, [a.error for a in done.actions])
    assert cloud.created == ["task-1"], cloud.created  # exactly one task, whatever the window
    assert len(done.usage) == 1 and done.usage[0].quantity == 5.0  # and it is counted once
    task = done.actions[0].provider_task
    assert task is not None and task.task_id == "task-1"
