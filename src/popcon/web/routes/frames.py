"""Frames of an action: the pristine original, the current cut-out and the user's view, as PNG."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Response
from fastapi.responses import FileResponse

from popcon.domain.errors import NotFound
from popcon.usecases.frames import export_frames, neutral_view_of
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
        export_frames=export_frames(job.platforms, action.frame_count, action.seconds),
    )


@router.get(
    "/jobs/{job_id}/actions/{index}/frames/{frame}/{kind}",
    response_class=FileResponse,
    responses={200: {"content": {"image/png": {}}}},
)
def frame_png(
    svc: Svc, job: JobDep, index: int, frame: int, kind: Literal["raw", "cutout", "view"]
) -> Response:
    """raw: the frame as generated; cutout: the current cut-out; view: the frame as the user sees their
    character, the key colour the video was made on (or its transparency) replaced by a neutral grey."""
    refine = svc.refine
    k = refine.key(job, index, frame)
    path = refine.cutout_path(k) if kind == "cutout" else refine.original_path(k)
    if not path.exists():
        raise NotFound(f"frame {frame} of action #{index} is missing")
    if kind == "view":
        png = neutral_view_of(path, refine.cutout_path(k), job.key_color)
        return Response(png, media_type="image/png", headers=NO_CACHE)
    return FileResponse(path, media_type="image/png", headers=NO_CACHE)
