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
from popcon.providers.cloud.http import AuthError, ModerationError, ProviderError, UnconfirmedRequest

from .conftest import GEMINI_KEY
from .fakes import gemini_image_reply

WAVE = load_presets()["wave"]
PATH = "/v1beta/models/gemini-3.1-flash-image:generateContent"


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
    assert usage == [Usage("gemini", "gemini-3.1-flash-image", "image", 1, 0.067, "USD")]
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


def test_refusals_end_transient(cloud, gs, fox_key):
    busy = (503, {"error": {"code": 503, "status": "UNAVAILABLE", "message": "overloaded"}})
    cloud.gemini_replies += [busy] * 10
    with pytest.raises(TransientError, match="UNAVAILABLE"):
        GeminiImageProvider(gs).character("x", None, fox_key)
    assert len(cloud.requests) == gs.http_retries + 1


@pytest.mark.parametrize(
    "reply",
    [(500, {"error": {"code": 500, "status": "INTERNAL", "message": "x"}}), (200, "{{{")],
    ids=["500", "bad-json"],
)
def test_a_lost_answer_is_not_paid_twice(cloud, gs, fox_key, reply):
    """A 500 or an unreadable answer may follow a billed image: not retried here nor by the runner
    (the error is not transient); the user, told so, resumes and only then is it sent again."""
    cloud.gemini_replies.append(reply)
    provider = GeminiImageProvider(gs)
    with pytest.raises(UnconfirmedRequest, match="not sent again") as e:
        provider.character("x", None, fox_key)
    assert not isinstance(e.value, TransientError) and len(cloud.requests) == 1
    assert provider.character("x", None, fox_key).size == (512, 512)  # the user resumed: sent again
    assert len(cloud.requests) == 2


def test_a_call_cut_off_by_a_crash_is_reported_before_it_is_sent_again(cloud, gs, fox_key, monkeypatch):
    """The process died with the request out (only the intent on disk): the next try says so and
    stops; the try after that (the user resuming) sends it."""
    provider = GeminiImageProvider(gs)

    def die(*_a: object, **_k: object) -> dict[str, object]:
        raise SystemExit("killed")  # stands for the process dying while the request is out

    monkeypatch.setattr(provider, "_generate_rest", die)
    monkeypatch.setattr(provider, "_generate_sdk", die)
    with pytest.raises(SystemExit):
        provider.character("x", None, fox_key)
    monkeypatch.undo()
    again = GeminiImageProvider(gs)
    with pytest.raises(UnconfirmedRequest, match="may have carried it out"):
        again.character("x", None, fox_key)
    assert cloud.requests == []
    assert again.character("x", None, fox_key).size == (512, 512)
    assert len(cloud.requests) == 1


def test_a_paid_image_is_never_paid_again(cloud, gs, fox, fox_key):
    """The image is kept with its request: a runner retry of the same call does not pay again."""
    usage: list[Usage] = []
    first = GeminiImageProvider(gs).start_pose(fox, WAVE, fox_key, usage.append)
    again = GeminiImageProvider(gs).start_pose(fox, WAVE, fox_key, usage.append)
    assert len(cloud.requests) == 1 and len(usage) == 1 and first.tobytes() == again.tobytes()


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


@pytest.mark.parametrize(
    ("reason", "error", "words"),
    [
        ("IMAGE_SAFETY", ModerationError, "safety filter"),
        ("IMAGE_RECITATION", ModerationError, "recites existing"),
        ("IMAGE_PROHIBITED_CONTENT", ModerationError, "prohibited"),
        ("IMAGE_OTHER", ProviderError, "made no image (IMAGE_OTHER)"),
        ("NO_IMAGE", ProviderError, "made no image (NO_IMAGE)"),
    ],
)
def test_a_stop_without_image_says_why(cloud, gs, fox_key, reason, error, words):
    cloud.gemini_replies.append((200, {"candidates": [{"finishReason": reason, "content": {"parts": []}}]}))
    with pytest.raises(error, match=reason) as e:
        GeminiImageProvider(gs).character("x", None, fox_key)
    assert words in str(e.value)
    if error is ProviderError:
        assert not isinstance(e.value, ModerationError)


def test_a_retired_model_fails_before_any_request(cloud, gs):
    with pytest.raises(InvalidInput, match="retired"):
        GeminiImageProvider(gs.model_copy(update={"gemini_image_model": "gemini-2.5-flash-image"}))
    assert cloud.requests == []


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
