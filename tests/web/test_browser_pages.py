"""What a new user hits on each page (issue 12 A), in headless Chromium at 1280x800 and 390x844.

One job (2 actions, exported for LINE and Telegram) is shared by the module; each test drives one page.
Screenshots land in test-artifacts/screenshots/ (ignored by git).
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import httpx
import numpy as np
import pytest
from PIL import Image

from tests.helpers.web import FOX, alpha_of, export_live, live_api, shot, start_live_job, wait_live_rest

pytestmark = pytest.mark.slow
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def done_job(live_server: str) -> str:
    """A job with two actions, exported for LINE animated emoji and Telegram video stickers."""
    job_id = start_live_job(live_server, ["wave", "jump"], "line-emoji,telegram-video-sticker")
    assert wait_live_rest(live_server, job_id)["status"] == "awaiting_refinement"
    job = export_live(live_server, job_id)
    assert job["status"] == "completed"
    assert sorted(job["exported"]) == ["line-emoji", "telegram-video-sticker"]
    return job_id


@pytest.fixture
def pages(browser) -> Iterator[dict]:  # type: ignore[no-untyped-def]
    """A desktop page and a phone page (touch), each failing the test on a script error."""
    errors: list[str] = []
    desk = browser.new_context(viewport=DESKTOP)
    phone = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True)
    out = {"desk": desk.new_page(), "phone": phone.new_page(), "errors": errors}
    for p in (out["desk"], out["phone"]):
        p.on("pageerror", lambda e: errors.append(str(e)))
    yield out
    desk.close()
    phone.close()
    assert not errors, errors


# ---- 1. results cards: every file at a sensible size, light and dark ------------------------------
CARD_GEOMETRY = """() => [...document.querySelectorAll('.ecard')].map(card => {
  const c = card.getBoundingClientRect();
  const halves = [...card.querySelectorAll('.pair > div')].map(d => {
    const b = d.getBoundingClientRect(), m = d.querySelector('img, video').getBoundingClientRect();
    return {l: b.left, r: b.right, t: b.top, b: b.bottom,
            ml: m.left, mr: m.right, mt: m.top, mb: m.bottom, mw: m.width};
  });
  return {name: card.dataset.file, l: c.left, r: c.right, halves};
})"""


def test_result_cards_show_every_platform_file_inside_its_half(
    live_server: str, done_job: str, pages: dict, screenshots: Path
) -> None:
    for size, page in (("desk", pages["desk"]), ("phone", pages["phone"])):
        page.goto(f"{live_server}/results/{done_job}")
        page.wait_for_selector("[data-platform='telegram-video-sticker'] .ecard video")
        page.wait_for_function(
            "[...document.querySelectorAll('.ecard video')].every(v => v.readyState >= 2)", timeout=20_000
        )
        shot(page, screenshots / f"a1-results-{size}.png")
        cards = page.evaluate(CARD_GEOMETRY)
        assert len(cards) == 5  # 2 LINE + its tab image, 2 Telegram
        for card in cards:
            light, dark = card["halves"]
            assert abs((light["r"] - light["l"]) - (dark["r"] - dark["l"])) < 2, card  # two equal halves
            assert dark["r"] <= card["r"] + 1 and light["l"] >= card["l"] - 1, card  # both inside the card
            for half in (light, dark):
                assert half["ml"] >= half["l"] - 0.5 and half["mr"] <= half["r"] + 0.5, card  # never cropped
                assert half["mt"] >= half["t"] - 0.5 and half["mb"] <= half["b"] + 0.5, card
                assert 40 <= half["mw"] <= 200, card  # a sensible size, not the file's own 512 px
        overflow = page.evaluate("document.documentElement.scrollWidth") - page.viewport_size["width"]
        assert overflow <= 1


# ---- 3. results headline agrees with the export warnings; 4. focus back after the modal -------------
def test_results_headline_and_modal_focus(live_server: str, done_job: str, pages: dict) -> None:
    page = pages["desk"]
    page.goto(f"{live_server}/results/{done_job}")
    page.wait_for_selector(".warnings")
    head = page.inner_text(".page-head p")
    assert "all pass" not in head and "not ready to submit" in head  # 2 emoji: LINE needs at least 8
    assert "LINE animated emoji" in head
    page.focus(".ecard[data-file='001.png'] .pair")
    page.keyboard.press("Enter")
    page.wait_for_selector("#preview-modal")
    page.keyboard.press("Escape")
    page.wait_for_selector("#preview-modal", state="detached")
    assert page.evaluate("document.activeElement.closest('.ecard')?.dataset.file") == "001.png"


# ---- 2. API docs with no network ----------------------------------------------------------------
def test_docs_and_redoc_render_with_no_network(live_server: str, browser) -> None:  # type: ignore[no-untyped-def]
    ctx = browser.new_context(viewport=DESKTOP, bypass_csp=False)  # the docs' own policy keeps the CDN out
    outside: list[str] = []

    def only_local(route) -> None:  # type: ignore[no-untyped-def]
        if route.request.url.startswith(live_server):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    ctx.route("**/*", only_local)
    page = ctx.new_page()
    page.goto(f"{live_server}/docs")
    page.wait_for_selector(".swagger-ui .info .title", timeout=20_000)
    assert "PopCon" in page.inner_text(".swagger-ui .info .title")
    page.wait_for_selector(".opblock-tag", timeout=10_000)
    page.goto(f"{live_server}/redoc")
    page.wait_for_selector("h1:has-text('PopCon')", timeout=20_000)
    assert not outside, outside
    ctx.close()


# ---- 3, 4, 8: the create page --------------------------------------------------------------------
# Each emoji must be drawn in colour: rendered with the element's own font stack it has at least half the
# coloured pixels it has with Noto Color Emoji alone (a text font's black-and-white glyph has none).
COLOUR_EMOJI = """async (sel) => {
  const out = [];
  for (const el of document.querySelectorAll(sel)) {
    for (const emoji of el.textContent.match(/\\p{Extended_Pictographic}\\uFE0F?/gu) || []) {
      const draw = async (family) => {
        await document.fonts.load(`32px ${family}`, emoji);  // as the page would: web fonts loaded
        const c = document.createElement('canvas'); c.width = c.height = 48;
        const x = c.getContext('2d'); x.font = `32px ${family}`; x.textBaseline = 'top';
        x.fillText(emoji, 4, 4); return x.getImageData(0, 0, 48, 48).data;
      };
      const colour = (d) => { let n = 0; for (let i = 0; i < d.length; i += 4)
        if (d[i + 3] > 100 && Math.max(d[i], d[i + 1], d[i + 2]) - Math.min(d[i], d[i + 1], d[i + 2]) > 40)
          n++;
        return n; };
      const mine = colour(await draw(getComputedStyle(el).fontFamily));
      const ref = colour(await draw('"Noto Color Emoji"'));
      out.push({emoji, mine, ref});
    }
  }
  return out;
}"""


def grey_emoji(page, selector: str) -> list[dict]:  # type: ignore[no-untyped-def]
    return [e for e in page.evaluate(COLOUR_EMOJI, selector) if e["ref"] >= 20 and e["mine"] < 0.5 * e["ref"]]


def test_create_page_warns_names_platforms_and_stays_usable(
    live_server: str, pages: dict, screenshots: Path
) -> None:
    page, phone = pages["desk"], pages["phone"]
    page.goto(f"{live_server}/create")
    page.wait_for_selector("[data-action-card='wave'] textarea")
    # 3: three actions picked for LINE (8-40 per set): warned now, with a fix at hand.
    warn = page.locator("#set-warning")
    assert warn.is_visible() and "at least 8" in warn.inner_text()
    shot(page, screenshots / "a3-create-warning.png")
    page.click("#add-suggested")
    assert page.locator("input[data-action]:checked").count() == 8
    assert not warn.is_visible()
    page.click("[data-action-card='wave'] .head")  # back to 7: warned again
    assert warn.is_visible()
    # 8: platform names, not slugs; colour emoji; motion prompts shown whole.
    summary = page.inner_text(".submit-bar .summary")
    assert "LINE animated emoji" in summary or "Add a character" in summary
    page.set_input_files("#file-input", str(FOX))
    page.wait_for_function("document.querySelector('.submit-bar .summary').textContent.includes('LINE')")
    assert "line-emoji" not in page.inner_text(".submit-bar .summary")
    mono = grey_emoji(page, ".action-card")
    assert not mono, f"black-and-white emoji: {mono}"
    cut = page.evaluate(
        "[...document.querySelectorAll('.action-card textarea')]"
        ".filter(t => t.scrollHeight > t.clientHeight + 2).map(t => t.getAttribute('aria-label'))"
    )
    assert not cut, f"motion prompts cut off: {cut}"
    # 4: the upload box is reached by keyboard; custom inputs have labels.
    page.goto(f"{live_server}/create")
    page.wait_for_selector("[data-action-card='wave']")
    reached = False
    for _ in range(8):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "file-input":
            reached = True
            break
    assert reached, "Tab never reaches the upload box"
    assert page.get_by_label("Custom action name").count() == 1
    assert page.get_by_label("How it moves").count() == 1
    page.fill("#custom-name", "9bad")
    page.fill("#custom-prompt", "spins")
    page.click("text=+ Add custom action")
    assert "lowercase" in page.inner_text("#custom-error")
    page.wait_for_timeout(4000)  # toasts used to vanish: the inline error stays until the user acts
    assert page.locator("#custom-error").is_visible()
    # 8: on a phone the submit button is on screen without scrolling 3,400 px.
    phone.goto(f"{live_server}/create")
    phone.wait_for_selector("[data-action-card='wave']")
    phone.wait_for_timeout(300)
    box = phone.locator("#submit").bounding_box()
    assert box is not None and box["y"] >= 0 and box["y"] + box["height"] <= PHONE["height"], box
    phone.screenshot(path=screenshots / "a8-create-phone-viewport.png")
    shot(phone, screenshots / "a8-create-phone-full.png")


# ---- 5: a huge upload is refused at once, the reason stays next to the control ---------------------
def test_big_or_bad_upload_errors_stay_next_to_the_drop_zone(
    live_server: str, pages: dict, tmp_path: Path, screenshots: Path
) -> None:
    page = pages["desk"]
    big = tmp_path / "huge.png"
    Image.new("1", (12000, 12000), 1).save(big)  # 144 megapixels, a few hundred kB
    page.goto(f"{live_server}/create")
    page.wait_for_selector("#file-input", state="attached")
    page.set_input_files("#file-input", str(FOX))
    page.wait_for_selector("#cutout-preview", timeout=20_000)
    # Watch the main thread: the longest gap between animation frames while the big file is handled.
    page.evaluate(
        "window.__gap = 0; (() => { let last = performance.now(); const tick = (t) => {"
        " window.__gap = Math.max(window.__gap, t - last); last = t; requestAnimationFrame(tick); };"
        " requestAnimationFrame(tick); })()"
    )
    page.set_input_files("#file-input", str(big))
    page.wait_for_selector("#character #char-error:not([hidden])", timeout=5_000)
    assert "12000×12000" in page.inner_text("#char-error") and "megapixels" in page.inner_text("#char-error")
    page.wait_for_timeout(8000)  # longer than any toast lived
    assert page.locator("#char-error").is_visible()
    assert page.evaluate("window.__gap") < 1000, "the page froze"
    assert page.locator("#original-preview").count() == 1  # the earlier image is kept, nothing reset
    shot(page, screenshots / "a5-create-too-big.png")
    # A file the server refuses (not an image) is explained in the same place.
    fake = tmp_path / "notes.png"
    fake.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 200)
    page.set_input_files("#file-input", str(fake))
    page.wait_for_function(
        "document.querySelector('#char-error') && !document.querySelector('#char-error').hidden"
        " && !document.querySelector('#char-error').textContent.includes('12000')",
        timeout=15_000,
    )
    assert page.locator(".toast").count() == 0


# ---- 7: the job page ----------------------------------------------------------------------------
def test_job_page_animates_keeps_its_log_and_fits_a_phone(
    live_server: str, done_job: str, pages: dict, screenshots: Path
) -> None:
    page, phone = pages["desk"], pages["phone"]
    page.goto(f"{live_server}/job/{done_job}")
    page.wait_for_selector("canvas[data-action-flip='0'][data-frame]")
    seen = set()
    for _ in range(12):
        seen.add(page.evaluate("document.querySelector(\"canvas[data-action-flip='0']\").toDataURL()"))
        page.wait_for_timeout(120)
    assert len(seen) >= 3, "the thumbnail is a still frame"
    page.reload()  # the activity log is the server's, not the page's memory
    page.wait_for_selector(".activity:not([hidden]) .log")
    log = page.inner_text(".activity .log")
    assert "awaiting" in log.lower() or "ready to review" in log.lower(), log
    shot(page, screenshots / "a7-job-done.png")
    # Waiting is not running.
    kinds = page.evaluate(
        "import('/static/js/ui.js')"
        ".then(m => ['pending', 'queued', 'animating'].map(s => m.badge(s).className))"
    )
    assert kinds[0] == kinds[1] == "badge queue" and kinds[2] == "badge run"
    phone.goto(f"{live_server}/job/{done_job}")
    phone.wait_for_selector(".tracker")
    phone.wait_for_timeout(300)
    fits = phone.evaluate(
        "(() => { const t = document.querySelector('.tracker'); const r = t.getBoundingClientRect();"
        " const cut = [...t.querySelectorAll('.lbl')].filter(l => { const b = l.getBoundingClientRect();"
        " return b.width > 2 && (b.left < r.left - 0.5 || b.right > r.right + 0.5); })"
        " .map(l => l.textContent);"
        " return {scrolls: t.scrollWidth > t.clientWidth + 1, cut}; })()"
    )
    assert not fits["scrolls"] and not fits["cut"], fits
    assert phone.inner_text("#tracker-caption").strip()
    shot(phone, screenshots / "a7-job-phone.png")


def test_cancel_asks_first_and_a_canceled_job_has_one_resume(
    live_server: str, pages: dict, screenshots: Path
) -> None:
    page = pages["desk"]
    job_id = start_live_job(live_server, ["wave", "jump", "laugh", "love", "cry", "happy", "dance", "sleepy"])
    page.goto(f"{live_server}/job/{job_id}")
    page.wait_for_selector("#cancel", timeout=10_000)
    dialogs: list[str] = []

    def dismiss(d) -> None:  # type: ignore[no-untyped-def]
        dialogs.append(d.message)
        d.dismiss()

    page.once("dialog", dismiss)
    page.click("#cancel")
    assert dialogs and "Cancel" in dialogs[0]
    with live_api(live_server) as c:
        assert c.get(f"/jobs/{job_id}").json()["status"] != "canceled"
    page.once("dialog", lambda d: d.accept())
    page.click("#cancel")
    job = wait_live_rest(live_server, job_id)
    assert job["status"] == "canceled"
    page.wait_for_selector(".callout.bad #resume")
    page.wait_for_timeout(300)
    assert page.get_by_role("button", name="Resume").count() == 1
    shot(page, screenshots / "a7-job-canceled.png")


def test_jobs_list_says_what_each_job_is_and_deletes_after_asking(
    live_server: str, done_job: str, pages: dict, screenshots: Path
) -> None:
    page = pages["desk"]
    victim = start_live_job(live_server, ["love"])
    wait_live_rest(live_server, victim)
    page.goto(f"{live_server}/jobs")
    row = page.locator(f"[data-job='{done_job}']")
    row.wait_for()
    title = row.locator(".jtitle").inner_text()
    assert "Wave" in title and "Jump" in title  # words, not only a hex id
    assert row.locator("time").inner_text().strip()
    page.wait_for_function(
        f"(() => {{ const i = document.querySelector(\"[data-job='{done_job}'] .jthumb img\");"
        " return i && i.complete && i.naturalWidth > 0; })()"
    )
    assert "LINE animated emoji" in row.inner_text()
    mono = grey_emoji(page, ".jtitle")
    assert not mono, f"black-and-white emoji: {mono}"
    shot(page, screenshots / "a7-jobs.png")
    page.once("dialog", lambda d: d.dismiss())
    page.click(f"[data-delete='{victim}']")
    page.wait_for_timeout(300)
    assert page.locator(f"[data-job='{victim}']").count() == 1
    page.once("dialog", lambda d: d.accept())
    page.click(f"[data-delete='{victim}']")
    page.wait_for_selector(f"[data-job='{victim}']", state="detached")
    with live_api(live_server) as c:
        assert c.get(f"/jobs/{victim}").status_code == 404
    pages["phone"].goto(f"{live_server}/jobs")
    pages["phone"].wait_for_selector(f"[data-job='{done_job}']")
    shot(pages["phone"], screenshots / "a7-jobs-phone.png")


# ---- 6: the refine page -------------------------------------------------------------------------
def test_refine_page_aligns_panes_hides_the_key_and_erases_cleanly(
    live_server: str, done_job: str, pages: dict, screenshots: Path
) -> None:
    page, phone = pages["desk"], pages["phone"]
    page.goto(f"{live_server}/refine/{done_job}")
    page.click("[data-action-index='1']")
    page.wait_for_function("document.querySelector('#frame-label').textContent.includes('frame 1 of')")
    page.wait_for_timeout(300)
    a = page.locator("#seg-viewport canvas").bounding_box()
    b = page.locator("#orig-viewport canvas").bounding_box()
    assert a and b and abs(a["y"] - b["y"]) < 1 and abs(a["height"] - b["height"]) < 1, (a, b)
    assert page.get_by_role("button", name="Dark backdrop").count() == 1
    # The original as the user sees it: no pixel of the key colour the video was made on; a clip with
    # its own alpha (the offline animator's) is shown over the page's neutral grey, not over black.
    raw = httpx.get(f"{live_server}/api/v1/jobs/{done_job}/actions/1/frames/0/raw", timeout=10).content
    raw_px = np.asarray(Image.open(io.BytesIO(raw)).convert("RGBA"))
    if raw_px[0, 0, 3] == 0:
        corner = page.evaluate(
            "Array.from(document.querySelector('#orig-viewport canvas').getContext('2d')"
            ".getImageData(0, 0, 1, 1).data)"
        )
        assert max(abs(corner[i] - (236, 235, 241)[i]) for i in range(3)) <= 3, corner
    kr, kg, kb = raw_px[0, 0, :3].tolist() if raw_px[0, 0, 3] else (0, 0, 0)  # the key colour, if any
    key = (
        0.0
        if raw_px[0, 0, 3] == 0
        else page.evaluate(
            "([kr, kg, kb]) => { const c = document.querySelector('#orig-viewport canvas');"
            " const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data; let n = 0;"
            " for (let i = 0; i < d.length; i += 4)"
            "   if (Math.abs(d[i] - kr) + Math.abs(d[i+1] - kg) + Math.abs(d[i+2] - kb) < 40) n++;"
            " return n / (d.length / 4); }",
            [kr, kg, kb],
        )
    )
    assert key < 0.001, f"{key:.1%} of the original shows the key colour"
    # Erase the character: the preview has a dark outline (readable on any colour), no ghost is left.
    before = alpha_of(live_server, done_job, 1, 0)
    ys, xs = np.nonzero(before > 0.5)
    w = page.evaluate("document.querySelector('#seg-viewport canvas').width")
    scale = a["width"] / w
    page.locator("#seg-viewport canvas").click(
        position={"x": float(np.median(xs)) * scale, "y": float(np.median(ys)) * scale}
    )
    page.wait_for_selector("#mask-info[data-ready='1']", timeout=15_000)
    outline = page.evaluate(
        "(() => { const c = document.querySelector('#seg-viewport canvas');"
        " const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data; let n = 0;"
        " for (let i = 0; i < d.length; i += 4) if (d[i] === 26 && d[i+1] === 26 && d[i+2] === 26) n++;"
        " return n; })()"
    )
    assert outline > 50, "the erase preview has no outline"
    shot(page, screenshots / "a6-refine-preview.png")
    page.click("#apply-edit")
    page.wait_for_function("!document.querySelector('#undo').disabled", timeout=15_000)
    after = alpha_of(live_server, done_job, 1, 0)
    gone = (before > 0.5) & (after < 0.5)
    ring = np.zeros_like(gone)
    ys, xs = np.nonzero(gone)
    ring[max(0, ys.min() - 6) : ys.max() + 7, max(0, xs.min() - 6) : xs.max() + 7] = True
    ghost = ring & ~gone & (after > 0.05) & (after < 0.95)
    assert ghost.sum() < 0.02 * gone.sum(), f"{int(ghost.sum())} ghost-outline pixels left"
    page.click("#undo")
    page.wait_for_function("document.querySelector('#undo').disabled", timeout=15_000)
    # A phone gets touch words, not right click / Ctrl+wheel.
    phone.goto(f"{live_server}/refine/{done_job}")
    phone.wait_for_selector("#seg-viewport canvas")
    hint = phone.inner_text("#refine-hint") + phone.inner_text(".page-head p")
    assert "right click" not in hint.lower() and "wheel" not in hint.lower(), hint
    shot(phone, screenshots / "a6-refine-phone.png")


def test_a_slow_upload_shows_its_progress(live_server: str, browser, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    ctx = browser.new_context(viewport=DESKTOP)
    page = ctx.new_page()
    big = tmp_path / "noisy.png"
    rng = np.random.default_rng(1)
    Image.fromarray(rng.integers(0, 255, (900, 900, 3), dtype=np.uint8)).save(big)  # ~2.4 MB
    page.goto(f"{live_server}/create")
    page.wait_for_selector("#file-input", state="attached")
    cdp = ctx.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send(
        "Network.emulateNetworkConditions",
        {"offline": False, "latency": 20, "downloadThroughput": -1, "uploadThroughput": 1_000_000},
    )
    page.set_input_files("#file-input", str(big))
    page.wait_for_selector("#upload-progress", timeout=5_000)
    assert "Uploading" in page.inner_text("#upload-progress")
    assert page.evaluate("1 + 1") == 2  # the page answers while the upload runs
    page.wait_for_selector("#cutout-preview", timeout=60_000)
    assert page.locator("#upload-progress").count() == 0
    ctx.close()
