"""The app factory: docs, client-side pages, JSON 404s, startup recovery."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from popcon.domain.actions import load_presets
from popcon.store.db import JobStore
from popcon.web import create_app
from tests.helpers.web import (
    API,
    UNKNOWN,
    assert_error,
    web_settings,
)


def test_docs_and_pages(client: TestClient) -> None:
    assert client.get("/docs").status_code == 200
    assert "/api/v1/jobs" in client.get(f"{API}/openapi.json").json()["paths"]
    for page in ("/", "/create", "/jobs", f"/job/{UNKNOWN}", f"/refine/{UNKNOWN}", f"/results/{UNKNOWN}"):
        r = client.get(page)
        assert r.status_code == 200 and '<main id="view"' in r.text


# ---- startup recovery ------------------------------------------------------------------------
def test_startup_resumes_jobs_left_active(tmp_path: Path) -> None:
    settings = web_settings(tmp_path / "data")
    settings.data_dir.mkdir(parents=True)
    store = JobStore(settings.db_url)
    presets = load_presets()
    left = store.create_job(
        source="sample", actions=[presets["wave"]], platforms=["line-emoji"], auto_export=False
    )
    store.close()
    with TestClient(create_app(settings)) as c:
        deadline = time.monotonic() + 60
        while c.get(f"{API}/jobs/{left.id}").json()["status"] != "awaiting_refinement":
            assert time.monotonic() < deadline, "the job left active was not resumed"
            time.sleep(0.2)


@pytest.mark.parametrize("path", ["/api/v1/nothing", "/static/nothing.js"])
def test_unknown_routes_are_json_404(client: TestClient, path: str) -> None:
    assert_error(client.get(path), 404)
