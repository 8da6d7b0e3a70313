"""Liveness and version."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.helpers.web import (
    API,
)


def test_health_and_version(client: TestClient) -> None:
    assert client.get(f"{API}/health").json() == {"status": "ok", "jobs_dir_writable": True}
    assert client.get(f"{API}/version").json()["api"] == "v1"
