"""Alibaba Cloud Model Studio (DashScope): Wan image-to-video, Wan text-to-image, Qwen image edit.

Video and text-to-image are async tasks: create (with `X-DashScope-Async: enable`), poll
`/api/v1/tasks/{id}` with capped backoff, download the result at once (its link expires).
A job cancel while the task is PENDING sends the task's cancel request before giving up.

A task is billed once it runs, whatever happens to its result afterwards, so the video task's id
goes into the action's ledger the moment the service returns it: a retry, a resume or a restarted
runner polls that task (the service keeps it 24 h) and downloads again; a new task is created only
when the old one failed, was canceled, expired or its result link is gone. A create whose answer
was lost is not sent again (DashScope has no idempotency key and no look-up by request).
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PIL import Image

from popcon.domain.actions import ActionPreset
from popcon.domain.errors import Canceled, InvalidInput, TransientError
from popcon.providers.base import (
    CancelCheck,
    ClipRequest,
    MemoryLedger,
    NoRigs,
    PlannedWork,
    ProviderListing,
    TaskRecord,
    Usage,
    UsageSink,
    VideoCapabilities,
    ignore_usage,
    never_canceled,
)
from popcon.providers.cloud import limits, prompts
from popcon.providers.cloud.http import (
    HttpClient,
    ModerationError,
    ProviderError,
    ResultGone,
    TaskFailed,
    TaskTimedOut,
    UnconfirmedRequest,
    sleep_checking,
)
from popcon.providers.cloud.images import data_uri, decode_image, flatten_on_key, square_on_key
from popcon.providers.cloud.prices import priced_usage, region_of
from popcon.providers.registry import IMAGE_PROVIDERS, VIDEO_PROVIDERS
from popcon.settings import Settings

log = logging.getLogger(__name__)

NAME = "dashscope"
VIDEO_PATH = "/api/v1/services/aigc/video-generation/video-synthesis"
KEYFRAME_VIDEO_PATH = "/api/v1/services/aigc/image2video/video-synthesis"
T2I_PATH = "/api/v1/services/aigc/text2image/image-synthesis"
EDIT_PATH = "/api/v1/services/aigc/multimodal-generation/generation"
TASK_PATH = "/api/v1/tasks/{id}"
ASYNC = {"X-DashScope-Async": "enable"}

TASK_KEEP_SECONDS = 24 * 3600  # the service forgets a task (and its result link) after this


@dataclass(frozen=True)
class VideoModel:
    """What one Wan model accepts, from the API reference: checked before any request is sent."""

    resolutions: tuple[str, ...]
    default_resolution: str
    seconds: int  # the clip length: fixed, or the default when `durations` is a range
    durations: tuple[int, int] | None = None  # (min, max) when the model takes a duration
    keyframes: bool = False  # first + last frame model (its own endpoint)
    silent_switch: bool = False  # takes `audio: false` for a silent, cheaper clip
    note: str = ""


VIDEO_MODEL_SPECS: dict[str, VideoModel] = {
    "wan2.2-i2v-flash": VideoModel(("480P", "720P"), "480P", 5, note="fixed 5 s (default)"),
    "wan2.2-i2v-plus": VideoModel(("480P", "1080P"), "480P", 5, note="fixed 5 s"),
    "wan2.6-i2v-flash": VideoModel(
        ("720P", "1080P"), "720P", 5, durations=(2, 15), silent_switch=True, note="2-15 s, silent"
    ),
    "wan2.2-kf2v-flash": VideoModel(
        ("480P", "720P", "1080P"), "480P", 5, keyframes=True, note="fixed 5 s, first + last frame: loops"
    ),
}
VIDEO_MODELS: dict[str, str] = {
    name: f"{'/'.join(m.resolutions)}, {m.note}" for name, m in VIDEO_MODEL_SPECS.items()
}


@dataclass(frozen=True)
class VideoParams:
    """The resolution and duration a run sends (or, for fixed models, bills) for one model."""

    model: str
    resolution: str | None  # None: not sent (a model missing from the table picks its own)
    duration: int | None  # sent only to models that take one
    seconds: float  # what one clip is expected to bill

    def fingerprint(self) -> dict[str, Any]:
        return {"model": self.model, "resolution": self.resolution, "duration": self.duration}


def video_params(settings: Settings) -> VideoParams:
    """Check the settings against the model's table; InvalidInput (before any request) when they clash."""
    model = settings.dashscope_video_model
    spec = VIDEO_MODEL_SPECS.get(model)
    resolution: str | None = settings.dashscope_resolution
    duration: int | None = None
    if spec is None:  # a model newer than this table: pass the settings through unchecked
        log.warning(
            "%s: video model %s is not in PopCon's table; its parameters are not checked", NAME, model
        )
        duration = settings.dashscope_duration
        return VideoParams(model, resolution, duration, float(duration or 5))
    if resolution is None:
        resolution = spec.default_resolution
    elif resolution not in spec.resolutions:
        raise InvalidInput(
            f"the dashscope video model {model} accepts resolutions {', '.join(spec.resolutions)}, "
            f"not {resolution}: set POPCON_DASHSCOPE_RESOLUTION to one of them (or unset it for "
            f"{spec.default_resolution})"
        )
    if spec.durations is not None:
        duration = settings.dashscope_duration or spec.seconds
        low, high = spec.durations
        if not low <= duration <= high:
            raise InvalidInput(
                f"the dashscope video model {model} makes clips of {low}-{high} s, not {duration}"
            )
    elif settings.dashscope_duration is not None and settings.dashscope_duration != spec.seconds:
        log.info("%s: %s makes fixed %d s clips; the duration setting is not sent", NAME, model, spec.seconds)
    return VideoParams(model, resolution, duration, float(duration or spec.seconds))


def billed_seconds(usage: Any) -> float | None:
    """The billed seconds of a video answer: wan2.6 reports `duration` (and `output_video_duration`),
    older models `video_duration`. None when the answer has none of them."""
    if not isinstance(usage, dict):
        return None
    for key in ("duration", "output_video_duration", "video_duration"):
        try:
            value = float(usage.get(key) or 0)
        except (TypeError, ValueError):
            continue
        if value > 0:
            return value
    return None


IMAGE_MODELS: dict[str, str] = {
    "wan2.2-t2i-flash": "text to image (characters from a prompt)",
    "qwen-image-edit-plus": "image edit (start poses, characters from a reference)",
}
MAX_IMAGE_BYTES = 30 * 1024 * 1024


def _api_key(settings: Settings) -> str:
    if settings.dashscope_api_key is None or not settings.dashscope_api_key.get_secret_value():
        raise InvalidInput(
            "the dashscope provider needs a key: set DASHSCOPE_API_KEY (or POPCON_DASHSCOPE_API_KEY)"
        )
    return settings.dashscope_api_key.get_secret_value()


def _error_fields(data: Any) -> tuple[str, str]:
    if isinstance(data, dict):
        return str(data.get("code") or ""), str(data.get("message") or "")
    return "", ""


class DashScopeClient:
    """Task protocol shared by the video and the image provider."""

    def __init__(self, settings: Settings, sleep: Callable[[float], None] = time.sleep) -> None:
        key = _api_key(settings)
        self.settings = settings
        self._sleep = sleep
        self.http = HttpClient(
            NAME,
            settings.dashscope_base_url,
            {"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
            secrets=[key],
            timeout=settings.http_timeout,
            retries=settings.http_retries,
            backoff_base=settings.http_backoff_base,
            backoff_max=settings.http_backoff_max,
            error_parser=_error_fields,
            sleep=sleep,
        )

    def close(self) -> None:
        self.http.close()

    def create_task(self, path: str, body: dict[str, Any], check_cancel: CancelCheck, what: str) -> str:
        """Create a billed task. Never sent twice when the first answer may have been lost."""
        try:
            data = self.http.request_json(
                "POST", path, body=body, headers=ASYNC, check_cancel=check_cancel, what=what, idempotent=False
            )
        except UnconfirmedRequest as e:
            raise UnconfirmedRequest(
                f"{e}. DashScope cannot look a task up by its request: check the task list in the "
                "Model Studio console; resuming the job creates a new task"
            ) from None
        task_id = (data.get("output") or {}).get("task_id")
        if not task_id:
            code, message = str(data.get("code") or ""), str(data.get("message") or "")[:200]
            raise UnconfirmedRequest(
                f"{NAME}: the {what} answer has no task id ({code or 'no code'}: {message or 'no message'}); "
                "it was not sent again in case a task was created"
            )
        return str(task_id)

    def wait_task(self, task_id: str, check_cancel: CancelCheck, what: str) -> dict[str, Any]:
        """Poll until the task ends; return the SUCCEEDED answer. Polling tolerates transient errors."""
        s = self.settings
        deadline = time.monotonic() + s.task_timeout
        interval = s.poll_interval
        status = "PENDING"
        try:
            while True:
                sleep_checking(interval, check_cancel, self._sleep)
                interval = min(s.poll_interval_max, interval * 1.5)
                try:
                    data = self.http.request_json(
                        "GET", TASK_PATH.format(id=task_id), check_cancel=check_cancel, what="task poll"
                    )
                except TransientError as e:
                    if time.monotonic() > deadline:
                        raise
                    log.info("%s: poll of task %s failed (%s); polling on", NAME, task_id, e)
                    continue
                out = data.get("output") or {}
                status = str(out.get("task_status") or "UNKNOWN").upper()
                if status == "SUCCEEDED":
                    return data
                if status in ("FAILED", "CANCELED", "UNKNOWN"):
                    raise self._task_error(task_id, status, out, what)
                if time.monotonic() > deadline:
                    if status == "PENDING":  # never started: do not let it start (and bill) later
                        self.cancel_task(task_id)
                        raise TaskFailed(
                            f"{NAME}: the {what} task did not start within {s.task_timeout:.0f}s and was "
                            "canceled"
                        )
                    raise TaskTimedOut(
                        f"{NAME}: the {what} task did not finish within {s.task_timeout:.0f}s (still "
                        f"{status}); it is kept: resuming the job polls it again instead of paying for "
                        "a new one"
                    )
        except Canceled:
            if status == "PENDING":
                self.cancel_task(task_id)
            raise

    def cancel_task(self, task_id: str) -> None:
        """Best effort: only a PENDING task can be canceled; a failure here changes nothing."""
        try:
            self.http.request_json("POST", TASK_PATH.format(id=task_id) + "/cancel", what="task cancel")
        except Exception as e:  # the job is being canceled anyway
            log.info("%s: cancel of task %s failed: %s", NAME, task_id, e)

    @staticmethod
    def _task_error(task_id: str, status: str, out: dict[str, Any], what: str) -> ProviderError:
        code, message = str(out.get("code") or ""), str(out.get("message") or "")[:300]
        detail = f" ({code}: {message})" if code or message else ""
        if status == "UNKNOWN":
            return TaskFailed(f"{NAME}: the {what} task is unknown to the service (expired or lost){detail}")
        if "datainspection" in code.lower():
            return ModerationError(f"{NAME}: the {what} was rejected by content inspection{detail}")
        return TaskFailed(f"{NAME}: the {what} task ended {status}{detail}")


@VIDEO_PROVIDERS.register(NAME)
class DashScopeVideoProvider:
    """Wan image-to-video; the start pose is sent composited on the flat key colour."""

    name = NAME
    offline = False
    capabilities = VideoCapabilities(resumes_tasks=True)  # the pipeline hands `animate` the action's ledger

    def __init__(self, settings: Settings, sleep: Callable[[float], None] = time.sleep) -> None:
        self.settings = settings
        self.model = settings.dashscope_video_model
        self.params = video_params(settings)  # a resolution the model refuses fails here, before any request
        self.spec = VIDEO_MODEL_SPECS.get(self.model)
        self.client = DashScopeClient(settings, sleep)

    @property
    def keyframes(self) -> bool:
        return self.spec.keyframes if self.spec else "kf2v" in self.model

    def request_body(
        self, pose: Image.Image, action: ActionPreset, key: tuple[int, int, int]
    ) -> dict[str, Any]:
        s = self.settings
        image = data_uri(flatten_on_key(pose, key))
        if self.keyframes:
            inp: dict[str, Any] = {"first_frame_url": image, "last_frame_url": image}
        else:
            inp = {"img_url": image}
        params: dict[str, Any] = {
            "prompt_extend": False,
            "watermark": False,
            "seed": s.video_seed if s.video_seed is not None else random.randrange(2**31 - 1),
        }
        if self.params.resolution is not None:
            params["resolution"] = self.params.resolution
        if self.params.duration is not None:  # fixed-length models (wan2.2, kf2v) never get one
            params["duration"] = self.params.duration
        if self.spec.silent_switch if self.spec else self.model.startswith("wan2.6"):
            params["audio"] = False
        return {
            "model": self.model,
            "input": {
                "prompt": prompts.motion_prompt(action, key),
                "negative_prompt": prompts.NEGATIVE_PROMPT,
                **inp,
            },
            "parameters": params,
        }

    @classmethod
    def listing(cls, settings: Settings) -> ProviderListing:
        return listing(settings)

    @classmethod
    def estimate(cls, settings: Settings, work: PlannedWork) -> list[Usage]:
        if not work.clips:
            return []
        params = video_params(settings)
        usage = priced_usage(
            NAME,
            settings.dashscope_video_model,
            "second",
            work.clips * params.seconds,
            variant=params.resolution or "",
            estimated=True,
            region=region_of(settings),
        )
        return [usage]

    @classmethod
    def price_keys(cls, settings: Settings) -> list[tuple[str, str, str]]:
        return [(NAME, m, r) for m, spec in VIDEO_MODEL_SPECS.items() for r in spec.resolutions]

    def overlay_colors(self, effects: Sequence[str]) -> tuple[tuple[int, int, int], ...]:
        return ()  # a video model draws what it likes; the prompt asks for no overlays

    def animate(self, request: ClipRequest) -> Path:
        """The clip of a Wan task (a video model moves the parts itself: the rig is not sent)."""
        pose, action, out_path = request.pose, request.action, request.out_path
        check_cancel, on_usage = request.check_cancel, request.on_usage
        if request.key_color is None:
            raise ValueError(f"{NAME} draws clips on a key colour: the request needs one")
        key_color = request.key_color
        check_cancel()
        ledger = request.ledger if request.ledger is not None else MemoryLedger()
        what = f"{action.id} clip"
        path = KEYFRAME_VIDEO_PATH if self.keyframes else VIDEO_PATH
        with limits.slot(f"{NAME}:video", self.settings.video_concurrency, check_cancel):
            record, data = self._resume(ledger.load(), check_cancel, what)
            if data is None:
                body = self.request_body(pose, action, key_color)
                try:
                    task_id = self.client.create_task(path, body, check_cancel, what)
                except UnconfirmedRequest:
                    ledger.save({"provider": NAME, "state": "unconfirmed", "sent_at": time.time()})
                    raise
                record = {
                    "provider": NAME,
                    "state": "created",
                    "task_id": task_id,
                    "created_at": time.time(),
                    "request": self.params.fingerprint(),
                    "billed": False,
                }
                ledger.save(record)  # before the first poll: a crash from here on loses nothing
                data = self.client.wait_task(task_id, check_cancel, what)
        assert record is not None
        out = data.get("output") or {}
        url = out.get("video_url")
        if not record.get("billed"):
            # Billed once the task succeeded, whether or not the download below works; recorded once
            # per task however often it is downloaded. Without the service's figure the model's clip
            # length is recorded, marked as an estimate.
            billed = billed_seconds(data.get("usage"))
            on_usage(
                priced_usage(
                    NAME,
                    self.model,
                    "second",
                    billed or self.params.seconds,
                    variant=self.params.resolution or "",
                    estimated=not billed,
                    region=region_of(self.settings),
                )
            )
            record = {**record, "billed": True}
            ledger.save(record)
        if not url:
            ledger.save(None)  # nothing to download, ever: the next try creates a new task
            raise TaskFailed(f"{NAME}: the {action.id} clip task succeeded without a video URL")
        try:
            self.client.http.download(
                str(url),
                out_path,
                max_bytes=self.settings.max_download_bytes,
                check_cancel=check_cancel,
                validate=_check_video,
            )
        except ResultGone:
            ledger.save(None)  # the result expired with its link: only a new task can make the clip
            raise
        return out_path

    def _resume(
        self, record: TaskRecord | None, check_cancel: CancelCheck, what: str
    ) -> tuple[TaskRecord | None, dict[str, Any] | None]:
        """Poll the task a previous try created; (record, SUCCEEDED answer), or (None, None): create one.

        A task that is still running is waited for again (TaskTimedOut keeps it for the next try);
        one that failed, was canceled or is unknown to the service (expired) is not billed: a new
        task replaces it.
        """
        if not record or record.get("provider") != NAME or record.get("state") != "created":
            if record and record.get("state") == "unconfirmed":
                log.warning("%s: the last %s create was unconfirmed; creating a new task", NAME, what)
            return None, None
        task_id = str(record.get("task_id") or "")
        age = time.time() - float(record.get("created_at") or 0)
        if not task_id or age > TASK_KEEP_SECONDS:
            log.info(
                "%s: task %s of the %s is older than 24 h (expired); creating a new one", NAME, task_id, what
            )
            return None, None
        if record.get("request") != self.params.fingerprint():
            log.info("%s: the %s settings changed since task %s; creating a new one", NAME, what, task_id)
            return None, None
        log.info(
            "%s: polling the existing task %s of the %s instead of creating a new one", NAME, task_id, what
        )
        try:
            return record, self.client.wait_task(task_id, check_cancel, what)
        except TaskTimedOut:
            raise
        except (TaskFailed, ModerationError) as e:
            log.info("%s: task %s ended without a result (%s); creating a new one", NAME, task_id, e)
            return None, None


def _check_video(path: Path) -> None:
    from popcon.media.video import probe

    try:
        info = probe(path)
    except Exception as e:
        raise ProviderError(f"{NAME}: the downloaded clip cannot be decoded ({e})") from e
    if info.width <= 0 or info.height <= 0:
        raise ProviderError(f"{NAME}: the downloaded clip has no picture")


@IMAGE_PROVIDERS.register(NAME)
class DashScopeImageProvider(NoRigs):
    """Characters from a prompt (Wan text-to-image, or Qwen edit of a reference) and start poses (edit)."""

    name = NAME
    offline = False

    def __init__(self, settings: Settings, sleep: Callable[[float], None] = time.sleep) -> None:
        self.settings = settings
        self.client = DashScopeClient(settings, sleep)

    @classmethod
    def listing(cls, settings: Settings) -> ProviderListing:
        return listing(settings)

    @classmethod
    def estimate(cls, settings: Settings, work: PlannedWork) -> list[Usage]:
        region = region_of(settings)
        out = []
        if work.characters:
            out.append(
                priced_usage(
                    NAME,
                    settings.dashscope_t2i_model,
                    "image",
                    work.characters,
                    estimated=True,
                    region=region,
                )
            )
        if work.start_poses:
            out.append(
                priced_usage(
                    NAME,
                    settings.dashscope_edit_model,
                    "image",
                    work.start_poses,
                    estimated=True,
                    region=region,
                )
            )
        return out

    @classmethod
    def price_keys(cls, settings: Settings) -> list[tuple[str, str, str]]:
        return [(NAME, m, "") for m in IMAGE_MODELS]

    def character(
        self,
        prompt: str,
        reference: Image.Image | None,
        key_color: tuple[int, int, int],
        on_usage: UsageSink = ignore_usage,
    ) -> Image.Image:
        text = prompts.character_prompt(prompt, key_color, with_reference=reference is not None)
        with limits.slot(f"{NAME}:image", self.settings.image_concurrency):
            if reference is not None:
                im = self._edit(flatten_on_key(reference, key_color), text, on_usage)
            else:
                im = self._text_to_image(text, on_usage)
        return square_on_key(im, key_color)

    def start_pose(
        self,
        character: Image.Image,
        action: ActionPreset,
        key_color: tuple[int, int, int],
        on_usage: UsageSink = ignore_usage,
    ) -> Image.Image:
        text = prompts.start_pose_prompt(action, key_color)
        with limits.slot(f"{NAME}:image", self.settings.image_concurrency):
            im = self._edit(flatten_on_key(character, key_color), text, on_usage)
        return square_on_key(im, key_color)

    def _text_to_image(self, text: str, on_usage: UsageSink) -> Image.Image:
        model = self.settings.dashscope_t2i_model
        body = {
            "model": model,
            "input": {"prompt": text[:800], "negative_prompt": prompts.NEGATIVE_PROMPT},
            "parameters": {"size": "1024*1024", "n": 1, "prompt_extend": False, "watermark": False},
        }
        task_id = self.client.create_task(T2I_PATH, body, never_canceled, "character image")
        data = self.client.wait_task(task_id, never_canceled, "character image")
        results = (data.get("output") or {}).get("results") or []
        urls = [r.get("url") for r in results if isinstance(r, dict) and r.get("url")]
        count = float((data.get("usage") or {}).get("image_count") or len(urls))
        on_usage(priced_usage(NAME, model, "image", count, region=region_of(self.settings)))
        if not urls:
            first = results[0] if results and isinstance(results[0], dict) else {}
            code = first.get("code") or ""
            if "datainspection" in str(code).lower():
                raise ModerationError(f"{NAME}: the character image was rejected by content inspection")
            raise TaskFailed(f"{NAME}: the character image task returned no image ({code or 'no URL'})")
        return self._fetch(str(urls[0]))

    def _edit(self, image: Image.Image, text: str, on_usage: UsageSink) -> Image.Image:
        model = self.settings.dashscope_edit_model
        body = {
            "model": model,
            "input": {
                "messages": [{"role": "user", "content": [{"image": data_uri(image)}, {"text": text}]}]
            },
            "parameters": {
                "n": 1,
                "size": "1024*1024",
                "watermark": False,
                "negative_prompt": prompts.NEGATIVE_PROMPT,
            },
        }
        # Billed per call, like a task create: a call whose answer was lost is not sent again.
        data = self.client.http.request_json(
            "POST", EDIT_PATH, body=body, what="image edit", idempotent=False
        )
        choices = (data.get("output") or {}).get("choices") or []
        urls: list[str] = []
        for choice in choices:
            content = ((choice or {}).get("message") or {}).get("content") or []
            urls += [str(c["image"]) for c in content if isinstance(c, dict) and c.get("image")]
        count = float((data.get("usage") or {}).get("image_count") or len(urls))
        on_usage(priced_usage(NAME, model, "image", count, region=region_of(self.settings)))
        if not urls:
            raise ProviderError(f"{NAME}: the image edit returned no image")
        return self._fetch(urls[0])

    def _fetch(self, url: str) -> Image.Image:
        if url.startswith("data:"):
            import base64

            return decode_image(base64.b64decode(url.split(",", 1)[1]), NAME)
        return decode_image(self.client.http.fetch_bytes(url, max_bytes=MAX_IMAGE_BYTES), NAME)


def listing(settings: Settings) -> ProviderListing:
    """The row `popcon providers` shows for DashScope (image and video share it)."""
    try:
        resolution = video_params(settings).resolution or "model default"
    except InvalidInput as e:
        resolution = f"INVALID: {e}"
    key = settings.dashscope_api_key
    return ProviderListing(
        {**VIDEO_MODELS, **IMAGE_MODELS},
        "DASHSCOPE_API_KEY",
        key is not None and bool(key.get_secret_value()),
        f"{settings.dashscope_video_model} {resolution}, "
        f"{settings.dashscope_t2i_model}, {settings.dashscope_edit_model} "
        f"@ {settings.dashscope_base_url} (region {region_of(settings)})",
    )
