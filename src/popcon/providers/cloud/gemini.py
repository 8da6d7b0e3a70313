"""Google Gemini image generation and editing ("Nano Banana") through `generateContent`.

Two transports, same request (`responseModalities: ["IMAGE"]`, `imageConfig.aspectRatio: "1:1"`):
REST over httpx (default: no extra dependency, the shared retry policy and key hygiene) or the
google-genai SDK (`gemini_transport = "sdk"`, extra `popcon[gemini]`), whose own retries are
turned off so that both follow the same bounded, jittered policy and error classes.
"""

from __future__ import annotations

import base64
import logging
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from PIL import Image

from popcon.domain.actions import ActionPreset
from popcon.domain.errors import InvalidInput, TransientError
from popcon.providers.base import NoRigs, PlannedWork, ProviderListing, Usage, UsageSink, ignore_usage
from popcon.providers.cloud import limits, prompts
from popcon.providers.cloud.http import (
    REFUSED_STATUS,
    AuthError,
    HttpClient,
    ModerationError,
    ProviderError,
    UnconfirmedRequest,
    backoff_delay,
    redact,
    sleep_checking,
)
from popcon.providers.cloud.images import decode_image, flatten_on_key, png_b64, square_on_key
from popcon.providers.cloud.ledger import CallLedgers, PaidCall, digest
from popcon.providers.cloud.prices import priced_usage
from popcon.providers.registry import IMAGE_PROVIDERS
from popcon.settings import Settings

log = logging.getLogger(__name__)

NAME = "gemini"
IMAGE_MODELS: dict[str, str] = {
    "gemini-3.1-flash-image": "image generation and editing (default; GA 28 May 2026)",
    "gemini-3-pro-image": "image generation and editing, higher quality (GA 28 May 2026)",
}
# Shut down by Google (deprecations page): named so a setting that still uses one fails clearly.
RETIRED_MODELS: dict[str, str] = {
    "gemini-2.5-flash-image": "shut down on 2 Oct 2026; use gemini-3.1-flash-image",
    "gemini-2.5-flash-image-preview": "shut down; use gemini-3.1-flash-image",
    "gemini-3.1-flash-image-preview": "shut down on 25 Jun 2026; use gemini-3.1-flash-image",
    "gemini-3-pro-image-preview": "shut down on 25 Jun 2026; use gemini-3-pro-image",
}
# Finish reasons of a candidate that stopped without an image, and what to tell the user.
_NO_IMAGE = {
    "IMAGE_SAFETY": "the image was blocked by the safety filter",
    "IMAGE_PROHIBITED_CONTENT": "the image was blocked as prohibited content",
    "IMAGE_RECITATION": "the image was blocked because it recites existing (protected) material",
    "SAFETY": "the answer was blocked by the safety filter",
    "PROHIBITED_CONTENT": "the answer was blocked as prohibited content",
    "BLOCKLIST": "the request holds a blocked term",
    "SPII": "the answer would hold sensitive personal information",
    "RECITATION": "the answer was blocked because it recites existing material",
}


def _api_key(settings: Settings) -> str:
    if settings.gemini_api_key is None or not settings.gemini_api_key.get_secret_value():
        raise InvalidInput("the gemini provider needs a key: set GEMINI_API_KEY (or GOOGLE_API_KEY)")
    return settings.gemini_api_key.get_secret_value()


@IMAGE_PROVIDERS.register(NAME)
class GeminiImageProvider(NoRigs):
    """Character and start poses from `generateContent` with an image-only response."""

    name = NAME
    offline = False

    @classmethod
    def listing(cls, settings: Settings) -> ProviderListing:
        key = settings.gemini_api_key
        return ProviderListing(
            IMAGE_MODELS,
            "GEMINI_API_KEY / GOOGLE_API_KEY",
            key is not None and bool(key.get_secret_value()),
            f"{settings.gemini_image_model} via {settings.gemini_transport} @ {settings.gemini_base_url}",
        )

    @classmethod
    def estimate(cls, settings: Settings, work: PlannedWork) -> list[Usage]:
        n = work.characters + work.start_poses
        return [priced_usage(NAME, settings.gemini_image_model, "image", n, estimated=True)] if n else []

    @classmethod
    def price_keys(cls, settings: Settings) -> list[tuple[str, str, str]]:
        return [(NAME, m, "") for m in IMAGE_MODELS]

    def __init__(self, settings: Settings, sleep: Callable[[float], None] = time.sleep) -> None:
        key = _api_key(settings)
        self.settings = settings
        self.model = settings.gemini_image_model
        if self.model in RETIRED_MODELS:
            raise InvalidInput(
                f"the gemini image model {self.model} is retired ({RETIRED_MODELS[self.model]}): "
                "set POPCON_GEMINI_IMAGE_MODEL to a current one (`popcon providers --check` lists them)"
            )
        self.ledgers = CallLedgers(settings.data_dir / "paid-calls" / NAME)
        self._key = key
        self._sleep = sleep
        self._sdk = _sdk_client(settings, key) if settings.gemini_transport == "sdk" else None
        self.http = HttpClient(
            NAME,
            settings.gemini_base_url,
            {"x-goog-api-key": key, "Content-Type": "application/json"},
            secrets=[key],
            timeout=settings.http_timeout,
            retries=settings.http_retries,
            backoff_base=settings.http_backoff_base,
            backoff_max=settings.http_backoff_max,
            sleep=sleep,
        )

    def character(
        self,
        prompt: str,
        reference: Image.Image | None,
        key_color: tuple[int, int, int],
        on_usage: UsageSink = ignore_usage,
    ) -> Image.Image:
        text = prompts.character_prompt(prompt, key_color, with_reference=reference is not None)
        image = flatten_on_key(reference, key_color) if reference is not None else None
        return square_on_key(self.generate(text, image, on_usage), key_color)

    def start_pose(
        self,
        character: Image.Image,
        action: ActionPreset,
        key_color: tuple[int, int, int],
        on_usage: UsageSink = ignore_usage,
    ) -> Image.Image:
        text = prompts.start_pose_prompt(action, key_color)
        return square_on_key(self.generate(text, flatten_on_key(character, key_color), on_usage), key_color)

    @property
    def transport(self) -> str:
        """Which transport `generate` uses: "sdk" (google-genai) or "rest" (httpx)."""
        return "sdk" if self._sdk is not None else "rest"

    def generate(
        self, text: str, image: Image.Image | None, on_usage: UsageSink = ignore_usage
    ) -> Image.Image:
        png = png_b64(image) if image is not None else None
        key = digest({"model": self.model, "text": text, "image": png, "transport": "generateContent"})
        call = PaidCall(self.ledgers.entry(key), NAME, "image request", self.model)
        if (kept := call.cached()) is not None:
            return decode_image(kept, NAME)
        with limits.slot(f"{NAME}:image", self.settings.image_concurrency):
            transport = self._generate_sdk if self._sdk is not None else self._generate_rest
            data = call.send(lambda: transport(text, png))
        try:
            raw = self._image_from(data, on_usage)
        except ProviderError:
            call.refused()  # answered without an image: nothing to keep
            raise
        call.done(raw)
        return decode_image(raw, NAME)

    def request_body(self, text: str, png: str | None) -> dict[str, Any]:
        parts: list[dict[str, Any]] = [{"text": text}]
        if png is not None:
            parts.append({"inline_data": {"mime_type": "image/png", "data": png}})
        return {
            "contents": [{"role": "user", "parts": parts}],
            "generationConfig": {"responseModalities": ["IMAGE"], "imageConfig": {"aspectRatio": "1:1"}},
        }

    def _generate_rest(self, text: str, png: str | None) -> dict[str, Any]:
        path = f"/v1beta/models/{quote(self.model, safe='.-_')}:generateContent"
        return self.http.request_json(
            "POST", path, body=self.request_body(text, png), what="image request", idempotent=False
        )

    def _generate_sdk(self, text: str, png: str | None) -> dict[str, Any]:
        """One SDK call with the shared retry policy; the answer as a plain dict (bytes kept raw).

        Only refusals are sent again (429, 503, a connection that never opened); any other
        failure may have been carried out and billed, so it raises `UnconfirmedRequest`."""
        from google.genai import errors, types

        contents: list[Any] = [text]
        if png is not None:  # PNG bytes, as REST sends: the SDK's own PIL path may pick another format
            contents.append(types.Part.from_bytes(data=base64.b64decode(png), mime_type="image/png"))
        config = types.GenerateContentConfig(
            response_modalities=["IMAGE"], image_config=types.ImageConfig(aspect_ratio="1:1")
        )
        s = self.settings
        last = "no answer"
        assert self._sdk is not None
        for attempt in range(s.http_retries + 1):
            if attempt:
                delay = backoff_delay(attempt, s.http_backoff_base, s.http_backoff_max)
                log.info("%s: %s; retry %d in %.2fs", NAME, last, attempt, delay)
                sleep_checking(delay, lambda: None, self._sleep)
            try:
                r = self._sdk.models.generate_content(model=self.model, contents=contents, config=config)
            except errors.APIError as e:
                code = int(getattr(e, "code", 0) or 0)
                detail = self._clean(f"{getattr(e, 'status', '') or ''}: {getattr(e, 'message', '') or ''}")
                if code in REFUSED_STATUS:
                    last = f"HTTP {code} {detail}"
                    continue
                if code >= 500:
                    raise self._unconfirmed(f"HTTP {code} {detail}") from None
                text_ = f"{NAME} refused the image request (HTTP {code} {detail})"
                if code in (401, 403) or "api key" in detail.lower():
                    raise AuthError(f"{text_}; check the API key") from None
                raise ProviderError(text_) from None
            except ValueError as e:  # an answer that is not JSON (a proxy's error page): as REST does
                raise self._unconfirmed(f"unreadable JSON in the answer ({type(e).__name__})") from None
            except Exception as e:
                if not _looks_like_network(e):
                    raise
                if not _never_connected(e):
                    raise self._unconfirmed(f"connection broke ({type(e).__name__})") from None
                last = f"connection failed ({type(e).__name__})"
                continue
            return r.model_dump(exclude_none=True)
        raise TransientError(f"{NAME}: {last} (gave up after {s.http_retries + 1} tries)")

    def _clean(self, text: str) -> str:
        return redact(text, [self._key])

    def _unconfirmed(self, reason: str) -> UnconfirmedRequest:
        return UnconfirmedRequest(
            self._clean(
                f"{NAME}: the image request was sent but its answer was lost ({reason}); the service "
                "may have carried it out and will bill it, so it was not sent again"
            )
        )

    def _image_from(self, data: dict[str, Any], on_usage: UsageSink) -> bytes:
        """The PNG bytes of the answer's image; a clear moderation / no-image error otherwise."""
        feedback = data.get("promptFeedback") or data.get("prompt_feedback") or {}
        block = _plain(feedback.get("blockReason") or feedback.get("block_reason"))
        if block:
            raise ModerationError(f"{NAME}: the prompt was blocked ({block}); change the prompt or the image")
        candidates = data.get("candidates") or []
        texts: list[str] = []
        reasons: list[str] = []
        for cand in candidates:
            reasons.append(_plain(cand.get("finishReason") or cand.get("finish_reason")))
            for part in (cand.get("content") or {}).get("parts") or []:
                inline = part.get("inlineData") or part.get("inline_data")
                if inline and inline.get("data"):
                    raw = inline["data"]
                    if isinstance(raw, str):
                        try:
                            raw = base64.b64decode(raw, validate=False)
                        except ValueError as e:
                            raise ProviderError(f"{NAME}: the image in the answer is not base64") from e
                    on_usage(priced_usage(NAME, self.model, "image", 1))
                    decode_image(raw, NAME)  # an unreadable image fails here, before it is kept
                    return bytes(raw)
                if part.get("text"):
                    texts.append(str(part["text"]))
        said = f" (the model said: {' '.join(texts)[:200]})" if texts else ""
        blocked = [r for r in reasons if r in _NO_IMAGE]
        if blocked:
            why = "; ".join(dict.fromkeys(_NO_IMAGE[r] for r in blocked))
            raise ModerationError(
                f"{NAME}: no image, {why} ({', '.join(dict.fromkeys(blocked))}); change the prompt or "
                f"the image{said}"
            )
        if "NO_IMAGE" in reasons or "IMAGE_OTHER" in reasons:
            reason = "NO_IMAGE" if "NO_IMAGE" in reasons else "IMAGE_OTHER"
            raise ProviderError(
                f"{NAME}: the model made no image ({reason}); try again or word the prompt more plainly{said}"
            )
        said = f": {' '.join(texts)[:200]}" if texts else ""
        raise ProviderError(f"{NAME}: the answer holds no image{said}")


def _plain(value: Any) -> str:
    """An SDK enum or a REST string, as the bare name ("STOP", "SAFETY")."""
    if value is None:
        return ""
    return str(getattr(value, "value", value))


def _never_connected(e: BaseException) -> bool:
    """A connection that was never opened: the request cannot have reached the service."""
    names = " ".join(c.__name__ for c in type(e).__mro__)
    return "ConnectError" in names or "ConnectTimeout" in names or "ConnectionRefused" in names


def _looks_like_network(e: BaseException) -> bool:
    names = " ".join(c.__name__ for c in type(e).__mro__)
    return any(
        w in names for w in ("Timeout", "Connect", "Network", "Transport", "Protocol", "RemoteDisconnected")
    )


def _sdk_client(settings: Settings, key: str) -> Any:
    """A google-genai client aimed at `gemini_base_url`, with its own retries off (ours apply)."""
    try:
        from google import genai
        from google.genai import types
    except ImportError as e:
        raise InvalidInput(
            "gemini_transport = 'sdk' needs the google-genai package: pip install 'popcon[gemini]'"
        ) from e
    options = types.HttpOptions(
        base_url=settings.gemini_base_url,
        api_version="v1beta",
        timeout=int(settings.http_timeout * 1000),
        retry_options=types.HttpRetryOptions(attempts=1),
    )
    return genai.Client(api_key=key, http_options=options)
