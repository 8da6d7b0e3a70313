"""Refining a part in headless Chromium: a click on a limb of the built-in mascot offers the limb.

The mascot is drawn part by part, so each limb's pixels are known exactly; the frames are the mascot
over the key colour and the cut-outs its exact alpha, so what is measured is the click segmenter alone.
"""

from __future__ import annotations

import io
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import numpy as np
import pytest
from PIL import Image

from popcon.vision.unmix import key_lean
from popcon.web import create_app
from tests.helpers.mascot import KEY, MascotFrame, inside_point, iou, mascot_frame, seed_refine_job
from tests.helpers.web import API, alpha_of, shot, web_settings
from tests.web.conftest import free_port

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def mascot() -> MascotFrame:
    return mascot_frame(512)


@pytest.fixture(scope="module")
def mascot_job(tmp_path_factory: pytest.TempPathFactory, mascot: MascotFrame) -> Iterator[tuple[str, str]]:
    """(base URL, job id) of a live server holding one job: two frames of the mascot, ready to refine."""
    import uvicorn

    data = tmp_path_factory.mktemp("mascot") / "data"
    job_id = seed_refine_job(data, [mascot.rgb] * 3, [mascot.rgba] * 3)  # frame 2: the restore test
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(web_settings(data)), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "uvicorn did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}", job_id
    server.should_exit = True
    thread.join(timeout=10)


def _choices(body: bytes, w: int, h: int) -> list[np.ndarray]:
    words = np.frombuffer(body, "<u4")
    out = []
    while len(words):
        n = int(words[0])
        out.append(np.repeat(np.arange(n) % 2, words[1 : 1 + n]).astype(bool).reshape(h, w))
        words = words[1 + n :]
    return out


@pytest.mark.parametrize("limb", ["right_arm", "left_leg"])
def test_a_click_on_a_limb_offers_the_limb_and_apply_erases_just_it(
    browser, mascot_job: tuple[str, str], mascot: MascotFrame, limb: str, screenshots: Path
) -> None:  # type: ignore[no-untyped-def]
    base, job_id = mascot_job
    ctx = browser.new_context(viewport={"width": 1280, "height": 800})
    page = ctx.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    frame = 0 if limb == "right_arm" else 1
    page.goto(f"{base}/refine/{job_id}")
    page.wait_for_function("document.querySelector('#frame-label')?.textContent.includes('frame 1 of')")
    if frame:
        page.click(f"#thumbs [data-frame='{frame}']")
        page.wait_for_function("document.querySelector('#frame-label').textContent.includes('frame 2 of')")
    size = mascot.rgb.shape[1]
    page.wait_for_function(f"document.querySelector('#seg-viewport canvas').width === {size}")
    page.wait_for_timeout(300)  # the frame's edit state arrives after its image
    canvas = page.locator("#seg-viewport canvas")
    box = canvas.bounding_box()
    scale = box["width"] / page.evaluate("document.querySelector('#seg-viewport canvas').width")
    x, y = inside_point(mascot.limbs[limb])
    with page.expect_response(lambda r: r.url.endswith("/segment/predict")) as info:
        canvas.click(position={"x": x * scale, "y": y * scale})
    res = info.value
    h, w = mascot.rgb.shape[:2]
    masks = _choices(res.body(), w, h)
    scores = [iou(m, mascot.limbs[limb]) for m in masks]
    assert max(scores) >= 0.8, f"no choice is the {limb}: IoUs {[round(s, 2) for s in scores]}"
    page.wait_for_selector("#mask-info[data-ready='1']")
    assert page.get_attribute("#mask-info", "data-choice") == "0", "erase starts from the smallest part"
    n = len(masks)
    assert page.get_attribute("#mask-info", "data-choices") == str(n)
    # Cycle with the button once and with the keyboard to the limb; Shift+C goes back.
    want = int(np.argmax(scores))
    page.click("#cycle-choice")
    assert page.get_attribute("#mask-info", "data-choice") == str(1 % n)
    page.keyboard.press("Shift+C")
    assert page.get_attribute("#mask-info", "data-choice") == "0"
    for _ in range(want):
        page.keyboard.press("c")
    assert page.get_attribute("#mask-info", "data-choice") == str(want)
    shot(page, screenshots / f"refine-part-{limb}.png")
    before = alpha_of(base, job_id, 0, frame) > 0.5
    page.click("#apply-edit")
    page.wait_for_function("!document.querySelector('#undo').disabled", timeout=15_000)
    gone = before & (alpha_of(base, job_id, 0, frame) < 0.5)
    assert iou(gone, mascot.limbs[limb]) >= 0.8, "Apply erased something else than the chosen part"
    ctx.close()
    assert not errors, errors


def _click_whole(page, canvas, x: float, y: float, scale: float) -> None:  # type: ignore[no-untyped-def]
    """Click (x, y) of the frame, wait for the choices and settle on the largest (the whole piece)."""
    with page.expect_response(lambda r: r.url.endswith("/segment/predict")):
        canvas.click(position={"x": x * scale, "y": y * scale})
    page.wait_for_selector("#mask-info[data-ready='1']")
    n = int(page.get_attribute("#mask-info", "data-choices") or "1")
    while page.get_attribute("#mask-info", "data-choice") != str(n - 1):
        page.keyboard.press("c")
    with page.expect_response(lambda r: r.url.endswith("/segment/apply")):
        page.click("#apply-edit")
    page.wait_for_function("!document.querySelector('#undo').disabled", timeout=15_000)


def test_restore_brings_back_the_character_never_the_key(
    browser, mascot_job: tuple[str, str], mascot: MascotFrame
) -> None:  # type: ignore[no-untyped-def]
    """Erase the whole character, then restore it with a click: the frame behind is the mascot over
    the key colour, and what comes back carries the mascot's colours only (its anti-aliased rim
    included), never the key's."""
    base, job_id = mascot_job
    ctx = browser.new_context(viewport={"width": 1280, "height": 800})
    page = ctx.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{base}/refine/{job_id}")
    page.wait_for_function("document.querySelector('#frame-label')?.textContent.includes('frame 1 of')")
    page.click("#thumbs [data-frame='2']")
    page.wait_for_function("document.querySelector('#frame-label').textContent.includes('frame 3 of')")
    size = mascot.rgb.shape[1]
    page.wait_for_function(f"document.querySelector('#seg-viewport canvas').width === {size}")
    page.wait_for_timeout(300)
    canvas = page.locator("#seg-viewport canvas")
    scale = canvas.bounding_box()["width"] / size
    x, y = inside_point(mascot.limbs["torso"])
    before = mascot.rgba[..., 3].astype(int).sum()
    _click_whole(page, canvas, x, y, scale)
    assert (alpha_of(base, job_id, 0, 2) * 255).sum() < 0.5 * before, "the whole character was not erased"
    page.click("[data-mode='restore']")
    _click_whole(page, canvas, x, y, scale)
    r = httpx.get(f"{base}{API}/jobs/{job_id}/actions/0/frames/2/cutout", timeout=10)
    r.raise_for_status()
    cut = np.asarray(Image.open(io.BytesIO(r.content)).convert("RGBA"))
    assert cut[..., 3].astype(int).sum() > 0.9 * before, "restore did not bring the character back"
    visible = cut[..., 3] > 0
    tinted = int((visible & (key_lean(cut[..., :3], KEY) > 0.1)).sum())
    own = int(((mascot.rgba[..., 3] > 0) & (key_lean(mascot.rgba[..., :3], KEY) > 0.1)).sum())
    assert tinted <= own, f"{tinted} restored pixels lean to the key (the mascot itself has {own})"
    ctx.close()
    assert not errors, errors
