"""A disk that fills while the server works, on a real 64 MB tmpfs: every refusal is a JSON error,
nothing is left half-made, and a job never shows 'watch' forever."""

from __future__ import annotations

import json
import time
from pathlib import Path

from fastapi.testclient import TestClient

from popcon.web import create_app
from tests.conftest import Disk
from tests.helpers.web import API, FOX, assert_error, create_job, wait_job, web_settings


def _post(c: TestClient):  # type: ignore[no-untyped-def]
    return c.post(
        f"{API}/jobs",
        files={"image": ("fox.jpg", FOX.read_bytes(), "image/jpeg")},
        data={"actions": '[{"id": "wave"}]', "platforms": "line-emoji"},
    )


def _job_folders(data: Path) -> list[Path]:
    jobs = data / "jobs"
    return sorted(jobs.iterdir()) if jobs.is_dir() else []


def _wait_stalled_or_rest(c: TestClient, job_id: str, timeout: float = 120) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        job = c.get(f"{API}/jobs/{job_id}").json()
        if job["resting"] or time.monotonic() > deadline:
            return job
        time.sleep(0.2)


def test_a_refused_post_leaves_no_orphan_folder(small_disk: Disk) -> None:
    data = small_disk.path / "data"
    with TestClient(create_app(web_settings(data))) as c:
        assert c.get(f"{API}/jobs").status_code == 200
        small_disk.fill()  # no room at all: refused before anything is written
        body = assert_error(_post(c), 507)
        assert body["code"] == "storage_full" and "full" in body["detail"]
        assert _job_folders(data) == []
        small_disk.free()
        small_disk.fill(leave=16 << 10)  # room for the write probe, not for the 48 KB upload
        assert_error(_post(c), 507)
        assert _job_folders(data) == [], "the refused job's input folder was left behind"
        small_disk.free()
        assert _post(c).status_code == 201


def test_a_disk_filling_mid_job_stops_it_visibly_and_resume_finishes(small_disk: Disk) -> None:
    data = small_disk.path / "data"
    with TestClient(create_app(web_settings(data))) as c:
        job = create_job(c, json.dumps([{"id": "wave"}, {"id": "jump"}]))
        small_disk.fill()
        stuck = _wait_stalled_or_rest(c, job["id"])
        assert stuck["resting"] and not stuck["busy"], stuck
        if stuck["status"] != "awaiting_refinement":  # the disk filled while it worked (the usual case)
            assert stuck["stalled"] and stuck["next_step"] == "resume", stuck
            assert "full" in stuck["error"], stuck
            assert_error(c.post(f"{API}/jobs/{job['id']}/resume"), 507)  # still full: refused, said so
            small_disk.free()
            assert c.post(f"{API}/jobs/{job['id']}/resume").status_code == 202
        small_disk.free()
        done = wait_job(c, job["id"], timeout=180)
        assert done["status"] == "awaiting_refinement" and not done["stalled"], done


def test_export_on_a_full_disk_answers_an_error_and_a_fill_mid_export_is_resumable(small_disk: Disk) -> None:
    data = small_disk.path / "data"
    with TestClient(create_app(web_settings(data))) as c:
        job = wait_job(c, create_job(c, json.dumps([{"id": "wave"}]))["id"], timeout=180)
        assert job["status"] == "awaiting_refinement", job
        small_disk.fill()
        body = assert_error(c.post(f"{API}/jobs/{job['id']}/export", json={"platforms": ["line-emoji"]}), 507)
        assert "full" in body["detail"]
        assert c.get(f"{API}/jobs/{job['id']}").json()["status"] == "awaiting_refinement"
        small_disk.free()
        small_disk.fill(leave=64 << 10)  # the request is taken; the set does not fit
        assert c.post(f"{API}/jobs/{job['id']}/export", json={"platforms": ["line-emoji"]}).status_code == 202
        stuck = _wait_stalled_or_rest(c, job["id"])
        assert stuck["resting"], stuck
        assert stuck["status"] == "exporting" and stuck["stalled"] and stuck["next_step"] == "resume", stuck
        assert "full" in stuck["error"] and "Errno" not in stuck["error"], stuck
        small_disk.free()
        assert c.post(f"{API}/jobs/{job['id']}/resume").status_code == 202
        done = wait_job(c, job["id"], timeout=180)
        assert done["status"] == "completed" and done["exported"] == ["line-emoji"], done
