"""The documented request schemas the stand-in server checks every request against.

Written here from the providers' API references, NOT imported from PopCon's own tables: a wrong
table in PopCon must meet a server that disagrees. Sources (read 2026-12-06):
- Wan image-to-video (first frame), Model Studio API reference "Wan - image-to-video - first frame"
  https://www.alibabacloud.com/help/en/model-studio/image-to-video-api-reference
- Wan first-and-last-frame to video: https://www.alibabacloud.com/help/en/model-studio/image-to-video-by-first-and-last-frame-api-reference
- Wan text-to-image V2: https://www.alibabacloud.com/help/en/model-studio/text-to-image-v2-api-reference
- Qwen image edit: https://www.alibabacloud.com/help/en/model-studio/qwen-image-edit-api
- Async task management (task list query): https://www.alibabacloud.com/help/en/model-studio/manage-asynchronous-tasks
- Gemini generateContent / models.list: https://ai.google.dev/api/generate-content , https://ai.google.dev/api/models

Where the real service would silently ignore an unknown field, the stand-in refuses it with the
service's own error shape: an ignored misspelling (`tail_frame_url`, `extend_prompt`) is exactly
the bug these tests exist to catch.
"""

from __future__ import annotations

import base64
import io
import re
from collections.abc import Callable
from typing import Any

from PIL import Image

# ---- DashScope: per-model options of the video models (model reference tables) --------------------
WAN_VIDEO_MODELS: dict[str, dict[str, Any]] = {
    # model: resolutions, durations (allowed values), whether `audio` exists, which endpoint
    "wan2.2-i2v-flash": {"resolutions": ("480P", "720P", "1080P"), "durations": (5,), "audio": False},
    "wan2.2-i2v-plus": {"resolutions": ("480P", "1080P"), "durations": (5,), "audio": False},
    "wan2.6-i2v-flash": {"resolutions": ("720P", "1080P"), "durations": tuple(range(2, 16)), "audio": True},
    "wan2.2-kf2v-flash": {
        "resolutions": ("480P", "720P", "1080P"),
        "durations": (5,),
        "audio": False,
        "keyframes": True,
    },
}
T2I_MODELS = ("wan2.2-t2i-flash", "wan2.2-t2i-plus", "wanx2.1-t2i-turbo", "wanx2.1-t2i-plus")
EDIT_MODELS = ("qwen-image-edit", "qwen-image-edit-plus")
TASK_STATUSES = ("PENDING", "RUNNING", "SUCCEEDED", "FAILED", "CANCELED", "UNKNOWN")

Field = tuple[type | tuple[type, ...], bool]  # (accepted JSON types, required)
_STR, _INT, _BOOL = str, int, bool

I2V_INPUT: dict[str, Field] = {
    "prompt": (_STR, False),
    "negative_prompt": (_STR, False),
    "img_url": (_STR, True),
    "audio_url": (_STR, False),
    "template": (_STR, False),
}
KF2V_INPUT: dict[str, Field] = {
    "prompt": (_STR, False),
    "negative_prompt": (_STR, False),
    "first_frame_url": (_STR, True),
    "last_frame_url": (_STR, False),
    "template": (_STR, False),
}
VIDEO_PARAMETERS: dict[str, Field] = {
    "resolution": (_STR, False),
    "duration": (_INT, False),
    "prompt_extend": (_BOOL, False),
    "seed": (_INT, False),
    "watermark": (_BOOL, False),
    "audio": (_BOOL, False),
    "shot_type": (_STR, False),
}
T2I_INPUT: dict[str, Field] = {"prompt": (_STR, True), "negative_prompt": (_STR, False)}
T2I_PARAMETERS: dict[str, Field] = {
    "size": (_STR, False),
    "n": (_INT, False),
    "seed": (_INT, False),
    "prompt_extend": (_BOOL, False),
    "watermark": (_BOOL, False),
}
EDIT_PARAMETERS: dict[str, Field] = {
    "n": (_INT, False),
    "size": (_STR, False),
    "negative_prompt": (_STR, False),
    "prompt_extend": (_BOOL, False),
    "watermark": (_BOOL, False),
    "seed": (_INT, False),
}
TASK_LIST_QUERY = ("task_id", "start_time", "end_time", "model_name", "status", "page_no", "page_size")


def _type_ok(value: Any, types: type | tuple[type, ...]) -> bool:
    if isinstance(value, bool) and bool not in (types if isinstance(types, tuple) else (types,)):
        return False  # JSON true is not a number
    return isinstance(value, types)


def check_fields(obj: Any, fields: dict[str, Field], where: str) -> str | None:
    """The first violation of an object against its documented fields; None when it conforms."""
    if not isinstance(obj, dict):
        return f"{where} must be an object"
    for name in obj:
        if name not in fields:
            return f"{where}.{name} is not a supported parameter"
    for name, (types, required) in fields.items():
        if name not in obj:
            if required:
                return f"{where}.{name} is required"
            continue
        if not _type_ok(obj[name], types):
            return f"{where}.{name} has the wrong type ({type(obj[name]).__name__})"
    return None


def _size(value: str, low: int, high: int) -> str | None:
    m = re.fullmatch(r"(\d+)\*(\d+)", value)
    if not m or not all(low <= int(v) <= high for v in m.groups()):
        return f"size {value!r} must be width*height with each side in [{low}, {high}]"
    return None


def check_top(body: Any) -> str | None:
    """The envelope every DashScope generation request shares: model, input, optional parameters."""
    return check_fields(
        body, {"model": (_STR, True), "input": (dict, True), "parameters": (dict, False)}, "body"
    )


def check_video(body: dict[str, Any], keyframes: bool) -> str | None:
    model = body.get("model")
    spec = WAN_VIDEO_MODELS.get(str(model))
    if spec is None:
        return f"Model not exist: {model}"
    if bool(spec.get("keyframes")) != keyframes:
        return f"{model} is not served by this endpoint"
    problem = check_fields(body.get("input"), KF2V_INPUT if keyframes else I2V_INPUT, "input")
    problem = problem or check_fields(body.get("parameters", {}), VIDEO_PARAMETERS, "parameters")
    if problem:
        return problem
    inp, params = body["input"], body.get("parameters", {})
    if len(inp.get("prompt", "")) > 800 or len(inp.get("negative_prompt", "")) > 500:
        return "prompt is longer than 800 or negative_prompt than 500 characters"
    if "resolution" in params and params["resolution"] not in spec["resolutions"]:
        return f"resolution {params['resolution']} is not supported by {model}"
    if "duration" in params and params["duration"] not in spec["durations"]:
        return f"duration {params['duration']} is not supported by {model}"
    if "audio" in params and not spec["audio"]:
        return f"audio is not supported by {model}"
    if not 0 <= params.get("seed", 0) <= 2147483647:
        return "seed must be in [0, 2147483647]"
    return None


def check_t2i(body: dict[str, Any]) -> str | None:
    if body.get("model") not in T2I_MODELS:
        return f"Model not exist: {body.get('model')}"
    problem = check_fields(body.get("input"), T2I_INPUT, "input")
    problem = problem or check_fields(body.get("parameters", {}), T2I_PARAMETERS, "parameters")
    if problem:
        return problem
    params = body.get("parameters", {})
    if not 1 <= params.get("n", 1) <= 4:
        return "n must be in [1, 4]"
    if "size" in params:
        return _size(params["size"], 512, 1440)
    return None


def check_edit(body: dict[str, Any]) -> str | None:
    if body.get("model") not in EDIT_MODELS:
        return f"Model not exist: {body.get('model')}"
    problem = check_fields(body.get("input"), {"messages": (list, True)}, "input")
    problem = problem or check_fields(body.get("parameters", {}), EDIT_PARAMETERS, "parameters")
    if problem:
        return problem
    messages = body["input"]["messages"]
    if len(messages) != 1 or check_fields(messages[0], {"role": (_STR, True), "content": (list, True)}, "m"):
        return "input.messages must hold one user message with role and content"
    content = messages[0]["content"]
    images = [c for c in content if isinstance(c, dict) and set(c) == {"image"}]
    texts = [c for c in content if isinstance(c, dict) and set(c) == {"text"}]
    if len(images) + len(texts) != len(content) or len(texts) != 1 or not 1 <= len(images) <= 3:
        return "content must be 1-3 {image} items and one {text} item"
    params = body.get("parameters", {})
    if not 1 <= params.get("n", 1) <= 6:
        return "n must be in [1, 6]"
    if "size" in params:
        return _size(params["size"], 512, 2048)
    return None


def check_task_list(query: dict[str, list[str]]) -> str | None:
    for name, values in query.items():
        if name not in TASK_LIST_QUERY:
            return f"{name} is not a supported parameter"
        if len(values) != 1:
            return f"{name} is given more than once"
    q = {k: v[0] for k, v in query.items()}
    for name in ("start_time", "end_time"):
        if name in q and not re.fullmatch(r"\d{14}", q[name]):
            return f"{name} must be YYYYMMDDhhmmss"
    if "start_time" in q and "end_time" in q and q["start_time"] > q["end_time"]:
        return "start_time is after end_time"
    if "status" in q and q["status"] not in TASK_STATUSES:
        return f"status {q['status']} is not one of {', '.join(TASK_STATUSES)}"
    for name in ("page_no", "page_size"):
        if name in q and not (q[name].isdigit() and int(q[name]) >= 1):
            return f"{name} must be a positive integer"
    return None


# ---- Gemini generateContent (the fields PopCon could plausibly send; anything else is refused) -----
ASPECT_RATIOS = ("1:1", "2:3", "3:2", "3:4", "4:3", "4:5", "5:4", "9:16", "16:9", "21:9")
MODALITIES = ("TEXT", "IMAGE", "AUDIO")


def _either(obj: dict[str, Any], snake: str, camel: str) -> Any:
    """Proto JSON accepts a field under its snake_case or its lowerCamelCase name."""
    return obj.get(snake, obj.get(camel))


def check_generate(body: Any) -> tuple[str, str] | None:
    """(field path, message) of the first violation in a generateContent body; None when it conforms."""
    top = {"contents", "generationConfig", "generation_config", "safetySettings", "safety_settings"}
    top |= {"systemInstruction", "system_instruction", "tools", "toolConfig", "cachedContent"}
    if not isinstance(body, dict):
        return "", "the body must be a JSON object"
    for name in body:
        if name not in top:
            return "", f'Unknown name "{name}": Cannot find field.'
    contents = body.get("contents")
    if not isinstance(contents, list) or not contents:
        return "contents", "contents is not specified"
    for c in contents:
        if not isinstance(c, dict) or set(c) - {"role", "parts"}:
            return (
                "contents[0]",
                f'Unknown name "{next(iter(set(c) - {"role", "parts"}), "?")}": Cannot find field.',
            )
        for part in c.get("parts") or []:
            problem = _check_part(part)
            if problem:
                return "contents[0].parts[0]", problem
    config = _either(body, "generation_config", "generationConfig") or {}
    known = {
        "responseModalities", "response_modalities", "imageConfig", "image_config", "temperature",
        "candidateCount", "candidate_count", "seed", "topP", "topK", "maxOutputTokens",
        "httpOptions",
    }  # fmt: skip
    for name in config:
        if name not in known:
            return "generation_config", f'Unknown name "{name}": Cannot find field.'
    modalities = _either(config, "response_modalities", "responseModalities") or []
    if not isinstance(modalities, list) or any(m not in MODALITIES for m in modalities):
        return "generation_config.response_modalities", f"Invalid value {modalities!r}"
    image = _either(config, "image_config", "imageConfig") or {}
    for name in image:
        if name not in ("aspectRatio", "aspect_ratio", "imageSize", "image_size"):
            return "generation_config.image_config", f'Unknown name "{name}": Cannot find field.'
    ratio = _either(image, "aspect_ratio", "aspectRatio")
    if ratio is not None and ratio not in ASPECT_RATIOS:
        return "generation_config.image_config.aspect_ratio", f"Invalid aspect ratio {ratio!r}"
    return None


def _check_part(part: Any) -> str | None:
    if not isinstance(part, dict) or len(part) != 1:
        return "a part must hold exactly one of text / inline_data"
    (name,) = part
    if name == "text":
        return None if isinstance(part["text"], str) else "text must be a string"
    if name not in ("inline_data", "inlineData"):
        return f'Unknown name "{name}": Cannot find field.'
    blob = part[name]
    if not isinstance(blob, dict) or set(blob) - {"mime_type", "mimeType", "data"}:
        return "inline_data holds only mime_type and data"
    if not isinstance(_either(blob, "mime_type", "mimeType"), str) or not isinstance(blob.get("data"), str):
        return "inline_data needs a mime_type and base64 data"
    return None


def check_image(uri: Any) -> str | None:
    """DashScope's input rules: a URL or data URI of an image without alpha, each side 360-2000 px."""
    if not isinstance(uri, str) or not uri:
        return "the image is required"
    if not uri.startswith("data:image/"):
        return None  # a public URL: the real service would fetch it
    try:
        im = Image.open(io.BytesIO(base64.b64decode(uri.split(",", 1)[1])))
    except Exception:
        return "the image cannot be decoded"
    if im.mode in ("RGBA", "LA", "PA") or "transparency" in im.info:
        return "the image must not have an alpha channel"
    if not all(360 <= s <= 2000 for s in im.size):
        return f"image size {im.size} out of range [360, 2000]"
    return None


def gemini_error(status: int, code: str, message: str) -> dict[str, Any]:
    """Google's error body (google.rpc.Status as JSON)."""
    return {"error": {"code": status, "message": message, "status": code}}


def dashscope_error(code: str, message: str) -> dict[str, Any]:
    return {"code": code, "message": message, "request_id": "req-err"}


Checker = Callable[[dict[str, Any]], str | None]
