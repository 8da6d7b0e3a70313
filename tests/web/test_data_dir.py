"""An unusable data folder through the API: a JSON error on every call, never a 500 or a hang;
/health says what a real write says, not what the mode bits claim."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from popcon.web import create_app
from tests.conftest import Disk
from tests.helpers.datadir import CASES, WORDS, unusable
from tests.helpers.web import API, FOX, assert_error, web_settings


def _post_job(c: TestClient):  # type: ignore[no-untyped-def]
    return c.post(
        f"{API}/jobs",
        files={"image": ("fox.jpg", FOX.read_bytes(), "image/jpeg")},
        data={"actions": '[{"id": "wave"}]', "platforms": "line-emoji"},
    )


@pytest.mark.parametrize("case", CASES)
def test_an_app_on_an_unusable_folder_answers_json(case: str, tmp_path: Path, small_disk: Disk) -> None:
    with unusable(case, tmp_path, small_disk) as data, TestClient(create_app(web_settings(data))) as c:
        for r in (c.get(f"{API}/jobs"), c.get(f"{API}/health"), _post_job(c)):
            body = assert_error(r, 507 if case == "disk-full" else 503)
            assert body["code"] in ("storage_full", "storage_unavailable")
            assert WORDS[case] in body["detail"], body
        assert c.get("/").status_code == 200  # the page itself still loads and shows the error


def test_health_tells_a_full_disk_and_a_locked_folder(tmp_path: Path, small_disk: Disk) -> None:
    data = small_disk.path / "data"
    with TestClient(create_app(web_settings(data))) as c:
        assert c.get(f"{API}/health").json()["jobs_dir_writable"] is True
        small_disk.fill()
        full = c.get(f"{API}/health").json()
        assert (full["status"], full["jobs_dir_writable"]) == ("degraded", False), full
        assert "full" in full["problem"] and full["free_bytes"] < 4096
        assert c.get(f"{API}/jobs").status_code == 200  # reading what is there still works
        small_disk.free()
        assert c.get(f"{API}/health").json()["jobs_dir_writable"] is True
        if subprocess.run(["chattr", "+i", str(data)], capture_output=True).returncode:
            pytest.skip("chattr +i is not supported here")
        try:  # mode bits still say writable (os.access is True for root); a real write is refused
            locked = c.get(f"{API}/health").json()
            assert locked["jobs_dir_writable"] is False and "permission denied" in locked["problem"], locked
        finally:
            subprocess.run(["chattr", "-i", str(data)], check=False)
