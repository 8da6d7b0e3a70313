"""The DashScope Wan clients against the local protocol server: success, slow tasks and every failure."""

from __future__ import annotations

import base64
import io
import threading
import time
from pathlib import Path

import pytest
from PIL import Image

from popcon.domain.actions import load_presets
from popcon.domain.errors import Canceled, InvalidInput, TransientError
from popcon.media.video import probe
from popcon.providers.base import ClipRequest, MemoryLedger, Usage
from popcon.providers.cloud.dashscope import DashScopeImageProvider, DashScopeVideoProvider
from popcon.providers.cloud.http import (
    AuthError,
    ModerationError,
    ProviderError,
    TaskFailed,
    TaskTimedOut,
)

from .conftest import DASH_KEY

WAVE = load_presets()["wave"]
CREATE = "/api/v1/services/aigc/video-generation/video-synthesis"


def _animate(settings, fox, key, out: Path, **kw) -> tuple[Path, list[Usage]]:
    usage: list[Usage] = []
    provider = DashScopeVideoProvider(settings)
    try:
        path = provider.animate(ClipRequest(fox, WAVE, key, out, on_usage=usage.append, **kw))
    finally:
        provider.client.close()
    return path, usage


def _decode_data_uri(uri: str) -> Image.Image:
    assert uri.startswith("data:image/png;base64,")
    return Image.open(io.BytesIO(base64.b64decode(uri.split(",", 1)[1])))


def test_a_slow_task_succeeds_and_the_clip_is_downloaded(cloud, cloud_settings, fox, fox_key, tmp_path):
    out = tmp_path / "clips" / "wave.mp4"
    path, usage = _animate(cloud_settings, fox, fox_key, out)
    assert path == out and out.read_bytes() == cloud.video
    assert probe(out).width > 0
    assert not list(out.parent.glob("*.part"))
    assert usage == [Usage("dashscope", "wan2.2-i2v-flash", "second", 5.0, 0.5, "CNY")]

    create = next(r for r in cloud.requests if r.path == CREATE)
    assert create.headers["X-DashScope-Async"] == "enable"
    assert create.headers["Authorization"] == f"Bearer {DASH_KEY}"
    body = create.body
    assert body["model"] == "wan2.2-i2v-flash"
    assert body["parameters"]["resolution"] == "480P" and body["parameters"]["prompt_extend"] is False
    assert body["parameters"]["watermark"] is False and isinstance(body["parameters"]["seed"], int)
    assert len(body["input"]["prompt"]) <= 800 and len(body["input"]["negative_prompt"]) <= 500
    assert "checkerboard" in body["input"]["negative_prompt"]
    sent = _decode_data_uri(body["input"]["img_url"])
    assert sent.mode == "RGB" and sent.width == sent.height and 360 <= sent.width <= 2000
    assert sent.getpixel((2, 2)) == fox_key  # composited on the flat key colour
    polls = [p for p in cloud.paths("GET") if p.startswith("/api/v1/tasks/")]
    assert len(polls) == 3  # PENDING, RUNNING, SUCCEEDED
    download = next(r for r in cloud.requests if r.path.startswith("/files/"))
    assert "Authorization" not in download.headers  # the key never goes to the storage host


def test_billed_seconds_come_from_the_service_else_are_estimated(
    cloud, cloud_settings, fox, fox_key, tmp_path
):
    cloud.video_duration = 3.0
    _, usage = _animate(cloud_settings, fox, fox_key, tmp_path / "a.mp4")
    assert usage[0].quantity == 3.0 and usage[0].cost == pytest.approx(0.3) and not usage[0].estimated
    cloud.video_duration = None
    _, usage = _animate(cloud_settings, fox, fox_key, tmp_path / "b.mp4")
    assert usage[0].quantity == 5.0 and usage[0].estimated


def test_throttling_is_retried_then_succeeds(cloud, cloud_settings, fox, fox_key, tmp_path):
    throttled = (429, {"code": "Throttling.RateQuota", "message": "Requests rate limit exceeded"})
    cloud.create_errors += [throttled, throttled]
    path, _ = _animate(cloud_settings, fox, fox_key, tmp_path / "a.mp4")
    assert path.is_file()
    assert cloud.paths("POST").count(CREATE) == 3


def test_server_errors_give_up_as_transient_after_the_bound(cloud, cloud_settings, fox, fox_key, tmp_path):
    """Each 500 is followed by a task list look-up (none made): bounded, then transient."""
    cloud.create_errors += [(500, {"code": "InternalError", "message": "oops"})] * 10
    with pytest.raises(TransientError) as e:
        _animate(cloud_settings, fox, fox_key, tmp_path / "a.mp4")
    assert "InternalError" in str(e.value) and DASH_KEY not in str(e.value)
    assert cloud.paths("POST").count(CREATE) == cloud_settings.http_retries + 1
    assert not (tmp_path / "a.mp4").exists()


@pytest.mark.parametrize(
    ("status", "code", "error"),
    [
        (400, "DataInspectionFailed", ModerationError),
        (400, "InvalidParameter", ProviderError),
        (400, "Arrearage", ProviderError),
        (403, "AccessDenied", AuthError),
    ],
)
def test_refusals_are_not_retried(cloud, cloud_settings, fox, fox_key, tmp_path, status, code, error):
    cloud.create_errors.append((status, {"code": code, "message": f"{code} happened", "request_id": "x"}))
    with pytest.raises(error) as e:
        _animate(cloud_settings, fox, fox_key, tmp_path / "a.mp4")
    assert code in str(e.value) and not isinstance(e.value, TransientError)
    assert cloud.paths("POST").count(CREATE) == 1


def test_a_wrong_key_is_a_clear_error_without_the_key(cloud, cloud_settings, fox, fox_key, tmp_path):
    bad = cloud_settings.model_copy(
        update={"dashscope_api_key": type(cloud_settings.dashscope_api_key)("sk-wrong-key-123")}
    )
    with pytest.raises(AuthError) as e:
        _animate(bad, fox, fox_key, tmp_path / "a.mp4")
    assert "InvalidApiKey" in str(e.value) and "sk-wrong-key-123" not in str(e.value)
    assert "API key" in str(e.value)
    assert len(cloud.requests) == 1


def test_no_key_is_refused_before_any_request(cloud, cloud_settings):
    with pytest.raises(InvalidInput, match="DASHSCOPE_API_KEY"):
        DashScopeVideoProvider(cloud_settings.model_copy(update={"dashscope_api_key": None}))
    assert cloud.requests == []


@pytest.mark.parametrize("final", ["FAILED", "CANCELED", "UNKNOWN"])
def test_a_task_that_does_not_succeed_fails(cloud, cloud_settings, fox, fox_key, tmp_path, final):
    cloud.final_status = final
    with pytest.raises(TaskFailed) as e:
        _animate(cloud_settings, fox, fox_key, tmp_path / "a.mp4")
    if final == "FAILED":
        assert "InternalError.Algo" in str(e.value)
    assert not (tmp_path / "a.mp4").exists()


@pytest.mark.parametrize("mode", ["404", "403"])
def test_an_expired_result_link_is_polled_again_for_a_fresh_one(
    cloud, cloud_settings, fox, fox_key, tmp_path, mode
):
    """A link that answers 403 / 404 while its task is young: the task is polled again (fresh link)."""
    cloud.downloads.append(mode)
    path, usage = _animate(cloud_settings, fox, fox_key, tmp_path / "a.mp4")
    assert path.read_bytes() == cloud.video and len(usage) == 1
    assert cloud.billed_creates() == 1 and cloud.paths("POST").count(CREATE) == 1


def test_a_link_that_stays_gone_keeps_the_task(cloud, cloud_settings, fox, fox_key, tmp_path):
    cloud.downloads += ["404"] * 10
    ledger, usage = MemoryLedger(), []
    with pytest.raises(ProviderError, match="kept") as e:
        _try(cloud_settings, fox, fox_key, tmp_path / "a.mp4", ledger, usage)
    assert not isinstance(e.value, TransientError)
    assert "Signature" not in str(e.value)  # the signed query string is never shown
    assert not (tmp_path / "a.mp4").exists()
    assert ledger.load()["task_id"] == "task-1"  # not forgotten: the next try downloads it again
    cloud.downloads.clear()
    _try(cloud_settings, fox, fox_key, tmp_path / "a.mp4", ledger, usage)
    assert cloud.billed_creates() == 1 and len(usage) == 1


def test_a_malformed_poll_answer_is_retried(cloud, cloud_settings, fox, fox_key, tmp_path):
    cloud.poll_errors.append((200, "<html>gateway</html>"))
    path, _ = _animate(cloud_settings, fox, fox_key, tmp_path / "a.mp4")
    assert path.is_file()


def test_poll_errors_do_not_lose_the_running_task(cloud, cloud_settings, fox, fox_key, tmp_path):
    cloud.poll_errors += [(503, {"code": "ServiceUnavailable", "message": "busy"})] * 6
    path, _ = _animate(cloud_settings, fox, fox_key, tmp_path / "a.mp4")
    assert path.is_file() and cloud.paths("POST").count(CREATE) == 1


def test_a_dropped_download_is_retried_and_never_left_half(cloud, cloud_settings, fox, fox_key, tmp_path):
    cloud.downloads.append("drop")
    out = tmp_path / "a.mp4"
    path, usage = _animate(cloud_settings, fox, fox_key, out)
    assert path.read_bytes() == cloud.video and len(usage) == 1
    assert len([p for p in cloud.paths("GET") if p.startswith("/files/")]) == 2


def test_a_download_that_always_drops_leaves_nothing(cloud, cloud_settings, fox, fox_key, tmp_path):
    cloud.downloads += ["drop"] * 10
    out = tmp_path / "a.mp4"
    with pytest.raises(TransientError, match=r"broke off|stopped"):
        _animate(cloud_settings, fox, fox_key, out)
    assert list(tmp_path.iterdir()) == []


def test_cancel_while_pending_cancels_the_task(cloud, cloud_settings, fox, fox_key, tmp_path):
    cloud.hold = True
    calls = [0]

    def check_cancel() -> None:
        calls[0] += 1
        if calls[0] > 5:
            raise Canceled("job canceled")

    with pytest.raises(Canceled):
        _animate(cloud_settings, fox, fox_key, tmp_path / "a.mp4", check_cancel=check_cancel)
    assert cloud.canceled == ["task-1"]
    assert any(p.endswith("/task-1/cancel") for p in cloud.paths("POST"))
    assert not (tmp_path / "a.mp4").exists()


def test_a_task_that_never_ends_is_bounded(cloud, cloud_settings, fox, fox_key, tmp_path):
    cloud.hold = True
    quick = cloud_settings.model_copy(update={"task_timeout": 0.2})
    with pytest.raises(TaskFailed, match="did not start"):
        _animate(quick, fox, fox_key, tmp_path / "a.mp4")
    assert cloud.canceled == ["task-1"]  # a task that never started is not left to bill later


def test_at_most_two_video_tasks_run_at_once(cloud, cloud_settings, fox, fox_key, tmp_path):
    cloud.polls_before_done = 4
    errors: list[BaseException] = []

    def one(i: int) -> None:
        # separate provider objects, as separate jobs would have: the limit is per process
        try:
            _animate(cloud_settings, fox, fox_key, tmp_path / f"{i}.mp4")
        except BaseException as e:
            errors.append(e)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert errors == []
    assert cloud.max_active == 2
    assert len(list(tmp_path.glob("*.mp4"))) == 5


def test_first_and_last_frame_model_sends_both_frames(cloud, cloud_settings, fox, fox_key, tmp_path):
    kf = cloud_settings.model_copy(update={"dashscope_video_model": "wan2.2-kf2v-flash"})
    path, usage = _animate(kf, fox, fox_key, tmp_path / "a.mp4")
    assert path.is_file() and usage[0].cost == pytest.approx(0.5)  # 5 s at the Beijing 480P rate
    create = next(r for r in cloud.requests if r.path.endswith("/image2video/video-synthesis"))
    assert create.body["input"]["first_frame_url"] == create.body["input"]["last_frame_url"]


def test_wan26_sends_duration_and_silence(cloud, cloud_settings, fox, fox_key, tmp_path):
    s = cloud_settings.model_copy(
        update={
            "dashscope_video_model": "wan2.6-i2v-flash",
            "dashscope_duration": 3,
            "dashscope_resolution": "720P",
        }
    )
    _animate(s, fox, fox_key, tmp_path / "a.mp4")
    params = next(r for r in cloud.requests if r.path == CREATE).body["parameters"]
    assert params["duration"] == 3 and params["audio"] is False and params["resolution"] == "720P"


# ---- images ------------------------------------------------------------------------------
def test_character_from_a_prompt_uses_text_to_image(cloud, cloud_settings, fox_key):
    usage: list[Usage] = []
    provider = DashScopeImageProvider(cloud_settings)
    im = provider.character("a red fox", None, fox_key, usage.append)
    assert im.mode == "RGB" and im.size == (512, 512)
    create = next(r for r in cloud.requests if r.path.endswith("/text2image/image-synthesis"))
    assert create.headers["X-DashScope-Async"] == "enable"
    prompt = create.body["input"]["prompt"]
    assert "ONE character" in prompt and "feet" in prompt and "1:1" in prompt and "checkerboard" in prompt
    assert usage and usage[0].unit == "image" and usage[0].quantity == 1


def test_start_pose_and_reference_use_image_edit(cloud, cloud_settings, fox, fox_key):
    provider = DashScopeImageProvider(cloud_settings)
    pose = provider.start_pose(fox, WAVE, fox_key)
    ref = provider.character("this fox", fox, fox_key)
    assert pose.size == ref.size == (512, 512)
    edits = [r for r in cloud.requests if r.path.endswith("/multimodal-generation/generation")]
    assert len(edits) == 2
    content = edits[0].body["input"]["messages"][0]["content"]
    assert _decode_data_uri(content[0]["image"]).mode == "RGB"
    assert WAVE.start_pose_prompt.strip() in content[1]["text"]
    assert "X-DashScope-Async" not in edits[0].headers  # the edit call is synchronous


def test_image_edit_moderation_is_not_retried(cloud, cloud_settings, fox, fox_key):
    cloud.edit_errors.append(
        (400, {"code": "DataInspectionFailed", "message": "Input data may contain inappropriate content."})
    )
    with pytest.raises(ModerationError, match="DataInspectionFailed"):
        DashScopeImageProvider(cloud_settings).start_pose(fox, WAVE, fox_key)
    assert len([r for r in cloud.requests if r.path.endswith("/generation")]) == 1


# ---- never bill twice: the task id is kept and polled again -------------------------------------
def _try(settings, fox, key, out: Path, ledger: MemoryLedger, usage: list[Usage]) -> Path:
    provider = DashScopeVideoProvider(settings)
    try:
        return provider.animate(ClipRequest(fox, WAVE, key, out, on_usage=usage.append, ledger=ledger))
    finally:
        provider.client.close()


def test_a_failed_download_is_retried_from_the_same_task(cloud, cloud_settings, fox, fox_key, tmp_path):
    cloud.downloads += ["drop"] * (cloud_settings.http_retries + 1)
    ledger, usage = MemoryLedger(), []
    out = tmp_path / "a.mp4"
    with pytest.raises(TransientError):
        _try(cloud_settings, fox, fox_key, out, ledger, usage)
    record = ledger.load()
    assert record and record["task_id"] == "task-1" and record["billed"] is True
    assert _try(cloud_settings, fox, fox_key, out, ledger, usage).read_bytes() == cloud.video
    assert cloud.billed_creates() == 1 and cloud.paths("POST").count(CREATE) == 1
    assert len(usage) == 1  # billed once, recorded once, however often it is downloaded


def test_a_polling_deadline_keeps_the_task_for_the_next_try(cloud, cloud_settings, fox, fox_key, tmp_path):
    cloud.polls_before_done = 10**6  # RUNNING for as long as we look
    ledger, usage = MemoryLedger(), []
    quick = cloud_settings.model_copy(update={"task_timeout": 0.3})
    with pytest.raises(TaskTimedOut, match="kept") as e:
        _try(quick, fox, fox_key, tmp_path / "a.mp4", ledger, usage)
    assert not isinstance(e.value, TransientError) and cloud.canceled == []  # a running task is not lost
    cloud.polls_before_done = 0
    _try(cloud_settings, fox, fox_key, tmp_path / "a.mp4", ledger, usage)
    assert cloud.billed_creates() == 1 and len(usage) == 1


def test_an_expired_task_is_replaced_by_a_new_one(cloud, cloud_settings, fox, fox_key, tmp_path):
    cloud.downloads += ["drop"] * (cloud_settings.http_retries + 1)
    ledger, usage = MemoryLedger(), []
    with pytest.raises(TransientError):
        _try(cloud_settings, fox, fox_key, tmp_path / "a.mp4", ledger, usage)
    cloud.expire("task-1")  # 24 h later: the service answers UNKNOWN
    _try(cloud_settings, fox, fox_key, tmp_path / "a.mp4", ledger, usage)
    assert cloud.created == ["task-1", "task-2"] and ledger.load()["task_id"] == "task-2"


def test_a_task_older_than_a_day_is_not_polled(cloud, cloud_settings, fox, fox_key, tmp_path):
    old = {
        "provider": "dashscope",
        "state": "created",
        "task_id": "task-old",
        "created_at": time.time() - 25 * 3600,
        "request": DashScopeVideoProvider(cloud_settings).params.fingerprint(),
        "billed": True,
    }
    usage: list[Usage] = []
    _try(cloud_settings, fox, fox_key, tmp_path / "a.mp4", MemoryLedger(old), usage)
    assert not any("task-old" in p for p in cloud.paths()) and cloud.billed_creates() == 1
    assert len(usage) == 1  # the new task is billed (and recorded) on its own


def test_a_failed_task_gets_a_new_task(cloud, cloud_settings, fox, fox_key, tmp_path):
    cloud.final_status = "FAILED"
    ledger, usage = MemoryLedger(), []
    with pytest.raises(ProviderError):
        _try(cloud_settings, fox, fox_key, tmp_path / "a.mp4", ledger, usage)
    cloud.final_status = "SUCCEEDED"
    _try(cloud_settings, fox, fox_key, tmp_path / "a.mp4", ledger, usage)
    assert cloud.billed_creates() == 2  # the first task ended without a result (and was not billed)


# ---- models: resolutions, durations, billed seconds ----------------------------------------------
@pytest.mark.parametrize(
    ("model", "resolution", "allowed"),
    [
        ("wan2.6-i2v-flash", "480P", "720P, 1080P"),
        ("wan2.2-i2v-plus", "720P", "480P, 1080P"),
    ],
)
def test_a_resolution_the_model_refuses_fails_before_any_request(
    cloud, cloud_settings, model, resolution, allowed
):
    s = cloud_settings.model_copy(update={"dashscope_video_model": model, "dashscope_resolution": resolution})
    with pytest.raises(InvalidInput) as e:
        DashScopeVideoProvider(s)
    assert model in str(e.value) and allowed in str(e.value) and resolution in str(e.value)
    assert cloud.requests == []


@pytest.mark.parametrize(
    ("model", "resolution", "sent"),
    [
        ("wan2.6-i2v-flash", None, "720P"),
        ("wan2.6-i2v-flash", "1080P", "1080P"),
        ("wan2.2-i2v-plus", None, "480P"),
        ("wan2.2-i2v-plus", "1080P", "1080P"),
        ("wan2.2-kf2v-flash", "1080P", "1080P"),
        ("wan2.2-i2v-flash", "1080P", "1080P"),  # allowed since the late-2026 model reference
    ],
)
def test_every_listed_model_gets_a_resolution_it_accepts(
    cloud, cloud_settings, fox, fox_key, tmp_path, model, resolution, sent
):
    s = cloud_settings.model_copy(update={"dashscope_video_model": model, "dashscope_resolution": resolution})
    path, _ = _animate(s, fox, fox_key, tmp_path / "a.mp4")  # the stand-in refuses what the model would
    assert path.is_file()
    create = next(r for r in cloud.requests if r.path.endswith("/video-synthesis"))
    assert create.body["parameters"]["resolution"] == sent


@pytest.mark.parametrize("model", ["wan2.2-kf2v-flash", "wan2.2-i2v-flash", "wan2.2-i2v-plus"])
def test_a_fixed_length_model_never_gets_the_users_duration(
    cloud, cloud_settings, fox, fox_key, tmp_path, model
):
    s = cloud_settings.model_copy(update={"dashscope_video_model": model, "dashscope_duration": 3})
    _, usage = _animate(s, fox, fox_key, tmp_path / "a.mp4")
    create = next(r for r in cloud.requests if r.path.endswith("/video-synthesis"))
    assert "duration" not in create.body["parameters"]
    cloud.video_duration = None  # without the service's figure the estimate is the model's 5 s
    _, usage = _animate(s, fox, fox_key, tmp_path / "b.mp4")
    assert usage[0].quantity == 5.0 and usage[0].estimated


def test_wan26_billed_seconds_are_read_from_its_usage_fields(cloud, cloud_settings, fox, fox_key, tmp_path):
    s = cloud_settings.model_copy(
        update={"dashscope_video_model": "wan2.6-i2v-flash", "dashscope_duration": 4}
    )
    for keys in (("duration", "output_video_duration"), ("output_video_duration",), ("duration",)):
        cloud.usage_keys = keys
        cloud.video_duration = 4.0
        _, usage = _animate(s, fox, fox_key, tmp_path / f"{len(keys)}-{keys[0]}.mp4")
        assert usage[0].quantity == 4.0 and not usage[0].estimated, keys
