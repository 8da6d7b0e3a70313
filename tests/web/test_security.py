"""Security headers on every response, and the API token of a server reachable from the network."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from popcon.cli.serve import check_serve_auth, is_loopback
from popcon.domain.errors import InvalidInput
from popcon.web import create_app
from popcon.web.security import COOKIE, UI_CSP
from tests.helpers.web import API, web_settings

TOKEN = "s3cret-token-for-tests-0123456789"


def _headers_ok(r, csp: str | None = UI_CSP) -> None:  # type: ignore[no-untyped-def]
    assert r.headers["x-content-type-options"] == "nosniff", (r.url, dict(r.headers))
    assert r.headers["referrer-policy"] == "no-referrer"
    assert r.headers["x-frame-options"] == "DENY"
    if csp is not None:
        assert r.headers["content-security-policy"] == csp


def test_every_kind_of_response_carries_the_headers(tmp_path: Path) -> None:
    app = create_app(web_settings(tmp_path / "data"))

    @app.get("/boom-for-test")
    def _boom() -> None:
        raise RuntimeError("unexpected")

    app.router.routes.insert(0, app.router.routes.pop())  # ahead of the UI's catch-all 404 page

    with TestClient(app, raise_server_exceptions=False) as c:
        for path in ("/", "/create", "/static/js/app.js", "/static/app.css", f"{API}/jobs", f"{API}/jobs/zz",
                     "/no-such-page", f"{API}/openapi.json"):  # fmt: skip
            _headers_ok(c.get(path))
        _headers_ok(c.post(f"{API}/jobs", data={"actions": "["}))  # 4xx
        boom = c.get("/boom-for-test")
        assert boom.status_code == 500
        _headers_ok(boom)
        docs = c.get("/docs")  # the API docs keep their own (looser) policy; the other headers still apply
        _headers_ok(docs, csp=None)
        assert "unsafe-inline" in docs.headers["content-security-policy"]
        assert "unsafe-inline" not in UI_CSP and "frame-ancestors 'none'" in UI_CSP


def test_no_token_set_means_no_gate(client: TestClient) -> None:
    assert client.get(f"{API}/jobs").status_code == 200
    assert client.get(f"{API}/auth").json() == {"required": False, "authenticated": True}


def test_a_token_gates_every_api_call(tmp_path: Path) -> None:
    settings = web_settings(tmp_path / "data").model_copy(update={"api_token": SecretStr(TOKEN)})
    with TestClient(create_app(settings)) as c:
        for path in (f"{API}/jobs", f"{API}/health", f"{API}/jobs/0123456789ab/events"):
            r = c.get(path)
            assert r.status_code == 401 and r.json()["code"] == "unauthorized", r.text
            assert r.headers["www-authenticate"].startswith("Bearer")
            _headers_ok(r)
        assert (
            c.get(f"{API}/jobs", headers={"Authorization": "Bearer wrong-token-wrong-token"}).status_code
            == 401
        )
        assert c.get(f"{API}/jobs", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200
        assert c.get("/").status_code == 200 and c.get(f"{API}/openapi.json").status_code == 200
        assert c.get(f"{API}/auth").json() == {"required": True, "authenticated": False}
        assert c.post(f"{API}/auth", headers={"Authorization": "Bearer nope"}).status_code == 400
        signed = c.post(f"{API}/auth", headers={"Authorization": f"Bearer {TOKEN}"})
        assert signed.status_code == 204
        cookie = signed.headers["set-cookie"].lower()
        assert f"{COOKIE}=" in cookie and "httponly" in cookie and "samesite=strict" in cookie
        assert (
            c.get(f"{API}/jobs").status_code == 200
        )  # the cookie alone now (what <img> and EventSource send)
        assert c.get(f"{API}/auth").json() == {"required": True, "authenticated": True}


def test_loopback_hosts() -> None:
    assert all(is_loopback(h) for h in ("127.0.0.1", "127.1.2.3", "::1", "[::1]", "localhost"))
    assert not any(is_loopback(h) for h in ("0.0.0.0", "::", "192.168.1.5", "example.org"))
    check_serve_auth("127.0.0.1", None, False)
    check_serve_auth("0.0.0.0", TOKEN, False)
    check_serve_auth("0.0.0.0", None, True)
    with pytest.raises(InvalidInput, match="POPCON_API_TOKEN"):
        check_serve_auth("0.0.0.0", None, False)
    with pytest.raises(InvalidInput, match="too short"):
        check_serve_auth("0.0.0.0", "short", False)


def _serve(tmp_path: Path, *args: str, token: str | None = None) -> subprocess.Popen[str]:
    env = {**os.environ, "POPCON_DATA_DIR": str(tmp_path / "data"), "COLUMNS": "60"}
    env.pop("POPCON_API_TOKEN", None)
    if token:
        env["POPCON_API_TOKEN"] = token
    cmd = [sys.executable, "-m", "popcon", "serve", "--port", "8123", *args]
    return subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_serve_on_the_network_without_a_token_refuses_to_start(tmp_path: Path) -> None:
    proc = _serve(tmp_path, "--host", "0.0.0.0")
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 2, (out, err)
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1 and "POPCON_API_TOKEN" in lines[0] and "--no-auth" in lines[0], err
    assert "Traceback" not in err


@pytest.mark.parametrize(
    ("args", "token", "says"), [(["--no-auth"], None, "warning"), ([], TOKEN, "token required")]
)
def test_serve_on_the_network_starts_with_a_token_or_no_auth(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str], token: str | None, says: str
) -> None:
    """Everything `serve` does up to binding (uvicorn.run is recorded, not run: tests bind loopback only)."""
    import uvicorn
    from typer.testing import CliRunner

    from popcon.cli.app import app

    ran: list[dict] = []
    monkeypatch.setattr(uvicorn, "run", lambda app_, **kw: ran.append(kw))
    monkeypatch.delenv("POPCON_API_TOKEN", raising=False)
    if token:
        monkeypatch.setenv("POPCON_API_TOKEN", token)
    monkeypatch.setenv("POPCON_DATA_DIR", str(tmp_path / "data"))
    result = CliRunner().invoke(app, ["serve", "--host", "0.0.0.0", "--port", "8123", *args])
    assert result.exit_code == 0, result.output
    assert ran == [{"host": "0.0.0.0", "port": 8123, "log_level": "info", "access_log": False}]
    assert says in result.output.lower(), result.output
