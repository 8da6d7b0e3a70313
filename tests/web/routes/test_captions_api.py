"""The create endpoint takes the caption choice and the store text as JSON form fields."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient

from tests.helpers.web import API, FOX, assert_error

WAVE = json.dumps([{"id": "wave"}])


def test_captions_and_store_text_are_checked_then_stored(client: TestClient) -> None:
    fox = ("fox.jpg", FOX.read_bytes(), "image/jpeg")
    form = {"actions": WAVE, "platforms": "line-sticker"}
    for bad, words in (
        ("{not json", "captions must be JSON"),
        ('{"lang": "fr"}', "not one of"),
        ('{"text": {"jump": "Boing"}}', "not one of the chosen actions"),
        ('"ja"', "JSON object"),
    ):
        body = assert_error(
            client.post(f"{API}/jobs", files={"image": fox}, data={**form, "captions": bad}), 400
        )
        assert words in body["detail"], body
    long = json.dumps({"en": {"title": "x" * 60, "description": "d"}})
    assert_error(client.post(f"{API}/jobs", files={"image": fox}, data={**form, "submission": long}), 400)
    assert client.get(f"{API}/jobs").json()["jobs"] == []

    captions = json.dumps({"lang": "ja", "text": {"wave": "やあ!"}, "motion": "bounce"})
    store = json.dumps({"ja": {"title": "きつね", "description": "毎日のきつね"}})
    r = client.post(
        f"{API}/jobs", files={"image": fox}, data={**form, "captions": captions, "submission": store}
    )
    assert r.status_code == 201, r.text
    job_id = r.json()["id"]
    client.post(f"{API}/jobs/{job_id}/cancel")
    options = client.app.state.services.get_job(job_id).options  # type: ignore[attr-defined]
    assert options.captions.lang == "ja" and options.captions.text == {"wave": "やあ!"}
    assert options.submission["ja"].title == "きつね"


def test_caption_defaults_for_an_editor(client: TestClient) -> None:
    body = client.get(f"{API}/captions").json()
    assert set(body["languages"]) >= {"en", "ja", "ko", "zh-Hant", "th"}
    assert body["captions"]["bow"]["ja"] == "ありがとう!" and body["max_chars"] > 0
    assert body["submission_limits"]["line"]["title_max"] == 40
