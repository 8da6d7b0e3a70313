"""The app factory: docs, client-side pages, JSON 404s, startup recovery."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from popcon.domain.actions import load_presets
from popcon.store.db import JobStore
from popcon.web import create_app
from tests.helpers.web import (
    API,
    FOX,
    THREE,
    UNKNOWN,
    assert_error,
    web_settings,
)


def test_docs_and_pages(client: TestClient) -> None:
    assert client.get("/docs").status_code == 200
    assert client.get(f"{API}/platforms").json()[1]["set_sizes"] == [8, 16, 24]  # line-sticker
    assert client.get(f"{API}/config").json()["max_image_pixels"] > 0
    assert "/api/v1/jobs" in client.get(f"{API}/openapi.json").json()["paths"]
    for page in ("/", "/create", "/jobs", f"/job/{UNKNOWN}", f"/refine/{UNKNOWN}", f"/results/{UNKNOWN}"):
        r = client.get(page)
        assert r.status_code == 200 and '<main id="view"' in r.text


def test_docs_and_redoc_load_every_asset_from_the_app(client: TestClient) -> None:
    """Offline docs: the pages name no other host, and each script and stylesheet they name is served."""
    import re

    for page in ("/docs", "/redoc"):
        html = client.get(page).text
        assert "https://" not in html.replace("https://fastapi.tiangolo.com", ""), page
        assets = re.findall(r'(?:src|href)="(/[^"]+)"', html)
        assert assets, page
        for url in assets:
            r = client.get(url)
            assert r.status_code == 200 and len(r.content) > 1000, url


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


def test_json_bodies_are_capped(client: TestClient) -> None:
    huge = json.dumps({"platforms": ["x" * 400_000]})
    body = assert_error(
        client.post(
            f"{API}/jobs/{UNKNOWN}/export", content=huge, headers={"content-type": "application/json"}
        ),
        413,
    )
    assert body["code"] == "too_large"


def test_a_read_only_data_folder_is_a_json_503(small_disk, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    (small_disk.path / "data").mkdir()
    small_disk.remount("ro")  # the files folder is read-only; the database lives elsewhere
    settings = web_settings(small_disk.path / "data").model_copy(
        update={"database_url": f"sqlite:///{tmp_path / 'jobs.db'}"}
    )
    with TestClient(create_app(settings)) as c:
        fox = {"image": ("fox.jpg", FOX.read_bytes(), "image/jpeg")}
        body = assert_error(c.post(f"{API}/jobs", files=fox, data={"actions": THREE}), 503)
        assert body["code"] == "storage_unavailable" and "cannot be written" in body["detail"]
        assert c.get(f"{API}/jobs").json()["jobs"] == []  # nothing half-recorded
