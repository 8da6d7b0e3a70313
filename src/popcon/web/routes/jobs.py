"""Jobs: create (idempotent), list, show, cancel, resume, retry one action, delete, cut-out preview."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, Header, Response, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse

from popcon.domain.errors import InvalidInput
from popcon.domain.jsontext import loads_user_json
from popcon.usecases import jobs as uc
from popcon.usecases.captions import captions_from_json, submission_from_json
from popcon.usecases.exports import character_path
from popcon.usecases.tools import cutout_preview
from popcon.web.deps import JobDep, Svc, job_out
from popcon.web.schemas import JobList, JobOut
from popcon.web.uploads import file_field, read_limited, read_upload

router = APIRouter(tags=["jobs"])
DUPLICATE_WINDOW_S = 15.0  # the same content submitted again within this window is the same job


def parse_platforms(raw: str) -> list[str]:
    """Comma- (or semicolon-) separated preset ids, as the form and the export request send them."""
    return [p.strip() for p in raw.replace(";", ",").split(",") if p.strip()]


@router.post("/jobs", response_model=JobOut, status_code=201)
async def create_job(
    svc: Svc,
    response: Response,
    actions: Annotated[str, Form(description='JSON list: [{"id": "wave", "motion_prompt": "..."}]')],
    platforms: Annotated[str, Form(description="Comma-separated platform preset ids")] = "line-emoji",
    image: Annotated[UploadFile | str | None, File(description="The character image")] = None,
    prompt: Annotated[str | None, Form(max_length=2000)] = None,
    reference: Annotated[UploadFile | str | None, File(description="Reference for a prompt")] = None,
    remove_background: Annotated[bool, Form()] = True,
    idempotency_key: Annotated[str | None, Form(max_length=100)] = None,
    idempotency_header: Annotated[str | None, Header(alias="Idempotency-Key", max_length=100)] = None,
    rig: Annotated[str | None, Form(description="The edited rig (JSON) of the uploaded image")] = None,
    captions: Annotated[
        str | None, Form(description='JSON: {"lang": "ja", "text": {"wave": "やあ!"}}')
    ] = None,
    submission: Annotated[
        str | None, Form(description='JSON: {"ja": {"title": "", "description": ""}}')
    ] = None,
) -> JobOut:
    """Start a job. A repeated Idempotency-Key, or the same content again within a few seconds,
    returns the job already created (200) instead of starting a second one."""
    s = svc.settings
    prompt = (prompt or "").strip() or None
    image = file_field(image, "image")
    reference = file_field(reference, "reference")
    if image is None and prompt is None:
        raise InvalidInput("give a character image or a prompt")
    if image is not None and prompt is not None:
        raise InvalidInput("give either a character image or a prompt, not both")
    if reference is not None and prompt is None:
        raise InvalidInput("a reference image goes with a prompt")
    items = loads_user_json(actions, "actions (a JSON list)")
    request = uc.NewJob(
        presets=uc.actions_from_items(items),
        platforms=parse_platforms(platforms),
        image=await read_upload(image, s.max_upload_bytes, "character.png") if image is not None else None,
        prompt=prompt,
        reference=await read_upload(reference, s.max_upload_bytes, "ref.png") if reference else None,
        remove_background=remove_background,
        auto_export=False,  # the web flow always stops for refinement; "Finish" exports
        idempotency_key=idempotency_header or idempotency_key,
        duplicate_window_s=DUPLICATE_WINDOW_S,
        rig=rig.encode() if rig and rig.strip() else None,
        captions=captions_from_json(captions),
        submission=submission_from_json(submission),
    )
    job, created = await run_in_threadpool(uc.create_job, svc, request)
    if not created:
        response.status_code = 200
        response.headers["Idempotent-Replay"] = "true"
    return job_out(svc, svc.get_job(job.id))


@router.get("/jobs", response_model=JobList)
def list_jobs(svc: Svc, limit: int = 50) -> JobList:
    if not 1 <= limit <= 500:
        raise InvalidInput("limit must be between 1 and 500")
    return JobList(jobs=[job_out(svc, j) for j in svc.list_jobs(limit)])


@router.get("/jobs/{job_id}", response_model=JobOut)
def show_job(svc: Svc, job: JobDep) -> JobOut:
    return job_out(svc, job)


@router.delete("/jobs/{job_id}", status_code=204, response_class=Response)
def delete_job(svc: Svc, job: JobDep) -> Response:
    """Delete a job that is not running, with every file it wrote (exports included)."""
    uc.delete_job(svc, job.id)
    return Response(status_code=204)


@router.post("/jobs/{job_id}/cancel", response_model=JobOut)
def cancel_job(svc: Svc, job: JobDep) -> JobOut:
    uc.cancel_job(svc, job.id)
    return job_out(svc, svc.get_job(job.id))


@router.post("/jobs/{job_id}/resume", response_model=JobOut, status_code=202)
def resume_job(svc: Svc, job: JobDep) -> JobOut:
    """Continue a failed, canceled or interrupted job; a set finished with errors retries what failed."""
    return job_out(svc, uc.resume_job(svc, job.id))


@router.post("/jobs/{job_id}/actions/{index}/retry", response_model=JobOut, status_code=202)
def retry_action(svc: Svc, job: JobDep, index: int) -> JobOut:
    """Run one failed (or canceled) action again; the others keep what they have."""
    return job_out(svc, uc.retry_action(svc, job.id, index))


@router.get("/jobs/{job_id}/character", response_class=FileResponse)
def character(svc: Svc, job: JobDep) -> FileResponse:
    return FileResponse(character_path(svc, job), media_type="image/png")


@router.post("/cutout", response_class=Response, responses={200: {"content": {"image/png": {}}}})
async def cutout_preview_route(svc: Svc, image: Annotated[UploadFile, File()]) -> Response:
    """The character with its background removed, as the job would cut it (scaled preview)."""
    data = await read_limited(image, svc.settings.max_upload_bytes)
    preview = await run_in_threadpool(cutout_preview, svc.settings, data)
    headers = {}
    if preview.confidence is not None:
        headers["X-Matte-Confidence"] = f"{preview.confidence:.3f}"
    if preview.warning:  # the page shows a warning instead of a tick
        headers["X-Matte-Warning"] = preview.warning
        if preview.warning_code:
            headers["X-Matte-Warning-Code"] = preview.warning_code
    return Response(preview.png, media_type="image/png", headers=headers)
