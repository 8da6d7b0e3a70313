"""End to end: the real runner, store and stages with the DashScope client against the local server."""

from __future__ import annotations

import dataclasses
import json
import logging
import time

import pytest

from popcon.domain.actions import resolve_actions
from popcon.domain.models import JobOptions
from popcon.domain.status import ActionStatus, JobStatus
from popcon.providers.registry import image_provider, video_provider
from popcon.queue.embedded import EmbeddedRunner
from popcon.store.db import JobStore
from popcon.store.files import JobFiles, frame_paths

from ...conftest import SAMPLES
from .conftest import DASH_KEY, GEMINI_KEY


@pytest.fixture
def cloud_store(cloud_settings):
    cloud_settings.data_dir.mkdir(parents=True, exist_ok=True)
    s = JobStore(cloud_settings.db_url)
    yield s
    s.close()


def _job(settings, store, actions, **kw):
    job = store.create_job(
        source="upload",
        actions=resolve_actions(actions),
        platforms=["line-emoji"],
        options=JobOptions(),
        **kw,
    )
    files = JobFiles(settings.data_dir, job.id)
    name = files.save_input("fox.png", (SAMPLES / "fox.png").read_bytes()).name
    store.update_job(job.id, options=JobOptions(upload=name))
    return job


def _assert_no_secret(job, caplog) -> None:
    record = json.dumps(dataclasses.asdict(job), default=str)
    for secret in (DASH_KEY, GEMINI_KEY):
        assert secret not in record
        assert secret not in caplog.text


def test_a_cloud_video_job_reaches_refinement_with_the_servers_frames(
    cloud, cloud_settings, cloud_store, caplog
):
    caplog.set_level(logging.DEBUG)
    settings = cloud_settings.model_copy(update={"video_provider": "dashscope"})
    job = _job(settings, cloud_store, ["wave"], auto_export=False)
    runner = EmbeddedRunner(settings, cloud_store)
    assert runner.video.name == "dashscope"
    done = runner.run_job(job.id)
    runner.close()
    assert done.status == JobStatus.AWAITING_REFINEMENT, done.error
    (action,) = done.actions
    assert action.status == ActionStatus.DONE
    files = JobFiles(settings.data_dir, job.id)
    assert files.clip(action.index, action.action_id).read_bytes() == cloud.video
    assert len(frame_paths(files.frames_dir(action.index, action.action_id))) == action.frame_count > 0
    assert len(frame_paths(files.cutouts_dir(action.index, action.action_id))) == action.frame_count
    (usage,) = done.usage
    assert usage.provider == "dashscope" and usage.unit == "second" and usage.quantity == 5.0
    assert usage.action == "wave" and done.cost == {"CNY": pytest.approx(0.5)}
    _assert_no_secret(done, caplog)


def test_a_failed_task_fails_only_its_action(cloud, cloud_settings, cloud_store, caplog):
    caplog.set_level(logging.DEBUG)
    cry = resolve_actions(["cry"])[0]
    cloud.fail_prompts = (cry.motion_prompt.strip()[:60],)
    settings = cloud_settings.model_copy(update={"video_provider": "dashscope"})
    job = _job(settings, cloud_store, ["wave", "cry"], auto_export=False)
    runner = EmbeddedRunner(settings, cloud_store)
    done = runner.run_job(job.id)
    runner.close()
    assert done.status == JobStatus.AWAITING_REFINEMENT, done.error
    by_id = {a.action_id: a for a in done.actions}
    assert by_id["wave"].status == ActionStatus.DONE
    assert by_id["cry"].status == ActionStatus.FAILED
    assert "FAILED" in by_id["cry"].error and "InternalError.Algo" in by_id["cry"].error
    cry_tasks = [t for t in cloud.tasks.values() if cloud.fail_prompts[0] in t["prompt"]]
    assert len(cry_tasks) == 1  # a task failure is not retried by the runner
    _assert_no_secret(done, caplog)
    for a in done.actions:
        assert DASH_KEY not in (a.error or "")


def test_a_wrong_key_fails_the_actions_with_a_clear_message(cloud, cloud_settings, cloud_store, caplog):
    caplog.set_level(logging.DEBUG)
    settings = cloud_settings.model_copy(
        update={
            "video_provider": "dashscope",
            "dashscope_api_key": type(cloud_settings.dashscope_api_key)("sk-leak-me-not"),
        }
    )
    job = _job(settings, cloud_store, ["wave"], auto_export=False)
    runner = EmbeddedRunner(settings, cloud_store)
    done = runner.run_job(job.id)
    runner.close()
    assert done.status == JobStatus.FAILED
    assert "InvalidApiKey" in done.actions[0].error and "sk-leak-me-not" not in done.actions[0].error
    assert "sk-leak-me-not" not in json.dumps(dataclasses.asdict(done), default=str)
    assert "sk-leak-me-not" not in caplog.text


def test_cloud_images_and_video_make_a_complete_set(cloud, cloud_settings, cloud_store, caplog):
    """A prompt job through Gemini (character and poses) and Wan (clips), exported for LINE."""
    caplog.set_level(logging.DEBUG)
    settings = cloud_settings.model_copy(update={"video_provider": "dashscope", "image_provider": "gemini"})
    job = cloud_store.create_job(
        source="prompt", prompt="a red fox", actions=resolve_actions(["wave"]), platforms=["line-emoji"]
    )
    runner = EmbeddedRunner(
        settings, cloud_store, images=image_provider(settings), video=video_provider(settings)
    )
    done = runner.run_job(job.id)
    runner.close()
    assert done.status == JobStatus.COMPLETED, (done.error, [a.error for a in done.actions])
    units = sorted((u.provider, u.unit) for u in done.usage)
    assert units == [("dashscope", "second"), ("gemini", "image"), ("gemini", "image")], done.usage
    assert done.cost == {"CNY": pytest.approx(0.5), "USD": pytest.approx(0.134)}
    _assert_no_secret(done, caplog)


def test_canceling_the_job_cancels_the_pending_cloud_task(cloud, cloud_settings, cloud_store):
    cloud.hold = True  # the task stays PENDING until canceled
    settings = cloud_settings.model_copy(update={"video_provider": "dashscope"})
    job = _job(settings, cloud_store, ["wave"])
    runner = EmbeddedRunner(settings, cloud_store)
    future = runner.submit(job.id)
    deadline = time.monotonic() + 30
    while not cloud.tasks and time.monotonic() < deadline:
        time.sleep(0.02)
    assert cloud.tasks, "no task was created"
    runner.cancel(job.id)
    done = future.result(timeout=15)
    runner.close()
    assert done.status == JobStatus.CANCELED
    assert done.actions[0].status == ActionStatus.CANCELED
    assert cloud.canceled == ["task-1"]


# ---- never bill twice: retries, resumes and crashes reuse the task they created -------------------
def test_a_download_failure_is_retried_without_a_new_task(cloud, cloud_settings, cloud_store):
    """Before: the runner's retry of the clip step created a new billed task each time (up to 3)."""
    settings = cloud_settings.model_copy(update={"video_provider": "dashscope"})
    cloud.downloads += ["drop"] * (settings.http_retries + 1) * 2  # two whole tries fail
    job = _job(settings, cloud_store, ["wave"], auto_export=False)
    runner = EmbeddedRunner(settings, cloud_store)
    done = runner.run_job(job.id)
    runner.close()
    assert done.status == JobStatus.AWAITING_REFINEMENT, [a.error for a in done.actions]
    assert cloud.billed_creates() == 1
    assert len(done.usage) == 1  # and the job's cost counts it once
    task = done.actions[0].provider_task
    assert task is not None and task.task_id == "task-1"


def test_a_timed_out_task_is_picked_up_again_by_resume(cloud, cloud_settings, cloud_store):
    settings = cloud_settings.model_copy(update={"video_provider": "dashscope", "task_timeout": 0.3})
    cloud.polls_before_done = 10**6
    job = _job(settings, cloud_store, ["wave"], auto_export=False)
    runner = EmbeddedRunner(settings, cloud_store)
    failed = runner.run_job(job.id)
    assert failed.status == JobStatus.FAILED and "resuming the job polls it again" in failed.actions[0].error
    cloud.polls_before_done = 0
    done = runner.run_job(job.id, resume=True)
    runner.close()
    assert done.status == JobStatus.AWAITING_REFINEMENT, [a.error for a in done.actions]
    assert cloud.billed_creates() == 1 and len(done.usage) == 1


# A runner killed by SIGKILL in each window of a paid task: test_kill.py.


def test_retries_at_two_levels_never_stack_on_a_paid_image(cloud, cloud_settings, cloud_store):
    """A Gemini answer lost after it may have been billed (HTTP 500) is sent neither by the HTTP
    helper's retries nor by the runner's; the user's resume sends it once and the job completes."""
    settings = cloud_settings.model_copy(
        update={"video_provider": "dashscope", "image_provider": "gemini", "max_retries": 3}
    )
    cloud.gemini_replies.append((500, {"error": {"code": 500, "status": "INTERNAL", "message": "x"}}))
    job = cloud_store.create_job(
        source="prompt", prompt="a red fox", actions=resolve_actions(["wave"]), platforms=["line-emoji"]
    )
    runner = EmbeddedRunner(
        settings, cloud_store, images=image_provider(settings), video=video_provider(settings)
    )
    failed = runner.run_job(job.id)
    generate = [p for p in cloud.paths("POST") if p.endswith(":generateContent")]
    assert failed.status == JobStatus.FAILED and len(generate) == 1, failed.error
    assert "not sent again" in (failed.error or "")
    done = runner.run_job(job.id, resume=True)
    runner.close()
    assert done.status == JobStatus.COMPLETED, (done.error, [a.error for a in done.actions])
    generate = [p for p in cloud.paths("POST") if p.endswith(":generateContent")]
    assert len(generate) == 3  # the character once more (the user resumed), then the one pose
    assert cloud.billed_creates() == 1
