"""Jobs: create (idempotent), list, show, cancel, resume, retry one action, cut-out preview."""

from __future__ import annotations

import hashlib
import io
import json
import time
from typing import Annotated, Any

import numpy as np
from fastapi import APIRouter, File, Form, Header, Response, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse
from PIL import Image

from popcon.domain.actions import ActionPreset, custom_action, load_presets
from popcon.domain.errors import InvalidInput, NotFound
from popcon.domain.platforms import get_platform
from popcon.domain.status import ActionStatus, JobStatus
from popcon.store.db import new_job_id
from popcon.store.files import JobFiles
from popcon.web.deps import JobDep, Svc
from popcon.web.errors import Conflict
from popcon.web.routes.actions import MAX_ACTIONS
from popcon.web.schemas import JobList, JobOut
from popcon.web.uploads import read_image

router = APIRouter(tags=["jobs"])
DUPLICATE_WINDOW_S = 15.0  # the same content submitted again within this window is the same job
PREVIEW_SIDE = 512


def job_out(svc: Svc, job: Any) -> JobOut:
    return JobOut.of(job, busy=svc.busy(job.id))


def _parse_actions(raw: str) -> list[ActionPreset]:
    """Presets by id (motion prompt editable) and custom actions (`"custom": true` + a motion prompt)."""
    try:
        items = json.loads(raw)
    except json.JSONDecodeError as e:
        raise InvalidInput(f"actions must be a JSON list: {e.msg}") from e
    if not isinstance(items, list) or not items:
        raise InvalidInput("choose at least one action")
    if len(items) > MAX_ACTIONS:
        raise InvalidInput(f"at most {MAX_ACTIONS} actions per job")
    presets = load_presets()
    out: list[ActionPreset] = []
    seen: set[str] = set()
    for item in items:
        if isinstance(item, str):
            item = {"id": item}
        if not isinstance(item, dict) or not isinstance(item.get("id"), str):
            raise InvalidInput("each action needs an id")
        action_id = item["id"].strip().lower()
        prompt = item.get("motion_prompt")
        if prompt is not None and not isinstance(prompt, str):
            raise InvalidInput(f"motion_prompt of {action_id!r} must be text")
        if action_id in seen:
            raise InvalidInput(f"action {action_id!r} is listed twice")
        seen.add(action_id)
        if action_id in presets and not item.get("custom"):
            preset = presets[action_id]
            if prompt and prompt.strip() and prompt.strip() != preset.motion_prompt:
                if len(prompt) > 800:
                    raise InvalidInput("a motion prompt is at most 800 characters")
                preset = preset.model_copy(update={"motion_prompt": prompt.strip()})
            out.append(preset)
        else:
            label = item.get("label") if isinstance(item.get("label"), str) else None
            out.append(custom_action(action_id, prompt or "", (label or "").strip()[:40] or None))
    return out


def _parse_platforms(raw: str) -> list[str]:
    names = [p.strip() for p in raw.replace(";", ",").split(",") if p.strip()]
    if not names:
        raise InvalidInput("choose at least one platform")
    for name in names:
        if not get_platform(name).implemented:
            raise InvalidInput(f"export to {name} is not available yet")
    return list(dict.fromkeys(names))


@router.post("/jobs", response_model=JobOut, status_code=201)
async def create_job(
    svc: Svc,
    response: Response,
    actions: Annotated[str, Form(description='JSON list: [{"id": "wave", "motion_prompt": "..."}]')],
    platforms: Annotated[str, Form(description="Comma-separated platform preset ids")] = "line-emoji",
    image: Annotated[UploadFile | None, File(description="The character image")] = None,
    prompt: Annotated[str | None, Form(max_length=2000)] = None,
    reference: Annotated[UploadFile | None, File(description="Reference for a prompt")] = None,
    remove_background: Annotated[bool, Form()] = True,
    idempotency_key: Annotated[str | None, Form(max_length=100)] = None,
    idempotency_header: Annotated[str | None, Header(alias="Idempotency-Key", max_length=100)] = None,
    rig: Annotated[str | None, Form(description="The edited rig (JSON) of the uploaded image")] = None,
) -> JobOut:
    """Start a job. A repeated Idempotency-Key, or the same content again within a few seconds,
    returns the job already created (200) instead of starting a second one."""
    s = svc.settings
    key = (idempotency_header or idempotency_key or "").strip() or None
    prompt = (prompt or "").strip() or None
    if image is not None and not image.filename and image.size == 0:
        image = None
    if reference is not None and not reference.filename and reference.size == 0:
        reference = None
    if (image is None) == (prompt is None):
        raise InvalidInput("give either a character image or a prompt (not both)")
    if reference is not None and prompt is None:
        raise InvalidInput("a reference image goes with a prompt")
    presets = _parse_actions(actions)
    targets = _parse_platforms(platforms)
    upload = ref = None
    upload_size: tuple[int, int] | None = None
    if image is not None:
        upload, upload_im = await read_image(image, s.max_upload_bytes, s.max_image_pixels)
        upload_size = upload_im.size
    rig_json = _user_rig(rig, upload_size)
    if reference is not None:
        ref, _ = await read_image(reference, s.max_upload_bytes, s.max_image_pixels)

    digest = hashlib.sha256()
    for part in (
        upload or b"",
        ref or b"",
        (prompt or "").encode(),
        actions.encode(),
        platforms.encode(),
        str(remove_background).encode(),
        (rig_json or "").encode(),
    ):
        digest.update(hashlib.sha256(part).digest())
    content_hash = digest.hexdigest()

    def create() -> tuple[Any, bool]:
        with svc.create_lock:  # check-then-create is one step: two racing submits see each other
            for j in svc.store.list_jobs(limit=200):
                if key and j.options.get("idempotency_key") == key:
                    return j, False
                age = time.time() - float(j.options.get("created_unix", 0))
                if not key and j.options.get("content_hash") == content_hash and age < DUPLICATE_WINDOW_S:
                    return j, False
            job_id = new_job_id()
            files = JobFiles(s.data_dir, job_id)
            options: dict[str, Any] = {"content_hash": content_hash, "created_unix": time.time()}
            if key:
                options["idempotency_key"] = key
            if upload is not None and image is not None:
                options["upload"] = files.save_input(image.filename or "character.png", upload).name
            if rig_json is not None:
                from popcon.pipeline.rig import USER_RIG_OPTION

                options[USER_RIG_OPTION] = files.save_input("rig.json", rig_json.encode()).name
            if ref is not None and reference is not None:
                options["reference"] = files.save_input("ref-" + (reference.filename or "ref.png"), ref).name
            job = svc.store.create_job(
                job_id=job_id,
                source="upload" if upload is not None else "prompt",
                prompt=prompt,
                actions=presets,
                platforms=targets,
                remove_background=remove_background,
                auto_export=False,  # the web flow always stops for refinement; "Finish" exports
                options=options,
            )
            svc.start(job.id, svc.run_job, job.id)
            return job, True

    job, created = await run_in_threadpool(create)
    if not created:
        response.status_code = 200
        response.headers["Idempotent-Replay"] = "true"
    return job_out(svc, svc.store.get_job(job.id))


def _user_rig(text: str | None, size: tuple[int, int] | None) -> str | None:
    """The rig the user placed on the upload, checked before the job exists (errors name the field)."""
    if text is None or not text.strip():
        return None
    from popcon.domain.rig import fit_rig, parse_rig

    if size is None:
        raise InvalidInput("a rig goes with an uploaded image")
    rig = fit_rig(parse_rig(text), *size).model_copy(update={"source": "user"})
    return rig.to_json()


@router.get("/jobs", response_model=JobList)
def list_jobs(svc: Svc, limit: int = 50) -> JobList:
    if not 1 <= limit <= 500:
        raise InvalidInput("limit must be between 1 and 500")
    return JobList(jobs=[job_out(svc, j) for j in svc.store.list_jobs(limit)])


@router.get("/jobs/{job_id}", response_model=JobOut)
def show_job(svc: Svc, job: JobDep) -> JobOut:
    return job_out(svc, job)


@router.post("/jobs/{job_id}/cancel", response_model=JobOut)
def cancel_job(svc: Svc, job: JobDep) -> JobOut:
    if job.status.terminal:
        raise Conflict(f"job {job.id} is already {job.status}")
    svc.runner.cancel(job.id)
    return job_out(svc, svc.store.get_job(job.id))


@router.post("/jobs/{job_id}/resume", response_model=JobOut, status_code=202)
def resume_job(svc: Svc, job: JobDep) -> JobOut:
    """Continue a failed, canceled or interrupted job from where it stopped."""
    if svc.busy(job.id):
        raise Conflict(f"job {job.id} is running")
    if not (job.status.active or job.status in (JobStatus.FAILED, JobStatus.CANCELED)):
        raise Conflict(f"job {job.id} is {job.status}: nothing to resume")
    svc.start(job.id, svc.run_job, job.id, True)
    return job_out(svc, svc.store.get_job(job.id))


@router.post("/jobs/{job_id}/actions/{index}/retry", response_model=JobOut, status_code=202)
def retry_action(svc: Svc, job: JobDep, index: int) -> JobOut:
    """Run one failed (or canceled) action again; the others keep what they have."""
    action = next((a for a in job.actions if a.index == index), None)
    if action is None:
        raise NotFound(f"job {job.id} has no action #{index}")
    if action.status not in (ActionStatus.FAILED, ActionStatus.CANCELED):
        raise Conflict(f"action {action.action_id} is {action.status}; only a failed action is retried")
    if svc.busy(job.id) or job.status.active:
        raise Conflict(f"job {job.id} is running; retry when it stops")
    if job.status in (JobStatus.AWAITING_REFINEMENT, JobStatus.COMPLETED_WITH_ERRORS):
        svc.store.set_action_status(job.id, index, ActionStatus.PENDING)
        svc.store.set_job_status(job.id, JobStatus.GENERATING_POSES)
    elif job.status not in (JobStatus.FAILED, JobStatus.CANCELED):
        raise Conflict(f"job {job.id} is {job.status}")
    svc.start(job.id, svc.run_job, job.id, True)
    return job_out(svc, svc.store.get_job(job.id))


@router.get("/jobs/{job_id}/character", response_class=FileResponse)
def character(svc: Svc, job: JobDep) -> FileResponse:
    path = JobFiles(svc.settings.data_dir, job.id).character
    if not path.exists():
        raise NotFound(f"job {job.id} has no character yet")
    return FileResponse(path, media_type="image/png")


@router.post("/cutout", response_class=Response, responses={200: {"content": {"image/png": {}}}})
async def cutout_preview(svc: Svc, image: Annotated[UploadFile, File()]) -> Response:
    """The character with its background removed, as the job would cut it (scaled preview)."""
    _, im = await read_image(image, svc.settings.max_upload_bytes, svc.settings.max_image_pixels)

    def cut() -> bytes:
        from popcon.media.images import has_transparency
        from popcon.vision.matte import matte_image

        small = im.copy()
        small.thumbnail((PREVIEW_SIDE, PREVIEW_SIDE))
        if not has_transparency(small):
            small = Image.fromarray(matte_image(np.asarray(small.convert("RGB"))), "RGBA")
        buf = io.BytesIO()
        small.save(buf, "PNG")
        return buf.getvalue()

    return Response(await run_in_threadpool(cut), media_type="image/png")
