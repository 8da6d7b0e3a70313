"""Server-sent events of a job."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient

from tests.helpers.web import (
    API,
    create_job,
)


def test_sse_stream_delivers_progress_and_ends(client: TestClient) -> None:
    job = create_job(client, json.dumps([{"id": "wave"}]))
    events: list[tuple[str, dict]] = []
    with client.stream("GET", f"{API}/jobs/{job['id']}/events") as r:
        assert r.headers["content-type"].startswith("text/event-stream")
        kind = None
        for line in r.iter_lines():
            if line.startswith("event: "):
                kind = line[7:]
            elif line.startswith("data: ") and kind:
                events.append((kind, json.loads(line[6:])))
    kinds = [k for k, _ in events]
    assert kinds[0] == "snapshot" and kinds[-1] == "end"
    statuses = [d["status"] for k, d in events if k == "job"]
    assert "animating" in statuses and statuses[-1] == "awaiting_refinement"
    assert any(k == "action" and d["status"] == "done" for k, d in events)
    # A resting job: the stream says so at once.
    with client.stream("GET", f"{API}/jobs/{job['id']}/events") as r:
        body = r.read().decode()
    assert "event: snapshot" in body and "event: end" in body
