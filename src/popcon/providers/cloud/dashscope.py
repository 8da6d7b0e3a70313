"""Alibaba Cloud Model Studio (DashScope): Wan image-to-video, Wan text-to-image, Qwen image edit.

Video and text-to-image are async tasks: create (with `X-DashScope-Async: enable`), poll
`/api/v1/tasks/{id}` with capped backoff, download the result at once (its link expires).
A job cancel while the task is PENDING sends the task's cancel request before giving up.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from PIL import Image

from popcon.domain.actions import ActionPreset
from popcon.domain.errors import Canceled, InvalidInput, TransientError
from popcon.domain.rig import Rig
from popcon.providers.base import CancelCheck, UsageSink, ignore_usage, never_canceled
from popcon.providers.cloud import limits, prompts
from popcon.providers.cloud.http import (
    HttpClient,
    ModerationError,
    ProviderError,
    TaskFailed,
    sleep_checking,
)
from popcon.providers.cloud.images import data_uri, decode_image, flatten_on_key, square_on_key
from popcon.providers.cloud.prices import clip_seconds, priced_usage
from popcon.settings import Settings

log = logging.getLogger(__name__)

NAME = "dashscope"
VIDEO_PATH = "/api/v1/services/aigc/video-generation/video-synthesis"
KEYFRAME_VIDEO_PATH = "/api/v1/services/aigc/image2video/video-synthesis"
T2I_PATH = "/api/v1/services/aigc/text2image/image-synthesis"
EDIT_PATH = "/api/v1/services/aigc/multimodal-generation/generation"
TASK_PATH = "/api/v1/tasks/{id}"
ASYNC = {"X-DashScope-Async": "enable"}

VIDEO_MODELS: dict[str, str] = {
    "wan2.2-i2v-flash": "480P/720P, fixed 5 s (default)",
    "wan2.2-i2v-plus": "480P/1080P, 5 s",
    "wan2.6-i2v-flash": "720P/1080P, 2-15 s, silent",
    "wan2.2-kf2v-flash": "first + last frame: seamless loops",
}
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
        data = self.http.request_json(
            "POST", path, body=body, headers=ASYNC, check_cancel=check_cancel, what=what
        )
        task_id = (data.get("output") or {}).get("task_id")
        if not task_id:
            raise TransientError(f"{NAME}: the {what} answer has no task id")
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
                        f"{NAME}: the {what} task did not finish within {s.task_timeout:.0f}s "
                        f"(still {status})"
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


class DashScopeVideoProvider:
    """Wan image-to-video; the start pose is sent composited on the flat key colour."""

    name = NAME
    offline = False

    def __init__(self, settings: Settings, sleep: Callable[[float], None] = time.sleep) -> None:
        self.settings = settings
        self.model = settings.dashscope_video_model
        self.client = DashScopeClient(settings, sleep)

    def request_body(
        self, pose: Image.Image, action: ActionPreset, key: tuple[int, int, int]
    ) -> dict[str, Any]:
        s = self.settings
        image = data_uri(flatten_on_key(pose, key))
        if "kf2v" in self.model:
            inp: dict[str, Any] = {"first_frame_url": image, "last_frame_url": image}
        else:
            inp = {"img_url": image}
        params: dict[str, Any] = {
            "resolution": s.dashscope_resolution,
            "prompt_extend": False,
            "watermark": False,
            "seed": s.video_seed if s.video_seed is not None else random.randrange(2**31 - 1),
        }
        if s.dashscope_duration is not None:
            params["duration"] = s.dashscope_duration
        if self.model.startswith("wan2.6"):
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

    def animate(
        self,
        pose: Image.Image,
        action: ActionPreset,
        key_color: tuple[int, int, int],
        out_path: Path,
        check_cancel: CancelCheck = never_canceled,
        on_usage: UsageSink = ignore_usage,
        rig: Rig | None = None,  # a video model moves the parts itself
        layers: Mapping[str, Image.Image] | None = None,
    ) -> Path:
        check_cancel()
        body = self.request_body(pose, action, key_color)
        path = KEYFRAME_VIDEO_PATH if "kf2v" in self.model else VIDEO_PATH
        with limits.slot(f"{NAME}:video", self.settings.video_concurrency, check_cancel):
            task_id = self.client.create_task(path, body, check_cancel, f"{action.id} clip")
            data = self.client.wait_task(task_id, check_cancel, f"{action.id} clip")
        out = data.get("output") or {}
        url = out.get("video_url")
        billed = (data.get("usage") or {}).get("video_duration")
        # Billed once the task succeeded, whether or not the download below works. Without the
        # service's figure the model's clip length is recorded, marked as an estimate.
        seconds = float(billed) if billed else clip_seconds(self.settings)
        on_usage(
            priced_usage(
                NAME,
                self.model,
                "second",
                seconds,
                variant=self.settings.dashscope_resolution,
                estimated=not billed,
            )
        )
        if not url:
            raise TaskFailed(f"{NAME}: the {action.id} clip task succeeded without a video URL")
        self.client.http.download(
            str(url),
            out_path,
            max_bytes=self.settings.max_download_bytes,
            check_cancel=check_cancel,
            validate=_check_video,
        )
        return out_path


def _check_video(path: Path) -> None:
    from popcon.media.video import probe

    try:
        info = probe(path)
    except Exception as e:
        raise ProviderError(f"{NAME}: the downloaded clip cannot be decoded ({e})") from e
    if info.width <= 0 or info.height <= 0:
        raise ProviderError(f"{NAME}: the downloaded clip has no picture")


class DashScopeImageProvider:
    """Characters from a prompt (Wan text-to-image, or Qwen edit of a reference) and start poses (edit)."""

    name = NAME
    offline = False

    def __init__(self, settings: Settings, sleep: Callable[[float], None] = time.sleep) -> None:
        self.settings = settings
        self.client = DashScopeClient(settings, sleep)

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
        on_usage(priced_usage(NAME, model, "image", count))
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
        data = self.client.http.request_json("POST", EDIT_PATH, body=body, what="image edit")
        choices = (data.get("output") or {}).get("choices") or []
        urls: list[str] = []
        for choice in choices:
            content = ((choice or {}).get("message") or {}).get("content") or []
            urls += [str(c["image"]) for c in content if isinstance(c, dict) and c.get("image")]
        count = float((data.get("usage") or {}).get("image_count") or len(urls))
        on_usage(priced_usage(NAME, model, "image", count))
        if not urls:
            raise ProviderError(f"{NAME}: the image edit returned no image")
        return self._fetch(urls[0])

    def _fetch(self, url: str) -> Image.Image:
        if url.startswith("data:"):
            import base64

            return decode_image(base64.b64decode(url.split(",", 1)[1]), NAME)
        return decode_image(self.client.http.fetch_bytes(url, max_bytes=MAX_IMAGE_BYTES), NAME)
