"""Ask each cloud service, with a free call, whether the key works and the configured models exist.

Why: a model that Google has shut down, or a key of the wrong region, should be found by
`popcon providers --check` before a job is started, not by the first paid call of a new user.
Gemini: `GET /v1beta/models` (every page) lists what the key may call with `generateContent`.
DashScope: the account's task list (`GET /api/v1/tasks`, one row) proves the key and region; the
service publishes no list of the Wan / Qwen models a key may use, so those are not checked.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from popcon.domain.errors import PopconError
from popcon.providers.cloud.http import HttpClient
from popcon.settings import Settings


@dataclass(frozen=True)
class ServiceCheck:
    provider: str
    key_ok: bool | None  # None: no key set, nothing asked
    message: str
    missing: list[str] = field(default_factory=list)  # configured models the service does not offer


def _client(
    provider: str, base_url: str, headers: dict[str, str], key: str, settings: Settings
) -> HttpClient:
    return HttpClient(
        provider,
        base_url,
        headers,
        secrets=[key],
        timeout=settings.http_timeout,
        retries=min(settings.http_retries, 2),
        backoff_base=settings.http_backoff_base,
        backoff_max=settings.http_backoff_max,
    )


def check_gemini(settings: Settings) -> ServiceCheck:
    from popcon.providers.cloud.gemini import RETIRED_MODELS

    if settings.gemini_api_key is None or not settings.gemini_api_key.get_secret_value():
        return ServiceCheck("gemini", None, "no key set (GEMINI_API_KEY / GOOGLE_API_KEY): not asked")
    key = settings.gemini_api_key.get_secret_value()
    http = _client("gemini", settings.gemini_base_url, {"x-goog-api-key": key}, key, settings)
    names: list[str] = []
    token = ""
    try:
        for _ in range(50):  # pages
            query = "pageSize=100" + (f"&pageToken={token}" if token else "")
            data = http.request_json("GET", f"/v1beta/models?{query}", what="models list")
            for m in data.get("models") or []:
                methods = m.get("supportedGenerationMethods") or []
                if isinstance(m, dict) and "generateContent" in methods:
                    names.append(str(m.get("name", "")).removeprefix("models/"))
            token = str(data.get("nextPageToken") or "")
            if not token:
                break
    except PopconError as e:
        return ServiceCheck("gemini", False, str(e))
    finally:
        http.close()
    model = settings.gemini_image_model
    if model in names:
        return ServiceCheck("gemini", True, f"key works; {model} is available ({len(names)} models offered)")
    why = f"retired: {RETIRED_MODELS[model]}" if model in RETIRED_MODELS else "not offered to this key"
    images = ", ".join(n for n in names if "image" in n) or "none"
    return ServiceCheck(
        "gemini",
        True,
        f"key works, but the configured image model {model} is {why}; image models offered: {images}. "
        "Set POPCON_GEMINI_IMAGE_MODEL to one of them",
        [model],
    )


def check_dashscope(settings: Settings) -> ServiceCheck:
    from popcon.providers.cloud.dashscope_tasks import TASK_LIST_PATH

    if settings.dashscope_api_key is None or not settings.dashscope_api_key.get_secret_value():
        return ServiceCheck("dashscope", None, "no key set (DASHSCOPE_API_KEY): not asked")
    key = settings.dashscope_api_key.get_secret_value()
    http = _client(
        "dashscope", settings.dashscope_base_url, {"Authorization": f"Bearer {key}"}, key, settings
    )
    try:
        http.request_json("GET", f"{TASK_LIST_PATH}?page_no=1&page_size=1", what="task list")
    except PopconError as e:
        return ServiceCheck("dashscope", False, str(e))
    finally:
        http.close()
    return ServiceCheck(
        "dashscope",
        True,
        f"key works at {settings.dashscope_base_url}; the service lists no models per key, so "
        f"{settings.dashscope_video_model} / {settings.dashscope_t2i_model} / "
        f"{settings.dashscope_edit_model} are checked only by their first request",
    )


def check_services(settings: Settings) -> list[ServiceCheck]:
    return [check_dashscope(settings), check_gemini(settings)]
