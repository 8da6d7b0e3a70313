"""Frames of a finished action: info, raw and cut-out PNGs."""

from __future__ import annotations

import io

from fastapi.testclient import TestClient
from PIL import Image

from tests.helpers.web import (
    API,
    assert_error,
)


def test_frames(ready_job: tuple[TestClient, dict]) -> None:
    c, job = ready_job
    info = c.get(f"{API}/jobs/{job['id']}/actions/0/frames").json()
    assert info["frame_count"] > 4 and info["width"] == 256 and info["edited"] == []
    raw = Image.open(io.BytesIO(c.get(f"{API}/jobs/{job['id']}/actions/0/frames/0/raw").content))
    cut = Image.open(io.BytesIO(c.get(f"{API}/jobs/{job['id']}/actions/0/frames/0/cutout").content))
    assert raw.mode == "RGBA" and cut.mode == "RGBA" and raw.size == cut.size  # the offline clip has alpha
    assert_error(c.get(f"{API}/jobs/{job['id']}/actions/0/frames/999/raw"), 404)
    assert_error(c.get(f"{API}/jobs/{job['id']}/actions/7/frames"), 404)
    assert_error(c.get(f"{API}/jobs/{job['id']}/actions/0/frames/0/secret"), 422)
    assert_error(c.get(f"{API}/jobs/{job['id']}/actions/abc/frames"), 422)
