"""Click segmentation on a frame: predict, apply, undo / redo, apply to all."""

from __future__ import annotations

import io

import numpy as np
from fastapi.testclient import TestClient
from PIL import Image

from popcon.usecases.frames import NEUTRAL
from tests.helpers.web import (
    API,
    assert_error,
    wait_job,
)


def _alpha(c: TestClient, job_id: str, frame: int = 0) -> float:
    r = c.get(f"{API}/jobs/{job_id}/actions/0/frames/{frame}/cutout")
    return float(np.asarray(Image.open(io.BytesIO(r.content)).convert("RGBA"))[..., 3].sum()) / 255


def test_segment_predict_apply_undo_redo(ready_job: tuple[TestClient, dict]) -> None:
    c, job = ready_job
    jid = job["id"]
    url = f"{API}/jobs/{jid}/segment"
    before = _alpha(c, jid)
    raw_before = c.get(f"{API}/jobs/{jid}/actions/0/frames/0/raw").content
    assert c.post(f"{url}/prepare", json={"action": 0, "frame": 0}).json()["queued"] > 0
    clicks = [{"x": 128, "y": 150, "positive": True}]
    r = c.post(f"{url}/predict", json={"action": 0, "frame": 0, "clicks": clicks})
    assert r.status_code == 200 and r.headers["content-type"] == "image/png"
    areas = [float(a) for a in r.headers["X-Mask-Areas"].split(",")]
    assert len(areas) == int(r.headers["X-Mask-Count"]) and areas == sorted(areas)
    assert float(r.headers["X-Mask-Area"]) == areas[int(r.headers["X-Mask-Default"])] == areas[0]
    assert 0.05 < areas[-1] < 0.9
    whole = len(areas) - 1  # the whole piece: the tests below erase and restore it
    too_far = {"action": 0, "frame": 0, "clicks": clicks, "choice": 15}
    assert_error(c.post(f"{url}/predict", json=too_far), 400)
    assert_error(c.post(f"{url}/predict", json={"action": 0, "frame": 0, "clicks": []}), 400)
    assert_error(c.post(f"{url}/predict", json={"action": 0, "frame": 0}), 422)
    assert_error(
        c.post(f"{url}/apply", json={"action": 0, "frame": 0, "clicks": clicks, "mode": "blur"}), 422
    )
    assert_error(c.post(f"{url}/undo", json={"action": 0, "frame": 0}), 409)
    assert_error(c.post(f"{url}/apply-all", json={"action": 0, "frame": 0}), 409)

    apply = {"action": 0, "frame": 0, "clicks": clicks, "choice": whole}
    s = c.post(f"{url}/apply", json={**apply, "mode": "erase"}).json()
    assert s["layers"] == 1 and s["can_undo"] and not s["can_redo"]
    erased = _alpha(c, jid)
    assert erased < 0.5 * before
    s = c.post(f"{url}/apply", json={**apply, "mode": "restore"}).json()
    assert s["layers"] == 2 and _alpha(c, jid) > 0.9 * before
    s = c.post(f"{url}/undo", json={"action": 0, "frame": 0}).json()
    assert s["layers"] == 1 and s["can_redo"] and abs(_alpha(c, jid) - erased) < 1
    s = c.post(f"{url}/redo", json={"action": 0, "frame": 0}).json()
    assert s["layers"] == 2 and not s["can_redo"]
    c.post(f"{url}/undo", json={"action": 0, "frame": 0})  # leave frame 0 erased
    assert_error(c.post(f"{url}/redo", json={"action": 1, "frame": 0}), 409)

    # The original frames are never touched.
    assert c.get(f"{API}/jobs/{jid}/actions/0/frames/0/raw").content == raw_before

    other_before = _alpha(c, jid, 3)
    r = c.post(f"{url}/apply-all", json={"action": 0, "frame": 0})
    assert r.status_code == 202 and r.json()["frames"] > 0
    wait_job(c, jid)
    info = c.get(f"{API}/jobs/{jid}/actions/0/frames").json()
    assert info["edited"] == list(range(info["frame_count"]))
    assert _alpha(c, jid, 3) < 0.5 * other_before


def test_clicks_must_land_on_the_frame_and_be_numbers(ready_job: tuple[TestClient, dict]) -> None:
    c, job = ready_job
    url = f"{API}/jobs/{job['id']}/segment"
    outside = [{"x": 5000, "y": 10, "positive": True}]
    body = assert_error(c.post(f"{url}/predict", json={"action": 0, "frame": 0, "clicks": outside}), 422)
    assert "outside" in body["detail"]
    layers = c.get(f"{url}/state", params={"action": 1, "frame": 2}).json()["layers"]
    apply = {"action": 1, "frame": 2, "clicks": outside, "mode": "erase"}
    assert_error(c.post(f"{url}/apply", json=apply), 422)
    assert (
        c.get(f"{url}/state", params={"action": 1, "frame": 2}).json()["layers"] == layers
    )  # nothing applied
    nan = b'{"action": 0, "frame": 0, "clicks": [{"x": NaN, "y": 3}]}'
    body = assert_error(
        c.post(f"{url}/predict", content=nan, headers={"content-type": "application/json"}), 422
    )
    assert "finite" in body["detail"]


def test_predict_rle_matches_the_png_mask_and_view_hides_the_key(ready_job: tuple[TestClient, dict]) -> None:
    c, job = ready_job
    url = f"{API}/jobs/{job['id']}/segment/predict"
    body = {"action": 1, "frame": 0, "clicks": [{"x": 128, "y": 150, "positive": True}]}
    png = c.post(url, json=body)
    rle = c.post(url, json={**body, "format": "rle"})
    assert rle.status_code == 200 and rle.headers["content-type"] == "application/octet-stream"
    w, h = int(rle.headers["X-Mask-Width"]), int(rle.headers["X-Mask-Height"])
    words = np.frombuffer(rle.content, "<u4")
    masks = []
    while len(words):
        n, runs, words = int(words[0]), words[1 : 1 + int(words[0])], words[1 + int(words[0]) :]
        assert len(runs) == n and int(runs.sum()) == w * h
        masks.append(np.repeat(np.arange(n) % 2, runs).astype(bool).reshape(h, w))
    assert len(masks) == int(rle.headers["X-Mask-Count"])
    assert len(rle.content) < len(png.content) * len(masks)
    bits = masks[int(rle.headers["X-Mask-Default"])]
    alpha = np.asarray(Image.open(io.BytesIO(png.content)))[..., 3]
    assert (bits == (alpha > 127)).mean() > 0.999
    # The offline clip carries its own alpha: the raw frame is transparent around the character, and
    # the view shows it over the page's neutral grey (no key colour anywhere).
    fr = f"{API}/jobs/{job['id']}/actions/1/frames/0"
    raw = np.asarray(Image.open(io.BytesIO(c.get(f"{fr}/raw").content)).convert("RGBA")).astype(int)
    view = np.asarray(Image.open(io.BytesIO(c.get(f"{fr}/view").content)).convert("RGB")).astype(int)
    key = np.asarray(c.app.state.services.store.get_job(job["id"]).key_color)
    near = lambda im: np.abs(im[..., :3] - key).sum(axis=2) < 40  # noqa: E731
    clear = raw[..., 3] == 0
    assert clear.mean() > 0.2 and not (near(raw) & ~clear).any() and near(view).mean() < 0.001
    assert (np.abs(view[clear] - np.asarray(NEUTRAL)).max(axis=1) <= 1).all()
    info = c.get(f"{fr[: fr.rindex('/frames')]}/frames").json()
    assert info["export_frames"]["line-emoji"] <= 20
