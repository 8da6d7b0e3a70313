"""In Chromium: every page works under the Content-Security-Policy (no violation, no script error),
and a server with an API token asks for it once, then every request carries it."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import SecretStr

from popcon.web import create_app
from tests.helpers.web import export_live, start_live_job, wait_live_rest, web_settings
from tests.web.conftest import free_port

pytestmark = pytest.mark.slow
TOKEN = "browser-test-token-0123456789abcdef"
WATCH_CSP = """document.addEventListener('securitypolicyviolation',
  e => (window.__csp = window.__csp || []).push(e.violatedDirective + ' ' + e.blockedURI));"""


def _watched(browser) -> tuple:  # type: ignore[no-untyped-def]
    ctx = browser.new_context(viewport={"width": 1280, "height": 800}, bypass_csp=False)  # the real policy
    ctx.add_init_script(WATCH_CSP)
    page = ctx.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda e: problems.append(f"error: {e}"))
    page.on("console", lambda m: problems.append(m.text) if "Content Security Policy" in m.text else None)
    return ctx, page, problems


def _violations(page) -> list[str]:  # type: ignore[no-untyped-def]
    return list(page.evaluate("window.__csp || []"))


def test_every_page_works_under_the_csp(live_server: str, browser) -> None:  # type: ignore[no-untyped-def]
    job_id = start_live_job(live_server, ["wave"])
    assert wait_live_rest(live_server, job_id)["status"] == "awaiting_refinement"
    ctx, page, problems = _watched(browser)
    try:
        page.goto(f"{live_server}/create")
        page.wait_for_selector("text=Upload")
        page.set_input_files(
            "input[type=file]", str(Path(__file__).parents[2] / "../shared/samples/fox_on_white.jpg")
        )
        page.wait_for_timeout(1500)  # the cut-out preview (a blob: image) shows
        for path, ready in (
            ("/jobs", ".jobs, table, .job-row, main"),
            (f"/job/{job_id}", "#review"),
            (f"/refine/{job_id}", "canvas"),
        ):
            page.goto(f"{live_server}{path}")
            page.wait_for_selector(ready)
            page.wait_for_timeout(500)
        assert export_live(live_server, job_id)["status"] == "completed"
        page.goto(f"{live_server}/results/{job_id}")
        page.wait_for_selector(".ecard img")
        page.wait_for_timeout(500)
        assert not _violations(page) and not problems, (_violations(page), problems)
    finally:
        ctx.close()


@pytest.fixture(scope="module")
def token_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    import uvicorn

    settings = web_settings(tmp_path_factory.mktemp("tok") / "data").model_copy(
        update={"api_token": SecretStr(TOKEN)}
    )
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "uvicorn did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


def test_the_page_asks_for_the_token_once(token_server: str, browser) -> None:  # type: ignore[no-untyped-def]
    ctx, page, problems = _watched(browser)
    try:
        page.goto(f"{token_server}/jobs")
        page.wait_for_selector("#sign-in")
        page.fill("#api-token", "not-the-token")
        page.click("#sign-in button[type=submit]")
        page.wait_for_selector("#api-token-error:has-text('not this server')")
        page.fill("#api-token", TOKEN)
        page.click("#sign-in button[type=submit]")
        page.wait_for_selector("#sign-in", state="detached")
        page.wait_for_selector("[data-nav='jobs'].active")
        page.goto(f"{token_server}/create")  # a new page load: the cookie carries it, no second ask
        page.wait_for_selector("text=Upload")
        assert page.query_selector("#sign-in") is None
        assert not _violations(page), _violations(page)
        assert not [p for p in problems if p.startswith("error")], problems
    finally:
        ctx.close()
