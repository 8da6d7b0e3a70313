"""The character's rig over HTTP: detect it for an upload before a job exists, read and replace a job's.

The create page asks `POST /rig` for the joints of the image the user picked, lets them drag the joints,
and sends the edited rig with the job (`rig` form field of `POST /jobs`). A job's rig can be read and
replaced until its clips are made; a replacement that does not parse, or does not fit the character,
is refused naming the field and the job keeps its last good rig.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Body, File, Form, UploadFile
from fastapi.concurrency import run_in_threadpool

from popcon.domain.rig import Rig
from popcon.usecases import rig as uc
from popcon.web.deps import JobDep, Svc
from popcon.web.uploads import read_limited

router = APIRouter(tags=["rig"])


def _out(rig: Rig) -> dict[str, Any]:
    return rig.model_dump(mode="json")


@router.post("/rig")
async def detect_rig(
    svc: Svc,
    image: Annotated[UploadFile, File(description="The character image")],
    remove_background: Annotated[bool, Form()] = True,
) -> dict[str, Any]:
    """The rig the job would start from, in the uploaded image's pixels (cut out as the job would)."""
    data = await read_limited(image, svc.settings.max_upload_bytes)
    found = await run_in_threadpool(
        lambda: uc.detect_rig(
            svc.settings, data, remove_background=remove_background, working_side=uc.RIG_SIDE
        )
    )
    return _out(found.rig)


@router.get("/jobs/{job_id}/rig")
def job_rig(svc: Svc, job: JobDep) -> dict[str, Any]:
    return _out(uc.job_rig(svc, job.id))


@router.put("/jobs/{job_id}/rig")
def replace_job_rig(svc: Svc, job: JobDep, rig: Annotated[dict[str, Any], Body()]) -> dict[str, Any]:
    """Replace the job's rig (clips made after this use it); a bad rig changes nothing."""
    return _out(uc.replace_job_rig(svc, job.id, json.dumps(rig)))
