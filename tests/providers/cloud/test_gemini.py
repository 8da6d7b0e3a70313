"""The Gemini image client against the local `generateContent` server."""

from __future__ import annotations

import base64
import io

import pytest
from PIL import Image

from popcon.domain.actions import load_presets
from popcon.domain.errors import InvalidInput, TransientError
from popcon.providers.base import Usage
from popcon.providers.cloud.gemini import GeminiImageProvider
from popcon.providers.cloud.http import AuthError, ModerationError, ProviderError

from .conftest import GEMINI_KEY
from .fakes import gemini_image_reply

WAVE = load_presets()["wave"]
PATH = "/v1beta/models/gemini-2.5-flash-image:generateContent"


@pytest.fixture(params=["rest", "sdk"])
def gs(request, cloud_settings):
    """The same behaviour is required of both transports (REST over httpx, google-genai SDK)."""
    if request.param == "sdk":
        pytest.importorskip("google.genai")
    return cloud_settings.model_copy(update={"gemini_transport": request.param})


def test_start_pose_sends_the_character_and_returns_the_image(cloud, gs, fox, fox_key):
    usage: list[Usage] = []
    im = GeminiImageProvider(gs).start_pose(fox, WAVE, fox_key, usage.append)
    assert im.mode == "RGB" and im.size == (512, 512)
    assert usage == [Usage("gemini", "gemini-2.5-flash-image", "image", 1, 0.039, "USD")]
    (req,) = cloud.requests
    assert req.path == PATH and req.headers["x-goog-api-key"] == GEMINI_KEY
    assert GEMINI_KEY not in req.path  # the key goes in a header, never in the URL
    body = req.body
    assert body["generationConfig"] == {
        "responseModalities": ["IMAGE"],
        "imageConfig": {"aspectRatio": "1:1"},
    }
    text, image = body["contents"][0]["parts"]
    assert "ONE character" in text["text"] and "feet" in text["text"]
    inline = image.get("inline_data") or image["inlineData"]
    sent = Image.open(io.BytesIO(base64.b64decode(inline["data"].replace("-", "+").replace("_", "/"))))
    assert sent.mode == "RGB" and sent.getpixel((1, 1)) == fox_key


def test_character_from_a_prompt_alone_sends_only_text(cloud, gs, fox_key):
    im = GeminiImageProvider(gs).character("a small robot", None, fox_key)
    assert im.size == (512, 512)
    assert len(cloud.requests[0].body["contents"][0]["parts"]) == 1


def test_a_wide_answer_is_padded_square_on_the_key(cloud, gs, fox_key):
    buf = io.BytesIO()
    Image.new("RGB", (400, 200), (10, 20, 30)).save(buf, format="PNG")
    cloud.gemini_replies.append((200, gemini_image_reply(buf.getvalue())))
    im = GeminiImageProvider(gs).character("x", None, fox_key)
    assert (
        im.size == (400, 400) and im.getpixel((0, 0)) == fox_key and im.getpixel((200, 200)) == (10, 20, 30)
    )


def test_throttling_then_success(cloud, gs, fox_key):
    busy = (429, {"error": {"code": 429, "message": "Resource exhausted", "status": "RESOURCE_EXHAUSTED"}})
    cloud.gemini_replies += [busy, (503, {"error": {"code": 503, "status": "UNAVAILABLE", "message": "x"}})]
    GeminiImageProvider(gs).character("x", None, fox_key)
    assert len(cloud.requests) == 3


def test_server_errors_end_transient(cloud, gs, fox_key):
    cloud.gemini_replies += [(500, {"error": {"code": 500, "status": "INTERNAL", "message": "x"}})] * 10
    with pytest.raises(TransientError, match="INTERNAL"):
        GeminiImageProvider(gs).character("x", None, fox_key)


def test_a_bad_key_is_an_auth_error_without_the_key(cloud, gs, fox_key):
    bad = gs.model_copy(update={"gemini_api_key": type(gs.gemini_api_key)("AIza-wrong-999")})
    with pytest.raises(AuthError) as e:
        GeminiImageProvider(bad).character("x", None, fox_key)
    assert "AIza-wrong-999" not in str(e.value) and len(cloud.requests) == 1


def test_no_key_is_refused(gs):
    with pytest.raises(InvalidInput, match="GEMINI_API_KEY"):
        GeminiImageProvider(gs.model_copy(update={"gemini_api_key": None}))


def test_a_blocked_prompt_is_a_moderation_error(cloud, gs, fox_key):
    cloud.gemini_replies.append((200, {"promptFeedback": {"blockReason": "PROHIBITED_CONTENT"}}))
    with pytest.raises(ModerationError, match="PROHIBITED_CONTENT"):
        GeminiImageProvider(gs).character("x", None, fox_key)
    assert len(cloud.requests) == 1


def test_a_safety_stop_without_image_is_a_moderation_error(cloud, gs, fox_key):
    cloud.gemini_replies.append(
        (200, {"candidates": [{"finishReason": "IMAGE_SAFETY", "content": {"parts": []}}]})
    )
    with pytest.raises(ModerationError, match="IMAGE_SAFETY"):
        GeminiImageProvider(gs).character("x", None, fox_key)


def test_a_text_only_answer_is_a_clear_error(cloud, gs, fox_key):
    reply = {
        "candidates": [{"finishReason": "STOP", "content": {"parts": [{"text": "I cannot draw that."}]}}]
    }
    cloud.gemini_replies.append((200, reply))
    with pytest.raises(ProviderError, match="no image: I cannot draw that"):
        GeminiImageProvider(gs).character("x", None, fox_key)


def test_an_invalid_argument_is_not_retried(cloud, gs, fox_key):
    cloud.gemini_replies.append(
        (400, {"error": {"code": 400, "status": "INVALID_ARGUMENT", "message": "bad size"}})
    )
    with pytest.raises(ProviderError, match="INVALID_ARGUMENT") as e:
        GeminiImageProvider(gs).character("x", None, fox_key)
    assert not isinstance(e.value, (TransientError, AuthError)) and len(cloud.requests) == 1


def test_malformed_json_then_success(cloud, gs, fox_key):
    cloud.gemini_replies.append((200, "{{{"))
    GeminiImageProvider(gs).character("x", None, fox_key)
    assert len(cloud.requests) == 2


def test_an_undecodable_image_is_a_clear_error(cloud, gs, fox_key):
    cloud.gemini_replies.append((200, gemini_image_reply(b"not a png")))
    with pytest.raises(ProviderError, match="cannot be read"):
        GeminiImageProvider(gs).character("x", None, fox_key)


def test_each_transport_really_sends_the_request(cloud, gs, fox, fox_key):
    """`gemini_transport = "sdk"` goes through google-genai (its client headers), "rest" through httpx."""
    provider = GeminiImageProvider(gs)
    assert provider.transport == gs.gemini_transport
    provider.start_pose(fox, WAVE, fox_key)
    (req,) = cloud.requests
    headers = {k.lower(): v for k, v in req.headers.items()}
    sdk = "google-genai-sdk" in headers.get("x-goog-api-client", "") + headers.get("user-agent", "")
    assert sdk == (gs.gemini_transport == "sdk"), headers
    assert req.path == PATH and headers["x-goog-api-key"] == GEMINI_KEY
