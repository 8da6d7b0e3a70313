"""Frames of an action: the pristine original and the current cut-out, as PNG."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter
from fastapi.responses import FileResponse

from popcon.domain.errors import NotFound
from popcon.usecases.refine import done_action
from popcon.web.deps import JobDep, Svc
from popcon.web.schemas import FrameInfo

router = APIRouter(tags=["frames"])
NO_CACHE = {"Cache-Control": "no-cache"}


@router.get("/jobs/{job_id}/actions/{index}/frames", response_model=FrameInfo)
def frame_info(svc: Svc, job: JobDep, index: int) -> FrameInfo:
    refine = svc.refine
    action = done_action(job, index)
    width, height = refine.frame_size(job, index)
    return FrameInfo(
        index=action.index,
        action_id=action.action_id,
        frame_count=action.frame_count,
        width=width,
        height=height,
        edited=refine.edited_frames(job, index),
    )


@router.get("/jobs/{job_id}/actions/{index}/frames/{frame}/{kind}", response_class=FileResponse)
def frame_png(svc: Svc, job: JobDep, index: int, frame: int, kind: Literal["raw", "cutout"]) -> FileResponse:
    refine = svc.refine
    k = refine.key(job, index, frame)
    path = refine.original_path(k) if kind == "raw" else refine.cutout_path(k)
    if not path.exists():
        raise NotFound(f"frame {frame} of action #{index} is missing")
    return FileResponse(path, media_type="image/png", headers=NO_CACHE)
