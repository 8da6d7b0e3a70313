"""Accessibility in headless Chromium: axe-core on every page, keyboard focus after toggles.

axe-core is a test-only npm package (tests/web/axe: `npm ci --prefix tests/web/axe`); it is injected
into the page, never served by the app. Without it the axe checks skip and say how to install it.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.helpers.web import export_live, shot, start_live_job, wait_live_rest

pytestmark = pytest.mark.slow
AXE = Path(__file__).parent / "axe" / "node_modules" / "axe-core" / "axe.min.js"
DESKTOP = {"width": 1280, "height": 800}


def run_axe(page) -> list[dict]:  # type: ignore[no-untyped-def]
    """The critical and serious violations axe-core finds on the page as it stands."""
    if not AXE.exists():
        missing = f"axe-core is not installed: npm ci --prefix {AXE.parents[2]} (make test does)"
        if os.environ.get("CI"):
            pytest.fail(missing)  # CI installs it: a missing copy there is a broken install, not a skip
        pytest.skip(missing)
    page.add_script_tag(path=str(AXE))
    found = page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
        ".map(v => ({id: v.id, impact: v.impact, help: v.help,"
        " nodes: v.nodes.slice(0, 4).map(n => n.target.join(' ') + ' :: ' + n.failureSummary)}))"
    )
    return [v for v in found if v["impact"] in ("critical", "serious")]


@pytest.fixture(scope="module")
def exported_job(live_server: str) -> str:
    job_id = start_live_job(live_server, ["wave"], "line-emoji")
    assert wait_live_rest(live_server, job_id)["status"] == "awaiting_refinement"
    assert export_live(live_server, job_id)["status"] == "completed"
    return job_id


@pytest.fixture
def page(browser) -> Iterator:  # type: ignore[no-untyped-def]
    ctx = browser.new_context(viewport=DESKTOP)
    p = ctx.new_page()
    errors: list[str] = []
    p.on("pageerror", lambda e: errors.append(str(e)))
    yield p
    ctx.close()
    assert not errors, errors


PAGES = {
    "create": ("/create", "[data-action-card='wave']"),
    "jobs": ("/jobs", ".job-row, .jobs, table, [data-job]"),
    "job": ("/job/{id}", "#action-cards [data-status]"),
    "refine": ("/refine/{id}", "#frame-label[data-shown='0']"),
    "results": ("/results/{id}", ".ecard"),
}


@pytest.mark.parametrize("name", list(PAGES))
def test_axe_finds_nothing_critical_or_serious(
    live_server: str, exported_job: str, page, name: str, screenshots: Path
) -> None:  # type: ignore[no-untyped-def]
    path, ready = PAGES[name]
    page.goto(live_server + path.format(id=exported_job))
    page.wait_for_selector(ready, timeout=20_000)
    page.wait_for_timeout(300)
    bad = run_axe(page)
    shot(page, screenshots / f"a11y-{name}.png")
    (screenshots / f"a11y-{name}.json").write_text(json.dumps(bad, indent=1))
    assert not bad, json.dumps(bad, indent=1)
    assert page.evaluate(CLIPPED_BADGES) == [], "a status badge is cut off"


# Badges whose text overflows them, or that stick out of the card or row they sit in.
CLIPPED_BADGES = """() => [...document.querySelectorAll('.badge')].filter(b => {
  const r = b.getBoundingClientRect();
  const box = b.closest('.acard, .ecard, .jrow, .panel, .page-head');
  const p = box ? box.getBoundingClientRect() : {left: 0, right: innerWidth};
  return b.scrollWidth > b.clientWidth + 1 || r.left < p.left - 1 || r.right > p.right + 1;
}).map(b => b.textContent)"""


def test_focus_stays_on_the_toggled_checkbox(live_server: str, page) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{live_server}/create")
    page.wait_for_selector("[data-action-card='wave']")
    boxes = [f"input[data-action='{a}']" for a in ("love", "wave")]
    boxes.append("input[data-platform='telegram-sticker']")
    for sel in boxes:
        if page.locator(sel).count() == 0 or page.locator(sel).is_disabled():
            continue
        page.focus(sel)
        page.keyboard.press("Space")
        assert page.evaluate(f'document.activeElement === document.querySelector("{sel}")'), sel
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement !== document.body"), "Tab restarted at the top"


def test_a_long_prompt_is_never_cut_silently(live_server: str, page) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{live_server}/create")
    page.click("[data-source='prompt']")
    long = "a round green frog in a yellow raincoat " * 125  # 5,000 characters
    page.fill("#prompt", long)
    assert page.input_value("#prompt") == long, "the browser cut the description"
    assert "shorten it to 2000" in page.inner_text("#prompt-count")
    assert page.is_disabled("#submit") and "2000" in page.inner_text(".submit-bar .summary")
    page.fill("#prompt", "a round green frog")
    assert page.inner_text("#prompt-count").startswith("18 / 2000") and not page.is_disabled("#submit")


def test_job_page_counts_in_words_and_shows_export_progress_per_platform(
    live_server: str, page, screenshots: Path
) -> None:  # type: ignore[no-untyped-def]
    job_id = start_live_job(live_server, ["wave"], "line-emoji,telegram-video-sticker")
    assert wait_live_rest(live_server, job_id)["status"] == "awaiting_refinement"
    page.goto(f"{live_server}/job/{job_id}")
    page.wait_for_selector("#finish")
    assert "1 action ·" in page.inner_text(".page-head"), "one action reads '1 action'"
    page.click("#finish")
    rows = "#export-progress [data-export-platform]"
    page.wait_for_selector(rows, timeout=20_000)
    assert page.locator(rows).count() == 2
    page.wait_for_selector(f"{rows}[data-state='running'] .what >> text=/\\d+ of \\d+ steps/", timeout=30_000)
    shot(page, screenshots / "job-export-progress.png")
    assert run_axe(page) == []
    page.wait_for_url(f"**/results/{job_id}", timeout=120_000)


def test_an_unknown_address_is_a_page_not_json(live_server: str, page) -> None:  # type: ignore[no-untyped-def]
    res = page.goto(f"{live_server}/no/such/page")
    assert res is not None and res.status == 404
    page.wait_for_selector("#not-found")
    assert "/no/such/page" in page.inner_text("#not-found")
    api = httpx.get(f"{live_server}/api/v1/no-such-thing", headers={"accept": "text/html"}, timeout=10)
    assert api.status_code == 404 and api.json()["code"] == "not_found"
    assert httpx.post(f"{live_server}/no/such/page", timeout=10).status_code == 404
