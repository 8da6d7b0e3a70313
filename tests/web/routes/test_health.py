"""Liveness and version."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.helpers.web import (
    API,
)


def test_health_and_version(client: TestClient) -> None:
    health = client.get(f"{API}/health").json()
    assert (health["status"], health["jobs_dir_writable"], health["problem"]) == ("ok", True, None)
    assert health["free_bytes"] > 0
    assert client.get(f"{API}/version").json()["api"] == "v1"
