"""The rig editor in headless Chromium: the detected joints appear over the upload, a joint dragged with
the mouse and one moved with the keyboard, "no legs" marked; the job stores exactly that rig.

Screenshots at desktop (1280x800) and phone (390x844) size land in test-artifacts/screenshots/.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import httpx
import pytest
from PIL import Image

from ..conftest import BENCH, SAMPLES

pytestmark = pytest.mark.slow
CHAR = BENCH / "rig" / "char2"
ID = re.compile(r"/job/([0-9a-f]{12})$")


def _girl(tmp_path: Path) -> Path:
    im = Image.open(CHAR / "texture.png").convert("RGBA")
    im.putalpha(Image.open(CHAR / "mask.png").convert("L"))
    path = tmp_path / "girl.png"
    im.save(path)
    return path


def _job_rig(base: str, job_id: str, timeout: float = 60.0) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        r = httpx.get(f"{base}/api/v1/jobs/{job_id}/rig", timeout=10)
        if r.status_code == 200:
            return r.json()
        time.sleep(0.2)
    raise AssertionError("the job made no rig")


@pytest.mark.skipif(not CHAR.exists(), reason="shared bench data not present")
def test_drag_a_joint_and_the_job_keeps_it(
    live_server: str, browser, screenshots: Path, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    base = live_server
    image = _girl(tmp_path)
    detected = httpx.post(
        f"{base}/api/v1/rig", files={"image": ("girl.png", image.read_bytes(), "image/png")}, timeout=30
    ).json()

    ctx = browser.new_context(viewport={"width": 1280, "height": 800})
    page = ctx.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{base}/create")
    page.set_input_files("#file-input", str(image))
    hand = page.locator("[data-joint='right_hand']")
    hand.wait_for(timeout=20_000)
    page.wait_for_selector("#cutout-preview", timeout=20_000)
    page.locator("#rig-editor").scroll_into_view_if_needed()
    page.screenshot(path=screenshots / "rig-editor-1280.png")

    # Drag the right hand 60 px right and 40 px up on screen.
    stage = page.locator(".rig-overlay").bounding_box()
    assert stage is not None
    per_px = detected["width"] / stage["width"]  # image pixels per screen pixel (contain, same aspect)
    box = hand.bounding_box()
    assert box is not None
    x0, y0 = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x0, y0)
    page.mouse.down()
    for i in range(1, 11):
        page.mouse.move(x0 + 6 * i, y0 - 4 * i)
    page.mouse.up()

    # Keyboard: focus the left hand, three steps down.
    page.focus("[data-joint='left_hand']")
    for _ in range(3):
        page.keyboard.press("ArrowDown")
    page.check("#rig-no-legs")
    assert page.locator("[data-joint='right_knee']").count() == 0
    page.screenshot(path=screenshots / "rig-editor-1280-edited.png")

    page.click("#submit")
    page.wait_for_url(ID, timeout=15_000)
    job_id = ID.search(page.url).group(1)  # type: ignore[union-attr]
    stored = _job_rig(base, job_id)
    assert stored["source"] == "user" and stored["has_arms"] and not stored["has_legs"]
    rx, ry = detected["joints"]["right_hand"]
    sx, sy = stored["joints"]["right_hand"]
    assert abs((sx - rx) - 60 * per_px) < 4 * per_px and abs((sy - ry) + 40 * per_px) < 4 * per_px
    step = max(1, round(max(detected["width"], detected["height"]) * 0.01))
    lx, ly = detected["joints"]["left_hand"]
    assert stored["joints"]["left_hand"] == pytest.approx([lx, ly + 3 * step], abs=0.2)
    assert stored["joints"]["neck"] == pytest.approx(detected["joints"]["neck"], abs=0.2)
    assert not errors, errors
    ctx.close()

    # Phone size, a face-only emoji: the whole-body fallback is said, and joints can be placed by hand.
    phone = browser.new_context(viewport={"width": 390, "height": 844}, has_touch=True, is_mobile=True)
    page = phone.new_page()
    page.goto(f"{base}/create")
    page.set_input_files("#file-input", str(SAMPLES / "fox.png"))
    page.wait_for_selector("#rig-editor", timeout=20_000)
    assert "whole character will move as one" in page.inner_text("#rig-note")
    assert page.locator("[data-joint]").count() == 0
    page.click("#rig-place")
    assert page.locator("[data-joint='right_hand']").count() == 1
    assert "Your joints" in page.inner_text("#rig-note")
    page.wait_for_selector("#cutout-preview", timeout=20_000)
    page.locator("#rig-editor").scroll_into_view_if_needed()
    page.screenshot(path=screenshots / "rig-editor-390.png")
    page.locator("#rig-editor").screenshot(path=screenshots / "rig-editor-390-editor.png")
    phone.close()
