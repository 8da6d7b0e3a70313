"""Export a finished job, read its manifests, download files and ZIPs."""

from __future__ import annotations

import io
import zipfile

from fastapi.testclient import TestClient

from tests.helpers.web import (
    API,
    assert_error,
    wait_job,
)


def test_export_and_downloads(ready_job: tuple[TestClient, dict]) -> None:
    c, job = ready_job
    jid = job["id"]
    # One refine layer before the export (restore: the pixels stay the automatic cut-out's), so the
    # end of this test sees that edits outlive an export.
    clicks = [{"x": 128, "y": 150, "positive": True}]
    edit = {"action": 0, "frame": 0, "clicks": clicks, "mode": "restore"}
    assert c.post(f"{API}/jobs/{jid}/segment/apply", json=edit).json()["layers"] == 1
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
    # The set's summary as the job keeps it: its round, its verdict, what was left out (nothing).
    assert exports[0]["valid"] is True and exports[0]["failed"] == [] and exports[0]["round"]
    assert exports[0]["zip_bytes"] > 0 and exports[0]["name"]
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
