"""The whole flow in headless Chromium, as a user drives it: upload, pick 3 actions, watch, refine
(erase a region, restore it, apply to all frames), export LINE emoji, download and check the ZIP.

Screenshots of every page (desktop and phone size) land in test-artifacts/screenshots/.
"""

from __future__ import annotations

import io
import re
import time
import zipfile
from pathlib import Path

import httpx
import numpy as np
import pytest
from PIL import Image

from tests.helpers.web import FOX, alpha_of, shot

pytestmark = pytest.mark.slow
ID = re.compile(r"/job/([0-9a-f]{12})$")


def wait_layers(base: str, job_id: str, n: int, timeout: float = 15.0) -> None:
    """Wait until frame 0 of action 0 has `n` active edit layers."""
    deadline = time.monotonic() + timeout
    url = f"{base}/api/v1/jobs/{job_id}/segment/state?action=0&frame=0"
    while httpx.get(url, timeout=10).json()["layers"] != n:
        assert time.monotonic() < deadline, f"frame never reached {n} layers"
        time.sleep(0.1)


def test_full_flow(live_server: str, browser, screenshots: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    base = live_server
    ctx = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    page = ctx.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))

    # ---- create --------------------------------------------------------------------------
    page.goto(f"{base}/create")
    page.wait_for_selector("[data-action-card='wave']")
    shot(page, screenshots / "01-create-empty.png")
    # Generate from a prompt (with a reference), then back to upload: each clears the other's input.
    page.click("[data-source='prompt']")
    page.fill("#prompt", "a round green frog in a yellow raincoat")
    page.set_input_files("#reference-input", str(FOX))
    page.wait_for_selector("img[alt='reference']")
    shot(page, screenshots / "01b-create-prompt.png")
    page.click("[data-source='upload']")
    page.click("[data-source='prompt']")
    assert page.input_value("#prompt") == "" and page.locator("img[alt='reference']").count() == 0
    page.click("[data-source='upload']")
    page.set_input_files("#file-input", str(FOX))
    page.wait_for_selector("#cutout-preview", timeout=20_000)
    page.click("[data-source='prompt']")  # switching away drops the upload and its preview
    page.click("[data-source='upload']")
    assert page.locator("#cutout-preview").count() == 0
    page.set_input_files("#file-input", str(FOX))
    page.wait_for_selector("#cutout-preview", timeout=20_000)
    # Exactly three actions: keep wave and jump, swap laugh for love.
    page.click("[data-action-card='laugh'] .head")
    page.click("[data-action-card='love'] .head")
    chosen = page.eval_on_selector_all("input[data-action]:checked", "els => els.map(e => e.dataset.action)")
    assert sorted(chosen) == ["jump", "love", "wave"]
    shot(page, screenshots / "02-create-filled.png")
    page.dblclick("#submit")  # a double submit must not start two jobs
    page.wait_for_url(ID, timeout=15_000)
    job_id = ID.search(page.url).group(1)  # type: ignore[union-attr]
    jobs = httpx.get(f"{base}/api/v1/jobs").json()["jobs"]
    assert [j["id"] for j in jobs] == [job_id]

    # ---- job: live progress up to awaiting_refinement ---------------------------------------------
    page.wait_for_selector("#action-cards [data-status]", timeout=10_000)
    shot(page, screenshots / "03-job-running.png")
    page.wait_for_selector("#review", timeout=90_000)
    assert page.get_attribute("#job-status .badge", "data-status") == "awaiting_refinement"
    page.wait_for_function(  # each card plays its action's loop
        "document.querySelectorAll('#action-cards .thumb canvas.flip[data-frame]').length === 3"
    )
    page.wait_for_timeout(300)
    shot(page, screenshots / "04-job-awaiting-refinement.png")

    # ---- refine: erase a region, restore it, undo/redo, apply to all frames --------------------------
    page.click("#refine")
    page.wait_for_url(f"**/refine/{job_id}")
    page.wait_for_selector("#seg-viewport canvas")
    page.wait_for_function("document.querySelector('#frame-label').textContent.includes('frame 1')")
    shot(page, screenshots / "05-refine.png")
    before = alpha_of(base, job_id, 0, 0)
    ys, xs = np.nonzero(before > 0.5)
    cx, cy = float(np.median(xs)), float(np.median(ys))  # a point on the character
    canvas = page.locator("#seg-viewport canvas")
    box = canvas.bounding_box()
    assert box is not None
    w = page.evaluate("document.querySelector('#seg-viewport canvas').width")
    scale = box["width"] / w
    page.click("[data-mode='erase']")
    canvas.click(position={"x": cx * scale, "y": cy * scale})
    page.wait_for_selector("#mask-info[data-ready='1']", timeout=15_000)
    shot(page, screenshots / "06-refine-mask-preview.png")
    page.click("#apply-edit")
    wait_layers(base, job_id, 1)
    page.wait_for_function("!document.querySelector('#undo').disabled", timeout=15_000)
    erased = alpha_of(base, job_id, 0, 0)
    assert erased.sum() < 0.7 * before.sum(), "erase removed too little"
    shot(page, screenshots / "07-refine-erased.png")

    page.click("[data-mode='restore']")
    canvas.click(position={"x": cx * scale, "y": cy * scale})
    page.wait_for_selector("#mask-info[data-ready='1']", timeout=15_000)
    page.click("#apply-edit")
    wait_layers(base, job_id, 2)
    restored = alpha_of(base, job_id, 0, 0)
    assert restored.sum() > 0.9 * before.sum(), "restore did not bring the region back"

    page.click("#undo")  # back to erased, then redo to restored
    wait_layers(base, job_id, 1)
    page.wait_for_function("!document.querySelector('#redo').disabled", timeout=10_000)
    assert alpha_of(base, job_id, 0, 0).sum() < 0.7 * before.sum()
    page.click("#redo")
    wait_layers(base, job_id, 2)
    page.wait_for_function("document.querySelector('#redo').disabled", timeout=10_000)
    assert alpha_of(base, job_id, 0, 0).sum() > 0.9 * before.sum()

    page.click("[data-backdrop='dark']")
    page.keyboard.press("ArrowRight")
    page.wait_for_function("document.querySelector('#frame-label').textContent.includes('frame 2')")
    page.keyboard.press("ArrowLeft")
    page.wait_for_function("document.querySelector('#frame-label').textContent.includes('frame 1')")
    page.click("#apply-all")
    page.wait_for_selector("#apply-all-status[data-done='1']", timeout=60_000)
    edited = httpx.get(f"{base}/api/v1/jobs/{job_id}/actions/0/frames").json()["edited"]
    assert len(edited) == httpx.get(f"{base}/api/v1/jobs/{job_id}/actions/0/frames").json()["frame_count"]
    shot(page, screenshots / "08-refine-applied-all.png")

    # ---- export, results, download --------------------------------------------------------------
    page.click("#finish-export")
    page.wait_for_url(f"**/results/{job_id}", timeout=90_000)
    page.wait_for_selector(".ecard[data-file='001.png']")
    page.wait_for_function(
        "[...document.querySelectorAll('.ecard img')].every(i => i.complete && i.naturalWidth > 0)"
    )
    assert page.locator("[data-verdict='valid']").count() == 3
    shot(page, screenshots / "09-results.png")
    page.click(".ecard[data-file='001.png'] .pair")
    page.wait_for_selector("#preview-modal")
    page.wait_for_timeout(400)  # let the fade-in finish
    page.screenshot(path=screenshots / "10-results-modal.png")
    page.keyboard.press("Escape")
    page.wait_for_selector("#preview-modal", state="detached")
    page.click(".ecard[data-file='002.png'] .pair")
    page.click("#modal-close")
    page.wait_for_selector("#preview-modal", state="detached")

    with page.expect_download() as dl:
        page.click("#zip-line-emoji")
    target = tmp_path / "set.zip"
    dl.value.save_as(target)
    with zipfile.ZipFile(target) as zf:
        names = sorted(zf.namelist())
        assert names == ["001.png", "002.png", "003.png", "tab.png"]
        for n in names:
            with Image.open(io.BytesIO(zf.read(n))) as im:
                assert im.format == "PNG"

    # ---- jobs list -----------------------------------------------------------------------
    page.goto(f"{base}/jobs")
    page.wait_for_selector(f"[data-job='{job_id}']")
    shot(page, screenshots / "11-jobs.png")
    page.goto(f"{base}/job/0123456789ab")  # an unknown job: a clear message, not a blank page
    page.wait_for_selector(".panel.empty .msg")
    assert "no job" in page.inner_text(".panel.empty .msg")
    assert not errors, errors

    # ---- the same pages on a phone-size screen --------------------------------------------------
    phone = browser.new_context(
        viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True, has_touch=True
    )
    p = phone.new_page()
    p.on("pageerror", lambda e: errors.append(str(e)))
    for name, path, sel in [
        ("create", "/create", "[data-action-card='wave']"),
        ("job", f"/job/{job_id}", "#action-cards [data-status]"),
        ("refine", f"/refine/{job_id}", "#seg-viewport canvas"),
        ("results", f"/results/{job_id}", ".ecard"),
        ("jobs", "/jobs", f"[data-job='{job_id}']"),
    ]:
        p.goto(base + path)
        p.wait_for_selector(sel)
        p.wait_for_timeout(400)
        shot(p, screenshots / f"phone-{name}.png")
        overflow = p.evaluate("document.documentElement.scrollWidth") - 390
        assert overflow <= 1, f"{name} scrolls sideways on a phone ({overflow}px)"
    assert not errors, errors
    phone.close()
    ctx.close()
