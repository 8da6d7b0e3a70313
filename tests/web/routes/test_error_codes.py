"""Every error path of the API answers `{"detail": English message, "code": stable code}`, and the web
UI's catalogues word every code (issue 24: the API stays English, the UI translates by code)."""

from __future__ import annotations

import json
from pathlib import Path

from fastapi.testclient import TestClient
from pydantic import SecretStr

from popcon.web import create_app
from popcon.web.errors import _HTTP_CODES, _STATUS
from tests.helpers.web import API, FOX, THREE, assert_error, web_settings
from tests.web.test_i18n_catalogue import catalogue

SEEN: set[str] = set()


def code_of(r, status: int, code: str) -> dict:  # type: ignore[no-untyped-def]
    body = assert_error(r, status)
    assert body["code"] == code, body
    SEEN.add(code)
    return body


def test_job_error_paths_carry_their_codes(ready_job: tuple[TestClient, dict]) -> None:
    c, job = ready_job
    jid = job["id"]
    fox = ("fox.jpg", FOX.read_bytes(), "image/jpeg")
    code_of(c.get(f"{API}/jobs/0123456789ab"), 404, "not_found")
    code_of(c.post(f"{API}/jobs", data={"actions": THREE}), 400, "invalid_input")  # no image, no prompt
    code_of(c.post(f"{API}/jobs", files={"image": fox}), 422, "validation_error")  # actions missing
    bad_image = ("x.png", b"not an image at all", "image/png")
    code_of(
        c.post(f"{API}/jobs", files={"image": bad_image}, data={"actions": THREE}), 415, "unsupported_format"
    )
    code_of(c.post(f"{API}/cutout", files={"image": bad_image}), 415, "unsupported_format")
    nothing = {"action": 0, "frame": 0}
    code_of(c.post(f"{API}/jobs/{jid}/segment/undo", json=nothing), 409, "conflict")  # no edit to undo
    outside = [{"x": 5000, "y": 10, "positive": True}]
    predict = {"action": 0, "frame": 0, "clicks": outside}
    code_of(c.post(f"{API}/jobs/{jid}/segment/predict", json=predict), 422, "out_of_range")
    code_of(c.get(f"{API}/jobs", params={"limit": 0}), 400, "invalid_input")
    # Captions: one for an action the job does not have is refused, naming it; nothing is stored.
    body = code_of(c.put(f"{API}/jobs/{jid}/captions", json={"text": {"dance": "!"}}), 400, "invalid_input")
    assert "dance" in body["detail"]
    code_of(c.put(f"{API}/jobs/{jid}/captions", json={"lang": "xx"}), 400, "invalid_input")
    code_of(c.put(f"{API}/jobs/{jid}/captions", json=["ja"]), 422, "validation_error")
    assert c.get(f"{API}/jobs/{jid}").json()["captions"] == job["captions"]
    ok = c.put(f"{API}/jobs/{jid}/captions", json={"lang": "ko", "text": {"wave": "안녕!"}})
    assert ok.status_code == 200 and ok.json()["captions"]["text"] == {"wave": "안녕!"}


def test_limits_and_auth_carry_their_codes(tmp_path: Path) -> None:
    small = web_settings(tmp_path / "a").model_copy(update={"max_upload_bytes": 4096})
    with TestClient(create_app(small)) as c:
        files = {"image": ("fox.jpg", FOX.read_bytes(), "image/jpeg")}
        code_of(c.post(f"{API}/jobs", files=files, data={"actions": THREE}), 413, "too_large")
    token = "s3cret-token-for-tests-0123456789"
    guarded = web_settings(tmp_path / "b").model_copy(update={"api_token": SecretStr(token)})
    with TestClient(create_app(guarded)) as c:
        code_of(c.get(f"{API}/jobs"), 401, "unauthorized")
    with TestClient(create_app(web_settings(tmp_path / "c"))) as c:
        busy = c.post(
            f"{API}/jobs",
            files={"image": ("fox.jpg", FOX.read_bytes(), "image/jpeg")},
            data={
                "actions": json.dumps([{"id": "wave"}]),
                "captions": json.dumps({"text": {"wave": "x" * 99}}),
            },
        )
        code_of(busy, 400, "invalid_input")  # a caption too long to read on a sticker


def test_every_code_the_api_sends_is_worded_in_every_language() -> None:
    """The codes these tests saw, every code the error handlers map to, and those of the paths they
    cannot reach here (a full or failing disk, a crash: test_storage_faults.py, test_app.py)."""
    mapped = {cls.code for cls, _ in _STATUS} | set(_HTTP_CODES.values())
    codes = (
        SEEN | mapped | {"storage_full", "storage_unavailable", "internal_error", "unauthorized", "network"}
    )
    for lang in ("en", "ja", "ko"):
        cat = catalogue(lang)
        missing = sorted(c for c in codes if f"error.{c}" not in cat)
        assert not missing, f"{lang}.json has no message for {missing}"
