"""Frames of an action: the pristine original and the current cut-out, as PNG."""

from __future__ import annotations

import io
from typing import Literal

import numpy as np
from fastapi import APIRouter, Request, Response
from fastapi.responses import FileResponse
from PIL import Image

from popcon.domain.errors import InvalidInput, NotFound
from popcon.domain.platforms import get_platform
from popcon.media.budget import frame_count_steps
from popcon.media.images import read_png
from popcon.web.deps import JobDep, Svc
from popcon.web.refine import RefineService, done_action
from popcon.web.schemas import FrameInfo

router = APIRouter(tags=["frames"])
NO_CACHE = {"Cache-Control": "no-cache"}
NEUTRAL = (236, 235, 241)  # the page's panel grey: the background a user never uploaded is not shown
KEY_NEAR, KEY_FAR = 60.0, 140.0  # RGB distance to the key colour: fully replaced below, kept above


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
        export_frames=export_frames(job.platforms, action.frame_count, action.seconds),
    )


def export_frames(platforms: list[str], n_src: int, seconds: int | None) -> dict[str, int]:
    """How many of the action's frames each platform's file plays (the export's first choice)."""
    out = {}
    for name in platforms:
        try:
            preset = get_platform(name)
        except InvalidInput:
            continue
        out[preset.id] = frame_count_steps(n_src, preset, seconds)[0]
    return out


@router.get(
    "/jobs/{job_id}/actions/{index}/frames/{frame}/{kind}",
    response_class=FileResponse,
    responses={200: {"content": {"image/png": {}}}},
)
def frame_png(
    request: Request, svc: Svc, job: JobDep, index: int, frame: int, kind: Literal["raw", "cutout", "view"]
) -> Response:
    """raw: the frame as generated; cutout: the current cut-out; view: the frame as the user sees their
    character, the key colour the video was made on replaced by a neutral grey."""
    refine = refine_service(request)
    k = refine.key(job, index, frame)
    path = refine.cutout_path(k) if kind == "cutout" else refine.original_path(k)
    if not path.exists():
        raise NotFound(f"frame {frame} of action #{index} is missing")
    if kind == "view" and job.key_color is not None:
        cut = refine.cutout_path(k)
        png = neutral_view(read_png(path)[..., :3], job.key_color, read_png(cut) if cut.exists() else None)
        return Response(png, media_type="image/png", headers=NO_CACHE)
    return FileResponse(path, media_type="image/png", headers=NO_CACHE)


def neutral_view(rgb: np.ndarray, key: tuple[int, int, int], cutout: np.ndarray | None = None) -> bytes:
    """The frame with its key-colour background blended into neutral grey. Where the cut-out shows the
    character its key-free colours are used, so the rim carries no tint of the key either."""
    dist = np.linalg.norm(rgb.astype(np.float32) - np.asarray(key, np.float32), axis=2)
    keep = np.clip((dist - KEY_NEAR) / (KEY_FAR - KEY_NEAR), 0.0, 1.0)[..., None]
    base = rgb.astype(np.float32)
    if cutout is not None and cutout.shape[:2] == rgb.shape[:2] and cutout.ndim == 3 and cutout.shape[2] == 4:
        shown = cutout[..., 3] > 0
        base[shown] = cutout[..., :3][shown]
        keep = np.maximum(keep, cutout[..., 3:4].astype(np.float32) / 255.0)
    out = base * keep + np.asarray(NEUTRAL, np.float32) * (1.0 - keep)
    buf = io.BytesIO()
    Image.fromarray(out.round().astype(np.uint8), "RGB").save(buf, "PNG", compress_level=1)
    return buf.getvalue()
