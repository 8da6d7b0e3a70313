"""The HTTP API against a real SQLite store: status codes, JSON errors, idempotent create, SSE, refine,
export and downloads."""

from __future__ import annotations

import io
import json
import threading
import time
import zipfile
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient
from PIL import Image
from pydantic import SecretStr

from popcon.domain.actions import load_presets
from popcon.domain.status import ActionStatus
from popcon.store.db import JobStore
from popcon.web import create_app

from .conftest import FOX, THREE, create_job, wait_job, web_settings

API = "/api/v1"
UNKNOWN = "0123456789ab"


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


# ---- service endpoints ------------------------------------------------------------------------
def test_health_version_presets_and_docs(client: TestClient) -> None:
    assert client.get(f"{API}/health").json() == {"status": "ok", "jobs_dir_writable": True}
    assert client.get(f"{API}/version").json()["api"] == "v1"
    actions = client.get(f"{API}/actions").json()
    assert {a["id"] for a in actions} == set(load_presets())
    assert all(a["motion_prompt"] for a in actions)
    platforms = {p["id"]: p for p in client.get(f"{API}/platforms").json()}
    assert platforms["line-emoji"]["implemented"] and platforms["line-emoji"]["width"] == 180
    assert client.get(f"{API}/config").json()["offline"] is True
    assert client.get("/docs").status_code == 200
    assert client.get(f"{API}/platforms").json()[1]["set_sizes"] == [8, 16, 24]  # line-sticker
    assert client.get(f"{API}/config").json()["max_image_pixels"] > 0
    assert "/api/v1/jobs" in client.get(f"{API}/openapi.json").json()["paths"]
    for page in ("/", "/create", "/jobs", f"/job/{UNKNOWN}", f"/refine/{UNKNOWN}", f"/results/{UNKNOWN}"):
        r = client.get(page)
        assert r.status_code == 200 and '<main id="view"' in r.text


# ---- create: validation and error codes ------------------------------------------------------------
def test_create_errors(client: TestClient, tmp_path: Path) -> None:
    fox = ("fox.jpg", FOX.read_bytes(), "image/jpeg")
    assert_error(client.post(f"{API}/jobs", data={"actions": THREE}), 400)  # neither image nor prompt
    assert_error(
        client.post(f"{API}/jobs", files={"image": fox}, data={"actions": THREE, "prompt": "a cat"}), 400
    )
    assert_error(client.post(f"{API}/jobs", files={"image": fox}, data={"actions": "wave,jump"}), 400)
    assert_error(client.post(f"{API}/jobs", files={"image": fox}, data={"actions": "[]"}), 400)
    assert_error(client.post(f"{API}/jobs", files={"image": fox}, data={"actions": '["nope"]'}), 400)
    assert_error(
        client.post(f"{API}/jobs", files={"image": fox}, data={"actions": THREE, "platforms": "myspace"}), 400
    )
    body = assert_error(client.post(f"{API}/jobs", files={"image": fox}), 422)  # actions missing
    assert body["code"] == "validation_error" and "actions" in body["detail"]
    assert_error(
        client.post(
            f"{API}/jobs",
            files={"image": ("x.png", b"not an image at all", "image/png")},
            data={"actions": THREE},
        ),
        415,
    )
    assert_error(
        client.post(f"{API}/jobs", files={"image": ("x.png", b"", "image/png")}, data={"actions": THREE}), 400
    )
    # A custom action needs a motion prompt; with one it is accepted.
    bad = json.dumps([{"id": "moonwalk", "custom": True}])
    assert_error(client.post(f"{API}/jobs", files={"image": fox}, data={"actions": bad}), 400)
    assert client.get(f"{API}/jobs").json()["jobs"] == []


def test_upload_over_the_limit_is_413(tmp_path: Path) -> None:
    settings = web_settings(tmp_path / "data").model_copy(update={"max_upload_bytes": 4096})
    with TestClient(create_app(settings)) as c:
        files = {"image": ("fox.jpg", FOX.read_bytes(), "image/jpeg")}
        body = assert_error(c.post(f"{API}/jobs", files=files, data={"actions": THREE}), 413)
        assert body["code"] == "too_large"
        assert_error(c.post(f"{API}/cutout", files=files), 413)


def test_ids_are_validated(client: TestClient) -> None:
    assert_error(client.get(f"{API}/jobs/nothex"), 400)
    assert_error(client.get(f"{API}/jobs/ABCDEF012345"), 400)
    assert_error(client.get(f"{API}/jobs/..%2F..%2Fetc"), 404)  # the slash splits the path: no route
    assert_error(client.get(f"{API}/jobs/{UNKNOWN}"), 404)
    assert_error(client.post(f"{API}/jobs/{UNKNOWN}/cancel"), 404)
    assert_error(client.get(f"{API}/jobs/{UNKNOWN}/events"), 404)
    assert_error(client.get(f"{API}/jobs/{UNKNOWN}/exports/line-emoji/zip"), 404)
    assert_error(client.get(f"{API}/jobs?limit=0"), 400)


# ---- create: idempotency, cancel, resume ----------------------------------------------------------
def test_same_idempotency_key_returns_the_same_job(client: TestClient) -> None:
    first = client.post(
        f"{API}/jobs",
        files={"image": ("fox.jpg", FOX.read_bytes(), "image/jpeg")},
        data={"actions": THREE},
        headers={"Idempotency-Key": "k-1"},
    )
    assert first.status_code == 201
    again = client.post(
        f"{API}/jobs",
        files={"image": ("fox.jpg", FOX.read_bytes(), "image/jpeg")},
        data={"actions": THREE, "idempotency_key": "k-1"},
    )
    assert again.status_code == 200 and again.headers["Idempotent-Replay"] == "true"
    assert again.json()["id"] == first.json()["id"]
    assert len(client.get(f"{API}/jobs").json()["jobs"]) == 1
    client.post(f"{API}/jobs/{first.json()['id']}/cancel")


def test_concurrent_double_submit_starts_one_job(client: TestClient) -> None:
    """Two identical submits at once, without a key: the content hash window makes them one job."""
    results: list[int] = []
    ids: list[str] = []

    def submit() -> None:
        r = client.post(
            f"{API}/jobs",
            files={"image": ("fox.jpg", FOX.read_bytes(), "image/jpeg")},
            data={"actions": THREE},
        )
        results.append(r.status_code)
        ids.append(r.json()["id"])

    threads = [threading.Thread(target=submit) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [200, 200, 201]
    assert len(set(ids)) == 1
    assert len(client.get(f"{API}/jobs").json()["jobs"]) == 1
    client.post(f"{API}/jobs/{ids[0]}/cancel")


def test_cancel_resume_and_conflicts(client: TestClient) -> None:
    job = create_job(client)
    r = client.post(f"{API}/jobs/{job['id']}/cancel")
    assert r.status_code == 200 and r.json()["status"] == "canceled"
    job = wait_job(client, job["id"])
    assert job["status"] == "canceled" and job["next_step"] == "resume"
    assert_error(client.post(f"{API}/jobs/{job['id']}/cancel"), 409)
    assert_error(client.post(f"{API}/jobs/{job['id']}/export", json={}), 409)
    assert_error(client.post(f"{API}/jobs/{job['id']}/actions/0/retry"), 409)
    assert_error(client.post(f"{API}/jobs/{job['id']}/actions/9/retry"), 404)
    assert_error(client.get(f"{API}/jobs/{job['id']}/actions/0/frames"), 409)
    assert client.post(f"{API}/jobs/{job['id']}/resume").status_code == 202
    client.post(f"{API}/jobs/{job['id']}/cancel")


def test_prompt_job_with_reference(client: TestClient) -> None:
    r = client.post(
        f"{API}/jobs",
        data={
            "prompt": "a round green frog",
            "actions": json.dumps([{"id": "wave", "motion_prompt": "waves twice"}]),
        },
        files={"reference": ("ref.png", png_bytes(), "image/png")},
    )
    assert r.status_code == 201, r.text
    job = r.json()
    assert job["source"] == "prompt" and job["actions"][0]["motion_prompt"] == "waves twice"
    client.post(f"{API}/jobs/{job['id']}/cancel")
    assert_error(
        client.post(
            f"{API}/jobs", data={"actions": THREE}, files={"reference": ("r.png", png_bytes(), "image/png")}
        ),
        400,
    )


def test_cutout_preview_has_transparency(client: TestClient) -> None:
    r = client.post(f"{API}/cutout", files={"image": ("fox.jpg", FOX.read_bytes(), "image/jpeg")})
    assert r.status_code == 200 and r.headers["content-type"] == "image/png"
    im = Image.open(io.BytesIO(r.content))
    alpha = np.asarray(im.convert("RGBA"))[..., 3]
    assert max(im.size) <= 512 and (alpha == 0).mean() > 0.2 and (alpha == 255).mean() > 0.1


# ---- a finished job: SSE, frames, refine, export ------------------------------------------------------
def test_sse_stream_delivers_progress_and_ends(client: TestClient) -> None:
    job = create_job(client, json.dumps([{"id": "wave"}]))
    events: list[tuple[str, dict]] = []
    with client.stream("GET", f"{API}/jobs/{job['id']}/events") as r:
        assert r.headers["content-type"].startswith("text/event-stream")
        kind = None
        for line in r.iter_lines():
            if line.startswith("event: "):
                kind = line[7:]
            elif line.startswith("data: ") and kind:
                events.append((kind, json.loads(line[6:])))
    kinds = [k for k, _ in events]
    assert kinds[0] == "snapshot" and kinds[-1] == "end"
    statuses = [d["status"] for k, d in events if k == "job"]
    assert "animating" in statuses and statuses[-1] == "awaiting_refinement"
    assert any(k == "action" and d["status"] == "done" for k, d in events)
    # A resting job: the stream says so at once.
    with client.stream("GET", f"{API}/jobs/{job['id']}/events") as r:
        body = r.read().decode()
    assert "event: snapshot" in body and "event: end" in body


def test_frames(ready_job: tuple[TestClient, dict]) -> None:
    c, job = ready_job
    info = c.get(f"{API}/jobs/{job['id']}/actions/0/frames").json()
    assert info["frame_count"] > 4 and info["width"] == 256 and info["edited"] == []
    raw = Image.open(io.BytesIO(c.get(f"{API}/jobs/{job['id']}/actions/0/frames/0/raw").content))
    cut = Image.open(io.BytesIO(c.get(f"{API}/jobs/{job['id']}/actions/0/frames/0/cutout").content))
    assert raw.mode == "RGB" and cut.mode == "RGBA" and raw.size == cut.size
    assert_error(c.get(f"{API}/jobs/{job['id']}/actions/0/frames/999/raw"), 404)
    assert_error(c.get(f"{API}/jobs/{job['id']}/actions/7/frames"), 404)
    assert_error(c.get(f"{API}/jobs/{job['id']}/actions/0/frames/0/secret"), 422)
    assert_error(c.get(f"{API}/jobs/{job['id']}/actions/abc/frames"), 422)


def _alpha(c: TestClient, job_id: str, frame: int = 0) -> float:
    r = c.get(f"{API}/jobs/{job_id}/actions/0/frames/{frame}/cutout")
    return float(np.asarray(Image.open(io.BytesIO(r.content)).convert("RGBA"))[..., 3].sum()) / 255


def test_segment_predict_apply_undo_redo(ready_job: tuple[TestClient, dict]) -> None:
    c, job = ready_job
    jid = job["id"]
    url = f"{API}/jobs/{jid}/segment"
    before = _alpha(c, jid)
    assert c.post(f"{url}/prepare", json={"action": 0, "frame": 0}).json()["queued"] > 0
    clicks = [{"x": 128, "y": 150, "positive": True}]
    r = c.post(f"{url}/predict", json={"action": 0, "frame": 0, "clicks": clicks})
    assert r.status_code == 200 and r.headers["content-type"] == "image/png"
    assert 0.05 < float(r.headers["X-Mask-Area"]) < 0.9
    assert_error(c.post(f"{url}/predict", json={"action": 0, "frame": 0, "clicks": []}), 400)
    assert_error(c.post(f"{url}/predict", json={"action": 0, "frame": 0}), 422)
    assert_error(
        c.post(f"{url}/apply", json={"action": 0, "frame": 0, "clicks": clicks, "mode": "blur"}), 422
    )
    assert_error(c.post(f"{url}/undo", json={"action": 0, "frame": 0}), 409)
    assert_error(c.post(f"{url}/apply-all", json={"action": 0, "frame": 0}), 409)

    s = c.post(f"{url}/apply", json={"action": 0, "frame": 0, "clicks": clicks, "mode": "erase"}).json()
    assert s["layers"] == 1 and s["can_undo"] and not s["can_redo"]
    erased = _alpha(c, jid)
    assert erased < 0.5 * before
    s = c.post(f"{url}/apply", json={"action": 0, "frame": 0, "clicks": clicks, "mode": "restore"}).json()
    assert s["layers"] == 2 and _alpha(c, jid) > 0.9 * before
    s = c.post(f"{url}/undo", json={"action": 0, "frame": 0}).json()
    assert s["layers"] == 1 and s["can_redo"] and abs(_alpha(c, jid) - erased) < 1
    s = c.post(f"{url}/redo", json={"action": 0, "frame": 0}).json()
    assert s["layers"] == 2 and not s["can_redo"]
    c.post(f"{url}/undo", json={"action": 0, "frame": 0})  # leave frame 0 erased
    assert_error(c.post(f"{url}/redo", json={"action": 1, "frame": 0}), 409)

    # The original frames are never touched.
    raw = c.get(f"{API}/jobs/{jid}/actions/0/frames/0/raw").content
    assert Image.open(io.BytesIO(raw)).mode == "RGB"

    other_before = _alpha(c, jid, 3)
    r = c.post(f"{url}/apply-all", json={"action": 0, "frame": 0})
    assert r.status_code == 202 and r.json()["frames"] > 0
    wait_job(c, jid)
    info = c.get(f"{API}/jobs/{jid}/actions/0/frames").json()
    assert info["edited"] == list(range(info["frame_count"]))
    assert _alpha(c, jid, 3) < 0.5 * other_before


def test_retry_one_failed_action(ready_job: tuple[TestClient, dict]) -> None:
    c, job = ready_job
    jid = job["id"]
    store = c.app.state.services.store  # type: ignore[attr-defined]
    store.set_action_status(jid, 1, ActionStatus.MATTING)
    store.set_action_status(jid, 1, ActionStatus.FAILED, error="provider said no")
    failed = c.get(f"{API}/jobs/{jid}").json()
    assert failed["actions"][1]["status"] == "failed" and failed["actions"][1]["error"] == "provider said no"
    assert_error(c.post(f"{API}/jobs/{jid}/actions/0/retry"), 409)  # a done action is not retried
    r = c.post(f"{API}/jobs/{jid}/actions/1/retry")
    assert r.status_code == 202
    again = wait_job(c, jid)
    assert again["status"] == "awaiting_refinement"
    assert [a["status"] for a in again["actions"]] == ["done", "done"]


def test_export_and_downloads(ready_job: tuple[TestClient, dict]) -> None:
    c, job = ready_job
    jid = job["id"]
    assert_error(c.get(f"{API}/jobs/{jid}/exports/line-emoji/zip"), 404)  # not exported yet
    assert_error(c.post(f"{API}/jobs/{jid}/export", json={"platforms": ["nope"]}), 400)
    r = c.post(f"{API}/jobs/{jid}/export", json={"platforms": ["line-emoji"]})
    assert r.status_code == 202
    done = wait_job(c, jid)
    assert (
        done["status"] == "completed"
        and done["exported"] == ["line-emoji"]
        and done["next_step"] == "results"
    )
    exports = c.get(f"{API}/jobs/{jid}/exports").json()
    assert [e["platform"] for e in exports] == ["line-emoji"]
    files = exports[0]["files"]
    assert [f["name"] for f in files] == ["001.png", "002.png"] and all(f["valid"] for f in files)
    assert [f["name"] for f in exports[0]["extra_images"]] == ["tab.png"]
    one = c.get(files[0]["url"])
    assert one.status_code == 200 and one.content[:8] == b"\x89PNG\r\n\x1a\n"
    z = c.get(exports[0]["zip_url"])
    assert z.headers["content-type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(z.content)) as zf:
        assert sorted(zf.namelist()) == ["001.png", "002.png", "tab.png"]
    # Only names from the manifest are served; nothing is read from a path in the URL.
    for name in ("popcon.db", "..%2F..%2Fpopcon.db", "%2E%2E", "999.png"):
        assert c.get(f"{API}/jobs/{jid}/exports/line-emoji/files/{name}").status_code == 404
    assert_error(c.get(f"{API}/jobs/{jid}/exports/line-sticker/zip"), 404)
    assert_error(c.get(f"{API}/jobs/{jid}/exports/myspace/zip"), 400)
    assert_error(c.get(f"{API}/jobs/{jid}/exports/..%2Fjobs/zip"), 404)
    # A finished job can be exported again, refined again, and not canceled.
    assert_error(c.post(f"{API}/jobs/{jid}/cancel"), 409)
    assert c.get(f"{API}/jobs/{jid}/segment/state?action=0&frame=0").json()["layers"] == 1


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


def test_estimate_is_free_offline_and_priced_with_a_paid_provider(client: TestClient, tmp_path: Path) -> None:
    free = client.get(f"{API}/estimate", params={"actions": 4}).json()
    assert free["offline"] is True and free["lines"] == [] and "Free" in free["text"]
    assert_error(client.get(f"{API}/estimate", params={"actions": -1}), 422)

    paid = web_settings(tmp_path / "paid").model_copy(
        update={
            "video_provider": "dashscope",
            "dashscope_resolution": "480P",
            "dashscope_api_key": SecretStr("sk-test-not-real"),
        }
    )
    with TestClient(create_app(paid)) as c:
        est = c.get(f"{API}/estimate", params={"actions": 8}).json()
    assert est["offline"] is False and "estimate" in est["text"]
    video = next(line for line in est["lines"] if line["unit"] == "second")
    assert video["provider"] == "dashscope" and video["quantity"] >= 8  # at least a second per clip
    assert est["totals"]  # the price table lists wan2.2-i2v-flash at 480P


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


def test_delete_job_removes_rows_and_files(tmp_path: Path) -> None:
    settings = web_settings(tmp_path / "data")
    with TestClient(create_app(settings)) as c:
        job = wait_job(c, create_job(c, json.dumps([{"id": "wave"}]))["id"])
        folder = settings.data_dir / "jobs" / job["id"]
        assert folder.is_dir()
        activity = c.get(f"{API}/jobs/{job['id']}/activity").json()
        assert {e["kind"] for e in activity} >= {"job", "action"}  # kept server-side for a reload
        assert any(e["status"] == "awaiting_refinement" for e in activity)
        assert c.delete(f"{API}/jobs/{job['id']}").status_code == 204
        assert not folder.exists()
        assert_error(c.get(f"{API}/jobs/{job['id']}"), 404)
        assert c.get(f"{API}/jobs").json()["jobs"] == []
        assert_error(c.delete(f"{API}/jobs/{job['id']}"), 404)


def test_predict_rle_matches_the_png_mask_and_view_hides_the_key(ready_job: tuple[TestClient, dict]) -> None:
    c, job = ready_job
    url = f"{API}/jobs/{job['id']}/segment/predict"
    body = {"action": 1, "frame": 0, "clicks": [{"x": 128, "y": 150, "positive": True}]}
    png = c.post(url, json=body)
    rle = c.post(url, json={**body, "format": "rle"})
    assert rle.status_code == 200 and rle.headers["content-type"] == "application/octet-stream"
    w, h = int(rle.headers["X-Mask-Width"]), int(rle.headers["X-Mask-Height"])
    runs = np.frombuffer(rle.content, "<u4")
    assert int(runs.sum()) == w * h and len(rle.content) < len(png.content)
    bits = np.repeat(np.arange(len(runs)) % 2, runs).astype(bool).reshape(h, w)
    alpha = np.asarray(Image.open(io.BytesIO(png.content)))[..., 3]
    assert (bits == (alpha > 127)).mean() > 0.999
    # The original as the user sees it: no key-colour background.
    fr = f"{API}/jobs/{job['id']}/actions/1/frames/0"
    raw = np.asarray(Image.open(io.BytesIO(c.get(f"{fr}/raw").content)).convert("RGB")).astype(int)
    view = np.asarray(Image.open(io.BytesIO(c.get(f"{fr}/view").content)).convert("RGB")).astype(int)
    key = np.asarray(c.app.state.services.store.get_job(job["id"]).key_color)
    near = lambda im: (np.abs(im - key).sum(axis=2) < 40).mean()  # noqa: E731
    assert near(raw) > 0.2 and near(view) < 0.001
    info = c.get(f"{fr[: fr.rindex('/frames')]}/frames").json()
    assert info["export_frames"]["line-emoji"] <= 20
