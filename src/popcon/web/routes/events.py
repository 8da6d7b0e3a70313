"""Server-sent events: a job's progress as it happens.

The stream opens with a `snapshot` (the job as JSON), then relays every runner event for the job,
and ends with `end` once the job rests (finished, failed, or waiting for the user) and this server
runs nothing for it. The browser's EventSource falls back to polling `GET /jobs/{id}` on errors.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse

from popcon.web.deps import Hub, JobDep, Svc, job_out

router = APIRouter(tags=["events"])
HEARTBEAT_S = 10.0


def _sse(event: str, data: object) -> bytes:
    return f"event: {event}\ndata: {json.dumps(data, default=str)}\n\n".encode()


@router.get("/jobs/{job_id}/activity")
def job_activity(svc: Svc, job: JobDep) -> list[dict[str, Any]]:
    """The job's activity so far (the events the live stream sent), oldest first: survives reloads."""
    return svc.activity(job.id)


@router.get(
    "/jobs/{job_id}/events",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}}},
)
async def job_events(request: Request, svc: Svc, hub: Hub, job: JobDep) -> StreamingResponse:
    token, queue = hub.listen(job.id)  # listen first: nothing emitted after the snapshot is lost

    async def stream() -> AsyncIterator[bytes]:
        try:
            yield b"retry: 2000\n\n"
            snap = job_out(svc, await run_in_threadpool(svc.get_job, job.id))
            yield _sse("snapshot", snap.model_dump(mode="json"))
            if snap.resting:
                yield _sse("end", {"status": snap.status})
                return
            while True:
                try:
                    event = await asyncio.wait_for(queue.get(), timeout=HEARTBEAT_S)
                except TimeoutError:
                    if await request.is_disconnected():
                        return
                    yield b": keep-alive\n\n"
                    event = None
                if event is not None:
                    yield _sse(event.kind, event.to_dict())
                # Rest check after each event and heartbeat; the snapshot keeps the client exact.
                if event is None or event.kind in ("job", "log", "export"):
                    snap = job_out(svc, await run_in_threadpool(svc.get_job, job.id))
                    if snap.resting:
                        yield _sse("snapshot", snap.model_dump(mode="json"))
                        yield _sse("end", {"status": snap.status})
                        return
        finally:
            hub.stop(token)

    return StreamingResponse(
        stream(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
