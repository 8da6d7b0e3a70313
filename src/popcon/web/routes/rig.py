"""The character's rig over HTTP: detect it for an upload before a job exists, read and replace a job's.

The create page asks `POST /rig` for the joints of the image the user picked, lets them drag the joints,
and sends the edited rig with the job (`rig` form field of `POST /jobs`). A job's rig can be read and
replaced until its clips are made; a replacement that does not parse, or does not fit the character,
is refused naming the field and the job keeps its last good rig.
"""

from __future__ import annotations

from typing import Annotated, Any

import numpy as np
from fastapi import APIRouter, Body, File, Form, UploadFile
from fastapi.concurrency import run_in_threadpool
from PIL import Image

from popcon.domain.errors import NotFound
from popcon.domain.rig import Rig, fit_rig, parse_rig
from popcon.store.files import JobFiles
from popcon.web.deps import JobDep, Svc
from popcon.web.uploads import read_image

router = APIRouter(tags=["rig"])
RIG_SIDE = 512  # the rig of an upload is found on a copy this size, then scaled to the upload


def _out(rig: Rig) -> dict[str, Any]:
    return rig.model_dump(mode="json")


@router.post("/rig")
async def detect_rig(
    svc: Svc,
    image: Annotated[UploadFile, File(description="The character image")],
    remove_background: Annotated[bool, Form()] = True,
) -> dict[str, Any]:
    """The rig the job would start from, in the uploaded image's pixels (cut out as the job would)."""
    _, im = await read_image(image, svc.settings.max_upload_bytes, svc.settings.max_image_pixels)

    def detect() -> Rig:
        from popcon.media.images import has_transparency
        from popcon.vision.rig import auto_rig

        small = im.convert("RGBA")
        small.thumbnail((RIG_SIDE, RIG_SIDE))
        if remove_background and not has_transparency(small):
            from popcon.vision.matte import matte_image

            small = Image.fromarray(matte_image(np.asarray(small.convert("RGB"))), "RGBA")
        return fit_rig(auto_rig(small), im.width, im.height)

    return _out(await run_in_threadpool(detect))


@router.get("/jobs/{job_id}/rig")
def job_rig(svc: Svc, job: JobDep) -> dict[str, Any]:
    from popcon.pipeline.rig import read_rig

    rig = read_rig(JobFiles(svc.settings.data_dir, job.id))
    if rig is None:
        raise NotFound(f"job {job.id} has no rig yet (it is made with the character)")
    return _out(rig)


@router.put("/jobs/{job_id}/rig")
def replace_job_rig(svc: Svc, job: JobDep, rig: Annotated[dict[str, Any], Body()]) -> dict[str, Any]:
    """Replace the job's rig (clips made after this use it); a bad rig changes nothing."""
    import json

    from popcon.pipeline.rig import save_rig

    files = JobFiles(svc.settings.data_dir, job.id)
    if not files.character.exists():
        raise NotFound(f"job {job.id} has no character yet")
    with Image.open(files.character) as im:
        size = im.size
    new = fit_rig(parse_rig(json.dumps(rig)), *size).model_copy(update={"source": "user"})
    save_rig(files, new)
    return _out(new)
