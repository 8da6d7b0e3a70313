"""What the web tests share besides fixtures: the API prefix, a job to submit, polling, error checks."""

from __future__ import annotations

import io
import json
import time
from pathlib import Path

import httpx
import numpy as np
from fastapi.testclient import TestClient
from PIL import Image

from popcon.settings import Settings
from tests.conftest import SAMPLES

API = "/api/v1"
UNKNOWN = "0123456789ab"
FOX = SAMPLES / "fox_on_white.jpg"
THREE = json.dumps([{"id": "wave"}, {"id": "jump"}, {"id": "laugh"}])


def web_settings(data_dir: Path) -> Settings:
    return Settings(data_dir=data_dir, clip_size=256, retry_base_delay=0.01, workers=2)


def wait_job(client: TestClient, job_id: str, *, rest: bool = True, timeout: float = 90.0) -> dict:
    """Poll until the job rests (nothing runs for it) and return it."""
    deadline = time.monotonic() + timeout
    while True:
        job = client.get(f"/api/v1/jobs/{job_id}").json()
        if job["resting"] or time.monotonic() > deadline:
            return job
        time.sleep(0.2)


def create_job(client: TestClient, actions: str = THREE, **headers: str) -> dict:
    r = client.post(
        "/api/v1/jobs",
        files={"image": ("fox.jpg", FOX.read_bytes(), "image/jpeg")},
        data={"actions": actions, "platforms": "line-emoji"},
        headers=headers,
    )
    assert r.status_code in (200, 201), r.text
    return r.json()


def assert_error(r, status: int) -> dict:  # type: ignore[no-untyped-def]
    assert r.status_code == status, r.text
    body = r.json()
    assert isinstance(body["detail"], str) and body["detail"], body
    assert body["code"]
    return body


def png_bytes(size: tuple[int, int] = (64, 64)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, (250, 250, 250)).save(buf, "PNG")
    return buf.getvalue()


def alpha_of(base: str, job_id: str, action: int, frame: int) -> np.ndarray:
    """A frame's current cut-out alpha (0..1) from a live server."""
    r = httpx.get(f"{base}{API}/jobs/{job_id}/actions/{action}/frames/{frame}/cutout", timeout=10)
    r.raise_for_status()
    return np.asarray(Image.open(io.BytesIO(r.content)).convert("RGBA"))[..., 3].astype(np.float32) / 255


def shot(page, path: Path) -> None:  # type: ignore[no-untyped-def]
    """Full-page screenshot from the top (a sticky header would otherwise float mid-page)."""
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=path, full_page=True)


# ---- a live server (the browser tests): the API over HTTP ----------------------------------------
def live_api(base: str) -> httpx.Client:
    """A client of a live server's API (`base`: its root URL)."""
    return httpx.Client(base_url=f"{base}{API}", timeout=60)


def start_live_job(base: str, actions: list[str], platforms: str = "line-emoji", **data: str) -> str:
    """Submit the fox with `actions` for `platforms` (`data`: more form fields) and return its id."""
    with live_api(base) as c:
        r = c.post(
            "/jobs",
            files={"image": ("fox.jpg", FOX.read_bytes(), "image/jpeg")},
            data={"actions": json.dumps([{"id": a} for a in actions]), "platforms": platforms, **data},
        )
        assert r.status_code == 201, r.text
        return str(r.json()["id"])


def wait_live_rest(base: str, job_id: str, timeout: float = 240.0) -> dict:
    """Poll until the job rests; fails naming its status when it does not within `timeout`."""
    deadline = time.monotonic() + timeout
    with live_api(base) as c:
        while True:
            job = c.get(f"/jobs/{job_id}").json()
            if job["resting"]:
                return dict(job)
            assert time.monotonic() < deadline, f"job {job_id} never rested: {job['status']}"
            time.sleep(0.3)


def export_live(base: str, job_id: str) -> dict:
    """Export the job for its platforms and return it once it rests again."""
    with live_api(base) as c:
        assert c.post(f"/jobs/{job_id}/export", json={}).status_code == 202
    time.sleep(0.5)  # the status moves to exporting before the poll reads it
    return wait_live_rest(base, job_id)
