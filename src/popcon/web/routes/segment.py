"""Click segmentation on a frame: prepare, predict a mask, apply a layer, undo / redo, apply to all."""

from __future__ import annotations

import io
import time

import numpy as np
from fastapi import APIRouter, Response
from fastapi.concurrency import run_in_threadpool
from PIL import Image

from popcon.domain.errors import Conflict, InvalidInput
from popcon.usecases.refine import Click, RefineService, clicks_of, default_choice, require_editable
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
    """Prepare the frame on screen and the next ones in the background (a first click finds them ready)."""
    return {"queued": _refine(svc).prepare_action(job, body.action, body.frame)}


@router.post(
    "/jobs/{job_id}/segment/predict",
    response_class=Response,
    responses={200: {"content": {"image/png": {}}, "description": "mask in the alpha channel"}},
)
async def predict(svc: Svc, job: JobDep, body: PredictRequest) -> Response:
    """What the clicks select: the part under them, the bigger parts, the whole piece (smallest first).
    png: a PNG whose alpha is one choice's mask (white elsewhere), ready to tint; rle: every choice as
    run lengths of the mask above 0.5, a few kB the page draws and cycles without decoding an image."""
    refine = _refine(svc)
    k = refine.key(job, body.action, body.frame)
    t0 = time.perf_counter()
    masks = await run_in_threadpool(refine.choices, k, _clicks(body), body.mode)
    seg_ms = (time.perf_counter() - t0) * 1000
    first = default_choice(body.mode, len(masks))
    if body.choice is not None and body.choice >= len(masks):
        raise InvalidInput(f"choice {body.choice} does not exist: these clicks have {len(masks)}")
    shown = first if body.choice is None else body.choice
    mask = masks[shown]
    areas, runs = await run_in_threadpool(_measure, masks, body.format == "rle")
    # Server-Timing: the segmenter's share of a click, so the page (and bench/click_preview.py) can tell
    # it apart from transport and drawing.
    headers = {
        "X-Mask-Area": f"{areas[shown]:.4f}",
        "X-Mask-Count": str(len(masks)),
        "X-Mask-Areas": ",".join(f"{a:.4f}" for a in areas),
        "X-Mask-Default": str(first),
        "Cache-Control": "no-store",
        "Server-Timing": f"segment;dur={seg_ms:.1f}",
    }
    if body.format == "rle":
        h, w = mask.shape
        headers |= {"X-Mask-Width": str(w), "X-Mask-Height": str(h)}
        return Response(runs, media_type="application/octet-stream", headers=headers)

    def encode() -> bytes:
        a = (np.clip(mask, 0, 1) * 255).round().astype(np.uint8)
        rgba = np.dstack([np.full_like(a, 255)] * 3 + [a])
        buf = io.BytesIO()
        Image.fromarray(rgba, "RGBA").save(buf, "PNG", compress_level=1)
        return buf.getvalue()

    return Response(await run_in_threadpool(encode), media_type="image/png", headers=headers)


def _measure(masks: list[np.ndarray], rle: bool) -> tuple[list[float], bytes]:
    """Each choice's selected pixels, its share of the frame and (for rle) its runs: a count of runs,
    then the runs, one choice after the other."""
    chosen = [m > 0.5 for m in masks]
    parts = []
    for b in chosen if rle else []:
        runs = mask_runs(b)
        parts += [np.array([len(runs)], "<u4").tobytes(), runs.tobytes()]
    return [float(b.mean()) for b in chosen], b"".join(parts)


def mask_runs(mask: np.ndarray) -> np.ndarray:
    """Run lengths (uint32 little-endian) of a boolean mask in row-major order, the first run unselected
    (0 when the first pixel is selected); the runs sum to the pixel count."""
    flat = mask.ravel()
    edges = np.flatnonzero(flat[1:] != flat[:-1]) + 1
    bounds = np.concatenate(([0], edges, [flat.size]))
    runs = np.diff(bounds)
    if flat.size and flat[0]:
        runs = np.concatenate(([0], runs))
    return runs.astype("<u4")


@router.post("/jobs/{job_id}/segment/apply", response_model=EditState)
async def apply(svc: Svc, job: JobDep, body: ApplyRequest) -> EditState:
    require_editable(job)
    refine = _refine(svc)
    k = refine.key(job, body.action, body.frame)
    return EditState(**await run_in_threadpool(refine.apply, k, _clicks(body), body.mode, None, body.choice))


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
