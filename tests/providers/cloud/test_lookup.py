"""Lost creates: the task list is searched for the task an unanswered create made, and adopted.

A 500, a 504, a timeout or an unreadable answer does not prove that nothing was made; the
account's task list (narrowed by model and time, matched on the task's `orig_prompt`) does.
Image calls keep their answer and result in the paid-call ledger.
"""

from __future__ import annotations

import hashlib
import time
from pathlib import Path

import pytest

from popcon.domain.actions import load_presets
from popcon.domain.errors import TransientError
from popcon.providers.base import ClipRequest, MemoryLedger, Usage
from popcon.providers.cloud.dashscope import DashScopeImageProvider, DashScopeVideoProvider
from popcon.providers.cloud.http import UnconfirmedRequest

WAVE = load_presets()["wave"]
CREATE = "/api/v1/services/aigc/video-generation/video-synthesis"
T2I = "/api/v1/services/aigc/text2image/image-synthesis"
EDIT = "/api/v1/services/aigc/multimodal-generation/generation"


def _animate(settings, fox, key, out: Path) -> tuple[Path, list[Usage]]:
    usage: list[Usage] = []
    provider = DashScopeVideoProvider(settings)
    try:
        return provider.animate(ClipRequest(fox, WAVE, key, out, on_usage=usage.append)), usage
    finally:
        provider.client.close()


def _try(settings, fox, key, out: Path, ledger: MemoryLedger, usage: list[Usage]) -> Path:
    provider = DashScopeVideoProvider(settings)
    try:
        return provider.animate(ClipRequest(fox, WAVE, key, out, on_usage=usage.append, ledger=ledger))
    finally:
        provider.client.close()


def test_a_malformed_create_answer_is_looked_up_not_sent_again(cloud, cloud_settings, fox, fox_key, tmp_path):
    """A 200 whose body is unreadable carries a created (billed) task: it is found and adopted."""
    cloud.garbled_creates.append((200, "{not json"))
    path, usage = _animate(cloud_settings, fox, fox_key, tmp_path / "a.mp4")
    assert path.read_bytes() == cloud.video and len(usage) == 1
    assert cloud.paths("POST").count(CREATE) == 1 and cloud.created == ["task-1"]
    assert any(p.startswith("/api/v1/tasks?") for p in cloud.paths("GET"))  # the task list was asked


def test_an_unanswered_create_that_made_nothing_is_sent_again(cloud, cloud_settings, fox, fox_key, tmp_path):
    """A 500 / 504 does not prove that nothing was made; the task list does."""
    cloud.create_errors += [(500, {"code": "InternalError", "message": "oops"})]
    cloud.create_errors += [(504, {"code": "GatewayTimeout", "message": "upstream timed out"})]
    path, _ = _animate(cloud_settings, fox, fox_key, tmp_path / "a.mp4")
    assert path.is_file() and cloud.paths("POST").count(CREATE) == 3 and cloud.billed_creates() == 1
    lists = [p for p in cloud.paths("GET") if p.startswith("/api/v1/tasks?")]
    assert len(lists) == 2  # one look-up after each unanswered create, before the next create


def test_a_create_whose_answer_is_lost_is_found_and_adopted(cloud, cloud_settings, fox, fox_key, tmp_path):
    cloud.create_delay = 1.5  # the task is created, the answer comes after our timeout
    slow = cloud_settings.model_copy(update={"http_timeout": 0.5})
    ledger, usage = MemoryLedger(), []
    path = _try(slow, fox, fox_key, tmp_path / "a.mp4", ledger, usage)
    assert path.read_bytes() == cloud.video and len(usage) == 1
    assert cloud.paths("POST").count(CREATE) == 1 and cloud.created == ["task-1"]
    record = ledger.load()
    assert record["task_id"] == "task-1" and record["adopted"] is True and record["billed"] is True


def test_a_task_of_another_request_is_never_adopted(cloud, cloud_settings, fox, fox_key, tmp_path):
    """Two unanswered creates of the same model at once: each action takes the task of its prompt."""
    other = load_presets()["jump"]
    provider = DashScopeVideoProvider(cloud_settings)
    body = provider.request_body(fox, other, fox_key)
    cloud.garbled_creates.append((200, "{not json"))
    with pytest.raises(UnconfirmedRequest):
        provider.client.create_task(CREATE, body, lambda: None, "jump clip")
    provider.client.close()  # task-1: the jump clip of another action, made a moment before ours
    cloud.garbled_creates.append((200, "{not json"))
    ledger, usage = MemoryLedger(), []
    _try(cloud_settings, fox, fox_key, tmp_path / "a.mp4", ledger, usage)
    assert ledger.load()["task_id"] == "task-2" and cloud.created == ["task-1", "task-2"]


def test_a_lost_create_found_by_a_later_try(cloud, cloud_settings, fox, fox_key, tmp_path):
    """The process died with the create out (only the intent was saved): the next try adopts."""
    provider = DashScopeVideoProvider(cloud_settings)
    body = provider.request_body(fox, WAVE, fox_key)
    intent = {
        "provider": "dashscope",
        "state": "sending",
        "model": provider.model,
        "request": provider.params.fingerprint(),
        "prompt_sha": hashlib.sha256(body["input"]["prompt"].encode()).hexdigest(),
        "sent_at": time.time(),
    }
    provider.client.http.request_json("POST", CREATE, body=body, headers={"X-DashScope-Async": "enable"})
    provider.client.close()
    ledger, usage = MemoryLedger(intent), []
    _try(cloud_settings, fox, fox_key, tmp_path / "a.mp4", ledger, usage)
    assert cloud.created == ["task-1"] and ledger.load()["adopted"] is True and len(usage) == 1


def test_a_refused_create_is_still_retried(cloud, cloud_settings, fox, fox_key, tmp_path):
    """503 / 429 say the service did not take the request: sending it again cannot bill twice."""
    cloud.create_errors += [(503, {"code": "ServiceUnavailable", "message": "busy"})]
    _animate(cloud_settings, fox, fox_key, tmp_path / "a.mp4")
    assert cloud.paths("POST").count(CREATE) == 2 and cloud.billed_creates() == 1


# ---- images: Wan text-to-image (a task) and Qwen edit (synchronous) ----------------------------------
def test_a_lost_text_to_image_create_is_adopted_and_its_image_kept(cloud, cloud_settings, fox_key):
    cloud.garbled_creates.append((200, "{not json"))
    usage: list[Usage] = []
    first = DashScopeImageProvider(cloud_settings).character("a red fox", None, fox_key, usage.append)
    assert cloud.created == ["task-1"] and cloud.paths("POST").count(T2I) == 1 and len(usage) == 1
    again = DashScopeImageProvider(cloud_settings).character("a red fox", None, fox_key, usage.append)
    assert cloud.paths("POST").count(T2I) == 1 and len(usage) == 1  # the same request is not paid again
    assert first.tobytes() == again.tobytes()


def test_an_edit_whose_download_failed_is_downloaded_again_not_paid_again(
    cloud, cloud_settings, fox, fox_key
):
    cloud.downloads += ["drop"] * (cloud_settings.http_retries + 1)
    usage: list[Usage] = []
    with pytest.raises(TransientError):
        DashScopeImageProvider(cloud_settings).start_pose(fox, WAVE, fox_key, usage.append)
    pose = DashScopeImageProvider(cloud_settings).start_pose(fox, WAVE, fox_key, usage.append)
    assert pose.size == (512, 512) and cloud.paths("POST").count(EDIT) == 1 and len(usage) == 1


def test_an_edit_answered_500_is_not_sent_again_until_the_user_resumes(cloud, cloud_settings, fox, fox_key):
    cloud.edit_errors.append((500, {"code": "InternalError", "message": "oops"}))
    provider = DashScopeImageProvider(cloud_settings)
    with pytest.raises(UnconfirmedRequest, match="not sent again"):
        provider.start_pose(fox, WAVE, fox_key)
    assert cloud.paths("POST").count(EDIT) == 1  # no HTTP retry of a possibly billed call
    assert provider.start_pose(fox, WAVE, fox_key).size == (512, 512)
    assert cloud.paths("POST").count(EDIT) == 2
