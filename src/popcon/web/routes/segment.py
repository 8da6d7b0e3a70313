"""Click segmentation on a frame: prepare, predict a mask, apply a layer, undo / redo, apply to all."""

from __future__ import annotations

import io

import numpy as np
from fastapi import APIRouter, Response
from fastapi.concurrency import run_in_threadpool
from PIL import Image

from popcon.domain.errors import Conflict
from popcon.usecases.refine import Click, RefineService, clicks_of, require_editable
from popcon.web.deps import JobDep, Svc
from popcon.web.schemas import (
    ApplyAllRequest,
    ApplyAllStarted,
    ApplyRequest,
    EditState,
    FrameRef,
    PredictRequest,
)

router = APIRouter(tags=["segment"])


def _refine(svc: Svc) -> RefineService:
    return svc.refine


def _clicks(req: PredictRequest) -> list[Click]:
    return clicks_of([(c.x, c.y, c.positive) for c in req.clicks])


@router.post("/jobs/{job_id}/segment/prepare", status_code=202)
def prepare(svc: Svc, job: JobDep, body: FrameRef) -> dict[str, int]:
    """Start computing every frame's embedding of the action in the background."""
    return {"queued": _refine(svc).prepare_action(job, body.action)}


@router.post(
    "/jobs/{job_id}/segment/predict",
    response_class=Response,
    responses={200: {"content": {"image/png": {}}, "description": "mask in the alpha channel"}},
)
async def predict(svc: Svc, job: JobDep, body: PredictRequest) -> Response:
    """The mask the clicks select, as a PNG whose alpha is the mask (white elsewhere): ready to tint."""
    refine = _refine(svc)
    k = refine.key(job, body.action, body.frame)
    mask = await run_in_threadpool(refine.predict, k, _clicks(body), body.mode)

    def encode() -> bytes:
        a = (np.clip(mask, 0, 1) * 255).round().astype(np.uint8)
        rgba = np.dstack([np.full_like(a, 255)] * 3 + [a])
        buf = io.BytesIO()
        Image.fromarray(rgba, "RGBA").save(buf, "PNG", compress_level=1)
        return buf.getvalue()

    area = float((mask > 0.5).mean())
    return Response(
        await run_in_threadpool(encode),
        media_type="image/png",
        headers={"X-Mask-Area": f"{area:.4f}", "Cache-Control": "no-store"},
    )


@router.post("/jobs/{job_id}/segment/apply", response_model=EditState)
async def apply(svc: Svc, job: JobDep, body: ApplyRequest) -> EditState:
    require_editable(job)
    refine = _refine(svc)
    k = refine.key(job, body.action, body.frame)
    return EditState(**await run_in_threadpool(refine.apply, k, _clicks(body), body.mode))


@router.get("/jobs/{job_id}/segment/state", response_model=EditState)
def state(svc: Svc, job: JobDep, action: int, frame: int) -> EditState:
    refine = _refine(svc)
    return EditState(**refine.describe(refine.key(job, action, frame)))


@router.post("/jobs/{job_id}/segment/undo", response_model=EditState)
async def undo(svc: Svc, job: JobDep, body: FrameRef) -> EditState:
    require_editable(job)
    refine = _refine(svc)
    return EditState(**await run_in_threadpool(refine.step, refine.key(job, body.action, body.frame), -1))


@router.post("/jobs/{job_id}/segment/redo", response_model=EditState)
async def redo(svc: Svc, job: JobDep, body: FrameRef) -> EditState:
    require_editable(job)
    refine = _refine(svc)
    return EditState(**await run_in_threadpool(refine.step, refine.key(job, body.action, body.frame), 1))


@router.post("/jobs/{job_id}/segment/apply-all", response_model=ApplyAllStarted, status_code=202)
def apply_all(svc: Svc, job: JobDep, body: ApplyAllRequest) -> ApplyAllStarted:
    """Replay this frame's edits on every frame of the action, in the background.

    Progress streams as `refine` events on the job's event stream (which stays open while it runs);
    the job's `busy` flag drops when it is done.
    """
    require_editable(job)
    if svc.busy(job.id):
        raise Conflict(f"job {job.id} is busy; try again when it stops")
    refine = _refine(svc)
    k = refine.key(job, body.action, body.frame)
    if not refine.describe(k)["layers"]:
        raise Conflict("this frame has no edits to apply; click on it and apply an edit first")
    total = next(a.frame_count for a in job.actions if a.index == body.action) - 1

    def progress(done: int, total: int) -> None:
        svc.progress(job.id, "refine", done, total, "frames")

    svc.start(job.id, refine.apply_all, job, body.action, body.frame, progress)
    return ApplyAllStarted(action=body.action, frames=total)
