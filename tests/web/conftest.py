"""Fixtures of the web tests: an app on a real SQLite store, a live uvicorn server, headless Chromium."""

from __future__ import annotations

import json
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from popcon.web import create_app
from tests.conftest import REPO
from tests.helpers.web import create_job, wait_job, web_settings

SCREENSHOTS = REPO / "test-artifacts" / "screenshots"
LIVE_DATA: dict[str, Path] = {}  # a live server's URL -> its data folder (tests that write its records)
CHROMIUM = Path("/usr/bin/chromium")


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    app = create_app(web_settings(tmp_path / "data"))
    with TestClient(app) as c:
        yield c


@pytest.fixture(scope="module")
def ready_job(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, dict]]:
    """One job at awaiting_refinement, shared by the tests that read or refine frames."""
    app = create_app(web_settings(tmp_path_factory.mktemp("ready") / "data"))
    with TestClient(app) as c:
        job = create_job(c, json.dumps([{"id": "wave"}, {"id": "jump"}]))
        job = wait_job(c, job["id"])
        assert job["status"] == "awaiting_refinement", job
        yield c, job


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The real app under uvicorn on 127.0.0.1 and a free port, in a thread of this process."""
    import uvicorn

    data = tmp_path_factory.mktemp("live") / "data"
    port = free_port()
    config = uvicorn.Config(create_app(web_settings(data)), host="127.0.0.1", port=port, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True, name="uvicorn-test")
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    url = f"http://127.0.0.1:{port}"
    LIVE_DATA[url] = data
    yield url
    LIVE_DATA.pop(url, None)
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser():  # type: ignore[no-untyped-def]
    sync_api = pytest.importorskip("playwright.sync_api")
    exe = CHROMIUM if CHROMIUM.exists() else (Path(p) if (p := shutil.which("chromium")) else None)
    if exe is None:
        pytest.skip("no Chromium found (apt-get install chromium)")
    with sync_api.sync_playwright() as pw:
        b = pw.chromium.launch(
            executable_path=str(exe),
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield EvalAllowed(b)
        b.close()


class EvalAllowed:
    """The browser, whose contexts let Playwright's string predicates run: `wait_for_function("...")`
    evaluates its text, which the UI's Content-Security-Policy (rightly) forbids. Pass
    `bypass_csp=False` to see a page under the real policy (tests/web/test_browser_security.py)."""

    def __init__(self, browser) -> None:  # type: ignore[no-untyped-def]
        self._browser = browser

    def new_context(self, **kw):  # type: ignore[no-untyped-def]
        kw.setdefault("bypass_csp", True)
        return self._browser.new_context(**kw)

    def new_page(self, **kw):  # type: ignore[no-untyped-def]
        kw.setdefault("bypass_csp", True)
        return self._browser.new_page(**kw)

    def __getattr__(self, name: str):  # type: ignore[no-untyped-def]
        return getattr(self._browser, name)


@pytest.fixture(scope="module")
def screenshots() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS
