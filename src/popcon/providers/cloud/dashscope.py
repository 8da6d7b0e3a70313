"""Alibaba Cloud Model Studio (DashScope): Wan image-to-video, Wan text-to-image, Qwen image edit.

Video and text-to-image are async tasks run through `dashscope_tasks.DashScopeClient.run`: the
intent is saved before the create is sent, the task id the moment it is known, and a lost create
is looked up in the account's task list and adopted instead of being paid again. The result is
downloaded at once; a link that answers 403 / 404 is replaced by polling the task again (the
service keeps a task and its result for 24 h) before a new task is ever considered.
The image edit is synchronous: its answer (result links, then the image) is kept in the paid-call
ledger so that a failed download or a later step's failure never pays for it again.
"""

from __future__ import annotations

import base64
import logging
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PIL import Image

from popcon.domain.actions import ActionPreset
from popcon.domain.errors import InvalidInput
from popcon.providers.base import (
    ClipRequest,
    MemoryLedger,
    NoRigs,
    PlannedWork,
    ProviderListing,
    TaskLedger,
    TaskRecord,
    Usage,
    UsageSink,
    VideoCapabilities,
    ignore_usage,
    never_canceled,
)
from popcon.providers.cloud import limits, prompts
from popcon.providers.cloud.dashscope_tasks import (
    TASK_KEEP_SECONDS,
    DashScopeClient,
    TaskSpec,
)
from popcon.providers.cloud.http import (
    ModerationError,
    ProviderError,
    ResultGone,
    TaskFailed,
)
from popcon.providers.cloud.images import data_uri, decode_image, flatten_on_key, square_on_key
from popcon.providers.cloud.ledger import CallLedgers, PaidCall, age_of, request_fingerprint
from popcon.providers.cloud.prices import priced_usage, region_of, video_variant
from popcon.providers.registry import IMAGE_PROVIDERS, VIDEO_PROVIDERS
from popcon.settings import Settings

log = logging.getLogger(__name__)

NAME = "dashscope"
VIDEO_PATH = "/api/v1/services/aigc/video-generation/video-synthesis"
KEYFRAME_VIDEO_PATH = "/api/v1/services/aigc/image2video/video-synthesis"
T2I_PATH = "/api/v1/services/aigc/text2image/image-synthesis"
EDIT_PATH = "/api/v1/services/aigc/multimodal-generation/generation"


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
    "wan2.2-i2v-flash": VideoModel(("480P", "720P", "1080P"), "480P", 5, note="fixed 5 s (default)"),
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
        self.client = DashScopeClient(settings, _api_key(settings), sleep)

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
        spec = VIDEO_MODEL_SPECS.get(settings.dashscope_video_model)
        usage = priced_usage(
            NAME,
            settings.dashscope_video_model,
            "second",
            work.clips * params.seconds,
            variant=video_variant(params.resolution, bool(spec and spec.silent_switch)),
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
        body = self.request_body(pose, action, key_color)
        spec = TaskSpec(
            path=path,
            body=body,
            model=self.model,
            prompt=_prompt_of(body),
            request=self.params.fingerprint(),
            fingerprint=request_fingerprint(path, body),
            what=what,
        )
        with limits.slot(f"{NAME}:video", self.settings.video_concurrency, check_cancel):
            record, data = self.client.run(ledger, spec, check_cancel)
        record = self._bill_once(record, data, ledger, on_usage)
        for attempt in range(3):
            url = (data.get("output") or {}).get("video_url")
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
                return out_path
            except ResultGone:
                if age_of(record) > TASK_KEEP_SECONDS:
                    ledger.save(None)  # the task and its result are gone for good: a new task is due
                    raise
                if attempt == 2:
                    raise ResultGone(
                        f"{NAME}: the result link of task {record['task_id']} keeps answering 'gone' "
                        "although the task is less than 24 h old; the task is kept and resuming the job "
                        "tries its result again"
                    ) from None
            try:  # a younger task gives a fresh link when polled again
                data = self.client.poll_once(str(record["task_id"]), check_cancel, what)
            except TaskFailed:
                ledger.save(None)  # expired or lost on the service's side
                raise
        raise AssertionError("unreachable")

    def _bill_once(
        self, record: TaskRecord, data: dict[str, Any], ledger: TaskLedger, on_usage: UsageSink
    ) -> TaskRecord:
        """Billed once the task succeeded, whether or not the download works; recorded once per
        task however often it is downloaded. Without the service's figure the model's clip length
        is recorded, marked as an estimate."""
        if record.get("billed"):
            return record
        billed = billed_seconds(data.get("usage"))
        on_usage(
            priced_usage(
                NAME,
                self.model,
                "second",
                billed or self.params.seconds,
                variant=video_variant(self.params.resolution, bool(self.spec and self.spec.silent_switch)),
                estimated=not billed,
                region=region_of(self.settings),
            )
        )
        record = {**record, "billed": True}
        ledger.save(record)
        return record


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
        self.client = DashScopeClient(settings, _api_key(settings), sleep)
        self.ledgers = CallLedgers(settings.data_dir / "paid-calls" / NAME)

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

    def t2i_body(self, text: str) -> dict[str, Any]:
        return {
            "model": self.settings.dashscope_t2i_model,
            "input": {"prompt": text[:800], "negative_prompt": prompts.NEGATIVE_PROMPT},
            "parameters": {"size": "1024*1024", "n": 1, "prompt_extend": False, "watermark": False},
        }

    def edit_body(self, image: Image.Image, text: str) -> dict[str, Any]:
        return {
            "model": self.settings.dashscope_edit_model,
            "input": {
                "messages": [{"role": "user", "content": [{"image": data_uri(image)}, {"text": text}]}]
            },
            "parameters": {
                "n": 1,
                "size": "1024*1024",
                "watermark": False,
                "prompt_extend": False,  # the key colour and pose wording must reach the model as written
                "negative_prompt": prompts.NEGATIVE_PROMPT,
            },
        }

    def _text_to_image(self, text: str, on_usage: UsageSink) -> Image.Image:
        model = self.settings.dashscope_t2i_model
        body = self.t2i_body(text)
        fingerprint = request_fingerprint(T2I_PATH, body)
        entry = self.ledgers.entry(fingerprint)
        if (kept := entry.load_result()) is not None:
            return decode_image(kept, NAME)
        spec = TaskSpec(T2I_PATH, body, model, _prompt_of(body), model, fingerprint, "character image")
        record, data = self.client.run(entry, spec, never_canceled)
        results = (data.get("output") or {}).get("results") or []
        urls = [r.get("url") for r in results if isinstance(r, dict) and r.get("url")]
        if not record.get("billed"):
            count = float((data.get("usage") or {}).get("image_count") or len(urls))
            on_usage(priced_usage(NAME, model, "image", count, region=region_of(self.settings)))
            record = {**record, "billed": True}
            entry.save(record)
        if not urls:
            entry.save(None)
            first = results[0] if results and isinstance(results[0], dict) else {}
            code = first.get("code") or ""
            if "datainspection" in str(code).lower():
                raise ModerationError(f"{NAME}: the character image was rejected by content inspection")
            raise TaskFailed(f"{NAME}: the character image task returned no image ({code or 'no URL'})")
        try:
            raw = self._fetch(str(urls[0]))
        except ResultGone:
            data = self.client.poll_once(str(record["task_id"]), never_canceled, "character image")
            fresh = [
                r.get("url") for r in (data.get("output") or {}).get("results") or [] if isinstance(r, dict)
            ]
            if not fresh or not fresh[0]:
                raise
            raw = self._fetch(str(fresh[0]))
        entry.save_result(raw)
        return decode_image(raw, NAME)

    def _edit(self, image: Image.Image, text: str, on_usage: UsageSink) -> Image.Image:
        model = self.settings.dashscope_edit_model
        body = self.edit_body(image, text)
        call = PaidCall(self.ledgers.entry(request_fingerprint(EDIT_PATH, body)), NAME, "image edit", model)
        if (kept := call.cached()) is not None:
            return decode_image(kept, NAME)
        answered = call.answered()
        if answered and answered.get("urls"):
            try:  # paid already: only the download is tried again
                raw = self._fetch(str(answered["urls"][0]))
                call.done(raw)
                return decode_image(raw, NAME)
            except ResultGone:
                log.info("%s: the kept image edit result expired; the edit is sent again", NAME)
        data = call.send(
            lambda: self.client.http.request_json(
                "POST", EDIT_PATH, body=body, what="image edit", idempotent=False
            )
        )
        choices = (data.get("output") or {}).get("choices") or []
        urls: list[str] = []
        for choice in choices:
            content = ((choice or {}).get("message") or {}).get("content") or []
            urls += [str(c["image"]) for c in content if isinstance(c, dict) and c.get("image")]
        count = float((data.get("usage") or {}).get("image_count") or len(urls))
        on_usage(priced_usage(NAME, model, "image", count, region=region_of(self.settings)))
        if not urls:
            call.refused()
            raise ProviderError(f"{NAME}: the image edit returned no image")
        call.answer(urls=urls[:1])
        raw = self._fetch(urls[0])
        call.done(raw)
        return decode_image(raw, NAME)

    def _fetch(self, url: str) -> bytes:
        if url.startswith("data:"):
            return base64.b64decode(url.split(",", 1)[1])
        return self.client.http.fetch_bytes(url, max_bytes=MAX_IMAGE_BYTES)


def _prompt_of(body: dict[str, Any]) -> str:
    """`input.prompt` of a request body: what a found task's `orig_prompt` is matched against."""
    inp = body.get("input")
    return str(inp.get("prompt") or "") if isinstance(inp, dict) else ""


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
