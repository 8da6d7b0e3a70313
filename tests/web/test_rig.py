"""Rig API: detect on an upload, send the edited rig with the job, read and replace a job's rig."""

from __future__ import annotations

import io
import json
import time

import pytest
from fastapi.testclient import TestClient
from PIL import Image

from ..conftest import BENCH

CHAR = BENCH / "rig" / "char2"


def girl_png() -> bytes:
    im = Image.open(CHAR / "texture.png").convert("RGBA")
    im.putalpha(Image.open(CHAR / "mask.png").convert("L"))
    buf = io.BytesIO()
    im.save(buf, "PNG")
    return buf.getvalue()


def _poll_rig(client: TestClient, job_id: str, timeout: float = 60.0) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        r = client.get(f"/api/v1/jobs/{job_id}/rig")
        if r.status_code == 200:
            return r.json()
        assert r.status_code == 404, r.text
        time.sleep(0.2)
    raise AssertionError("the job made no rig")


@pytest.mark.skipif(not CHAR.exists(), reason="shared bench data not present")
def test_detect_edit_submit_and_replace(client: TestClient) -> None:
    png = girl_png()
    r = client.post("/api/v1/rig", files={"image": ("girl.png", png, "image/png")})
    assert r.status_code == 200, r.text
    rig = r.json()
    assert rig["has_arms"] and rig["has_legs"] and (rig["width"], rig["height"]) == (333, 392)
    rig["joints"]["right_hand"] = [30.0, 40.0]
    rig["has_legs"] = False

    bad = dict(rig, joints={**rig["joints"], "left_wing": [1, 1]})
    r = client.post(
        "/api/v1/jobs",
        files={"image": ("girl.png", png, "image/png")},
        data={"actions": json.dumps([{"id": "wave"}]), "rig": json.dumps(bad)},
    )
    assert r.status_code == 400 and "joints.left_wing" in r.text

    r = client.post(
        "/api/v1/jobs",
        files={"image": ("girl.png", png, "image/png")},
        data={"actions": json.dumps([{"id": "wave"}]), "rig": json.dumps(rig)},
    )
    assert r.status_code == 201, r.text
    job_id = r.json()["id"]
    stored = _poll_rig(client, job_id)
    assert stored["source"] == "user" and stored["joints"]["right_hand"] == [30.0, 40.0]
    assert stored["has_arms"] and not stored["has_legs"]

    broken = dict(stored, version=99)
    r = client.put(f"/api/v1/jobs/{job_id}/rig", json=broken)
    assert r.status_code == 400 and "version" in r.text
    r = client.put(f"/api/v1/jobs/{job_id}/rig", json=dict(stored, width=1000))
    assert r.status_code == 400 and "width/height" in r.text
    assert client.get(f"/api/v1/jobs/{job_id}/rig").json() == stored  # the last good rig stays

    moved = dict(stored, joints={**stored["joints"], "neck": [160.0, 60.0]})
    r = client.put(f"/api/v1/jobs/{job_id}/rig", json=moved)
    assert r.status_code == 200, r.text
    assert client.get(f"/api/v1/jobs/{job_id}/rig").json()["joints"]["neck"] == [160.0, 60.0]


def test_face_only_upload_gets_the_whole_body_rig(client: TestClient) -> None:
    from ..conftest import SAMPLES

    r = client.post(
        "/api/v1/rig", files={"image": ("fox.png", (SAMPLES / "fox.png").read_bytes(), "image/png")}
    )
    assert r.status_code == 200
    assert not r.json()["has_arms"] and not r.json()["has_legs"] and r.json()["note"]
    assert client.get("/api/v1/jobs/0123456789ab/rig").status_code == 404
