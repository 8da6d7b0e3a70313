"""The warning on a probably-wrong cut-out of an upload, where the user sees the cut-out: next to the
preview on the create page and next to the character on the job page; a clean cut shows none."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from PIL import Image

from tests.helpers.drawings import stick_figure, two_figures
from tests.helpers.web import shot

pytestmark = pytest.mark.slow


def _job(base: str, image: Path) -> str:
    with httpx.Client(base_url=f"{base}/api/v1", timeout=30) as c:
        r = c.post(
            "/jobs",
            files={"image": (image.name, image.read_bytes(), "image/png")},
            data={"actions": json.dumps([{"id": "wave"}]), "platforms": "line-emoji"},
        )
        assert r.status_code == 201, r.text
        return str(r.json()["id"])


def test_a_doubtful_cut_out_warns_on_the_create_and_job_pages(
    live_server: str, browser, tmp_path: Path, screenshots: Path
) -> None:  # type: ignore[no-untyped-def]
    doubtful, clean = tmp_path / "two.png", tmp_path / "one.png"
    Image.fromarray(two_figures()).save(doubtful)
    Image.fromarray(stick_figure(gradient=0.3, gap=5)[0]).save(clean)
    errors: list[str] = []
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{live_server}/create")
    page.wait_for_selector("#file-input", state="attached")
    # The create page: the warning sits in the preview's caption, next to the cut-out.
    page.set_input_files("#file-input", str(doubtful))
    page.wait_for_selector("#cutout-preview")
    warn = page.locator("#cutout-warning")
    warn.wait_for()
    assert "may be wrong" in warn.inner_text() and "separate pieces" in warn.inner_text()
    shot(page, screenshots / "cutout-warning-create.png")
    page.set_input_files("#file-input", str(clean))
    page.wait_for_function(
        "document.querySelector('#cutout-preview') && !document.querySelector('#cutout-warning')"
    )
    # The job page: the character's cut-out with its warning, once the character is cut.
    job_id = _job(live_server, doubtful)
    page.goto(f"{live_server}/job/{job_id}")
    page.wait_for_selector("#job-cutout-warning", timeout=120_000)
    assert "may be wrong" in page.inner_text("#job-cutout-warning")
    page.wait_for_function("document.querySelector('#job-cutout').naturalWidth > 0")
    shot(page, screenshots / "cutout-warning-job.png")
    # A clean cut says nothing: no panel once the job has gone past its character.
    clean_id = _job(live_server, clean)
    page.goto(f"{live_server}/job/{clean_id}")
    page.wait_for_function(
        "document.querySelector('#job-status') && !/Character|Queued/i.test("
        "document.querySelector('#tracker-caption').textContent)",
        timeout=120_000,
    )
    assert page.locator("#cutout-check").count() == 0
    page.close()
    assert not errors, errors
