"""Jobs over HTTP against a real SQLite store: create (validation, limits, idempotency), cancel,
resume, retry one action, delete, cut-out preview."""

from __future__ import annotations

import io
import json
import threading
from pathlib import Path

import numpy as np
from fastapi.testclient import TestClient
from PIL import Image

from popcon.domain.status import ActionStatus
from popcon.web import create_app
from tests.helpers.web import (
    API,
    FOX,
    THREE,
    UNKNOWN,
    assert_error,
    create_job,
    png_bytes,
    wait_job,
    web_settings,
)


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
    assert float(r.headers["X-Matte-Confidence"]) >= 0.75 and "X-Matte-Warning" not in r.headers


def test_cutout_preview_warns_on_a_busy_background(client: TestClient) -> None:
    rng = np.random.default_rng(4)
    img = rng.integers(0, 256, (240, 320, 3), dtype=np.uint8)
    img[60:180, 110:210] = (230, 120, 40)
    buf = io.BytesIO()
    Image.fromarray(img).save(buf, "PNG")
    r = client.post(f"{API}/cutout", files={"image": ("busy.png", buf.getvalue(), "image/png")})
    assert r.status_code == 200
    # No cut can be trusted on noise: the preview says so, and says what to do.
    assert "refine" in r.headers["X-Matte-Warning"]


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


def test_delete_removes_a_stopped_job_and_its_files(client: TestClient) -> None:
    job = create_job(client)
    assert_error(client.delete(f"{API}/jobs/{job['id']}"), 409)  # running: cancel it first
    client.post(f"{API}/jobs/{job['id']}/cancel")
    wait_job(client, job["id"])
    folder = client.app.state.services.files(job["id"]).root  # type: ignore[attr-defined]
    assert folder.is_dir()
    assert client.delete(f"{API}/jobs/{job['id']}").status_code == 204
    assert_error(client.get(f"{API}/jobs/{job['id']}"), 404)
    assert not folder.exists()
    assert job["id"] not in {j["id"] for j in client.get(f"{API}/jobs").json()["jobs"]}
    assert_error(client.delete(f"{API}/jobs/{UNKNOWN}"), 404)


def test_upload_field_without_a_file_name_and_degenerate_images(client: TestClient) -> None:
    body = assert_error(
        client.post(
            f"{API}/jobs", files={"image": ("", FOX.read_bytes(), "image/jpeg")}, data={"actions": THREE}
        ),
        400,
    )
    assert "file name" in body["detail"] and "Expected UploadFile" not in body["detail"]
    strip = io.BytesIO()
    Image.new("RGB", (8000, 10), (200, 40, 40)).save(strip, "PNG")
    for route, data in ((f"{API}/jobs", {"actions": THREE}), (f"{API}/cutout", {})):
        body = assert_error(
            client.post(route, files={"image": ("strip.png", strip.getvalue(), "image/png")}, data=data), 400
        )
        assert "8000x10" in body["detail"]
    assert client.get(f"{API}/jobs").json()["jobs"] == []


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
