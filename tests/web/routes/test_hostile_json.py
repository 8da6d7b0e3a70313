"""Deeply nested JSON in any field or body: a 4xx with a clear message, and the connection still
answers the next request (a 500 from a RecursionError used to reset it)."""

from __future__ import annotations

import httpx
import pytest
from fastapi.testclient import TestClient

from tests.helpers.web import API, FOX, UNKNOWN, assert_error

DEEP = "[" * 50_000


def _job_form(**fields: str) -> dict:
    return {"actions": '[{"id": "wave"}]', "platforms": "line-emoji", **fields}


@pytest.mark.parametrize("field", ["actions", "rig"])
def test_deep_form_fields_are_400(client: TestClient, field: str) -> None:
    r = client.post(
        f"{API}/jobs",
        files={"image": ("fox.jpg", FOX.read_bytes(), "image/jpeg")},
        data=_job_form(**{field: DEEP}),
    )
    body = assert_error(r, 400)
    assert "nests deeper" in body["detail"], body


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", f"/jobs/{UNKNOWN}/export"),
        ("PUT", f"/jobs/{UNKNOWN}/rig"),
        ("POST", f"/jobs/{UNKNOWN}/actions/0/frames/0/click"),
    ],
)
def test_deep_json_bodies_are_4xx(client: TestClient, method: str, path: str) -> None:
    r = client.request(method, f"{API}{path}", content=DEEP, headers={"content-type": "application/json"})
    assert 400 <= r.status_code < 500, r.text
    assert r.json()["detail"]


def test_the_connection_still_answers_after_a_deep_request(live_server: str) -> None:
    with httpx.Client(base_url=live_server, timeout=30) as http:
        deep = http.post(
            f"{API}/jobs",
            files={"image": ("fox.jpg", FOX.read_bytes(), "image/jpeg")},
            data=_job_form(actions=DEEP),
        )
        assert deep.status_code == 400, deep.text
        after = http.get(f"{API}/health")  # same keep-alive connection
        assert after.status_code == 200 and after.json()["status"] == "ok"
