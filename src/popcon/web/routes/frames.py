"""Frames of an action: the pristine original and the current cut-out, as PNG."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse

from popcon.domain.errors import NotFound
from popcon.media.images import read_png
from popcon.web.deps import JobDep, Svc
from popcon.web.refine import RefineService, done_action
from popcon.web.schemas import FrameInfo

router = APIRouter(tags=["frames"])
NO_CACHE = {"Cache-Control": "no-cache"}


def refine_service(request: Request) -> RefineService:
    return request.app.state.refine


@router.get("/jobs/{job_id}/actions/{index}/frames", response_model=FrameInfo)
def frame_info(request: Request, job: JobDep, index: int) -> FrameInfo:
    refine = refine_service(request)
    action = done_action(job, index)
    first = read_png(refine.original_path(refine.key(job, index, 0)))
    return FrameInfo(
        index=action.index,
        action_id=action.action_id,
        frame_count=action.frame_count,
        width=int(first.shape[1]),
        height=int(first.shape[0]),
        edited=refine.edited_frames(job, index),
    )


@router.get("/jobs/{job_id}/actions/{index}/frames/{frame}/{kind}", response_class=FileResponse)
def frame_png(
    request: Request, svc: Svc, job: JobDep, index: int, frame: int, kind: Literal["raw", "cutout"]
) -> FileResponse:
    refine = refine_service(request)
    k = refine.key(job, index, frame)
    path = refine.original_path(k) if kind == "raw" else refine.cutout_path(k)
    if not path.exists():
        raise NotFound(f"frame {frame} of action #{index} is missing")
    return FileResponse(path, media_type="image/png", headers=NO_CACHE)
