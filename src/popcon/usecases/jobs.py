"""Create a job (inputs, uploads, idempotency) and act on one: resume, retry an action, cancel,
export, delete. Shared by `popcon make` / `popcon jobs ...` and the web routes, so both shells
check the same things and say the same thing when a request does not fit the job's state."""

from __future__ import annotations

import hashlib
import json
import time
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from popcon.domain.actions import ActionPreset, custom_action, load_presets, resolve_actions
from popcon.domain.captions import CaptionOptions
from popcon.domain.errors import Conflict, InvalidInput, NotFound
from popcon.domain.models import Job, JobOptions
from popcon.domain.platforms import resolve_platforms
from popcon.domain.status import ActionStatus, JobStatus
from popcon.media.images import check_character_image, load_image
from popcon.media.memory import give_back
from popcon.media.video import probe
from popcon.store.db import new_job_id
from popcon.store.files import JobFiles
from popcon.usecases.context import AppContext

MAX_ACTIONS = 40
MAX_MOTION_PROMPT = 800


CHECK_SIDE = 1024  # the side an upload is checked at (blank, flat, a sliver): enough to see a character


@dataclass(frozen=True)
class Upload:
    """A file the user gave: its bytes (the web) or its path (the CLI), and the name to keep."""

    name: str
    data: bytes | None = None
    path: Path | None = None

    def read(self, max_bytes: int, max_pixels: int, *, character: bool = True) -> bytes:
        """The bytes, checked to be an image we read within the limits and, for a `character`, one
        there is something to animate in (not blank, a single colour or a sliver)."""
        source: Path | bytes
        if self.path is not None:
            source = self.path  # checked by size before it is read
        elif self.data is not None:
            source = self.data
        else:
            raise InvalidInput(f"{self.name} is empty")
        try:  # the checks need a small copy, never the whole canvas as RGBA
            image = load_image(source, max_bytes=max_bytes, max_pixels=max_pixels, max_side=CHECK_SIDE)
            if character:  # a reference for a prompt may be anything the model can read
                check_character_image(image, self.name)
            del image
        finally:
            give_back()
        return source.read_bytes() if isinstance(source, Path) else source


@dataclass
class NewJob:
    """Everything a job starts from, as the shells parsed it."""

    presets: list[ActionPreset]
    platforms: list[str]
    image: Upload | None = None
    prompt: str | None = None
    reference: Upload | None = None
    sample: bool = False
    remove_background: bool = True
    auto_export: bool = True
    clips: dict[str, Path] = field(default_factory=dict)  # action id -> a clip the user brought
    rig: bytes | None = None  # a rig the user placed on the upload (or the sample), as a rig file
    idempotency_key: str | None = None
    duplicate_window_s: float = 0.0  # the same content again within this window is the same job
    captions: CaptionOptions | None = None  # None: the default captions (English) on sticker presets
    submission: dict[str, Any] | None = None  # store text: language -> {title, description}


# ---- parsing the actions ------------------------------------------------------------------------
def actions_from_names(names: list[str], customs: dict[str, str] | None = None) -> list[ActionPreset]:
    """Presets by id, plus custom actions given as name -> motion prompt (the CLI's flags)."""
    customs = customs or {}
    chosen = [n.strip().lower() for n in names if n.strip()]
    return resolve_actions(chosen + [n for n in customs if n not in chosen], customs)


def actions_from_items(items: object) -> list[ActionPreset]:
    """Presets by id (motion prompt editable) and custom actions (`"custom": true` + a motion prompt)."""
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
                if len(prompt) > MAX_MOTION_PROMPT:
                    raise InvalidInput(f"a motion prompt is at most {MAX_MOTION_PROMPT} characters")
                preset = preset.model_copy(update={"motion_prompt": prompt.strip()})
            out.append(preset)
        else:
            label = item.get("label") if isinstance(item.get("label"), str) else None
            out.append(custom_action(action_id, prompt or "", (label or "").strip()[:40] or None))
    return out


def platform_ids(names: list[str]) -> list[str]:
    """Preset ids of the platforms asked for (implemented ones only, once each)."""
    return [p.id for p in resolve_platforms(names)]


# ---- create -----------------------------------------------------------------------------------
def create_job(ctx: AppContext, req: NewJob, *, start: bool = True) -> tuple[Job, bool]:
    """Check the inputs, keep the uploads and create the job; `(job, created)`.

    A repeated idempotency key, or the same content again within `duplicate_window_s`, returns the
    job already created (`created` False) instead of starting a second one. `start` runs it in the
    background (the web); the CLI runs it itself to show progress.
    """
    s = ctx.settings
    prompt = (req.prompt or "").strip() or None
    sources = [x for x in (req.image is not None, prompt is not None, req.sample) if x]
    if len(sources) != 1:
        raise InvalidInput("give exactly one character source: an image, a prompt, or the sample")
    if req.reference is not None and prompt is None:
        raise InvalidInput("a reference image goes with a prompt")
    if not req.presets:
        raise InvalidInput("choose at least one action")
    targets = platform_ids(req.platforms)
    ids = {p.id for p in req.presets}
    for name, path in req.clips.items():
        if name not in ids:
            raise InvalidInput(f"--clip {name}=...: {name} is not one of the chosen actions")
        if Path(path).is_dir():  # a PNG sequence: checked when it is packed into one lossless clip
            if not any(Path(path).glob("*.png")):
                raise InvalidInput(f"--clip {name}={path}: the folder holds no PNG frames")
        else:
            probe(Path(path))
    upload = req.image.read(s.max_upload_bytes, s.max_image_pixels) if req.image else None
    ref = None
    if req.reference is not None:
        ref = req.reference.read(s.max_upload_bytes, s.max_image_pixels, character=False)
    rig = None
    if req.rig is not None:
        from popcon.usecases.rig import check_new_job_rig

        size = (
            load_image(upload, max_bytes=s.max_upload_bytes, max_pixels=s.max_image_pixels, max_side=64).info[
                "source_size"
            ]
            if upload
            else None
        )
        rig = check_new_job_rig(req.rig, size, sample=req.sample)
    from popcon.usecases.captions import job_caption_options

    caption_options = job_caption_options(req.captions, req.submission, req.presets, targets)
    key = (req.idempotency_key or "").strip() or None
    content_hash = _content_hash(req, upload, ref, prompt, targets, rig)

    with ctx.create_lock:  # check-then-create is one step: two racing submits see each other
        if key or req.duplicate_window_s > 0:
            for j in ctx.store.list_jobs(limit=200):
                if key and j.options.idempotency_key == key:
                    return j, False
                age = time.time() - j.options.created_unix
                if not key and j.options.content_hash == content_hash and age < req.duplicate_window_s:
                    return j, False
        ctx.check_room()  # a full or read-only disk refuses here, before anything is written
        job_id = new_job_id()
        files = ctx.files(job_id)
        try:
            job = _keep_new_job(
                ctx, req, job_id, upload, ref, rig, prompt, targets, content_hash, key, caption_options
            )
        except BaseException:  # refused after its uploads were kept: no orphan folder is left behind
            files.remove()
            raise
        if start:
            ctx.start(job.id, ctx.run_job, job.id)
    return job, True


def _keep_new_job(
    ctx: AppContext,
    req: NewJob,
    job_id: str,
    upload: bytes | None,
    ref: bytes | None,
    rig: bytes | None,
    prompt: str | None,
    targets: list[str],
    content_hash: str,
    key: str | None,
    caption_options: JobOptions,
) -> Job:
    """Save the uploads under the new job's folder and create its record."""
    files = ctx.files(job_id)
    options = caption_options.model_copy(
        update={"content_hash": content_hash, "created_unix": time.time(), "idempotency_key": key}
    )
    if upload is not None and req.image is not None:
        name = files.save_input(req.image.name or "character.png", upload).name
        options = options.model_copy(update={"upload": name})
    if rig is not None:
        options = options.model_copy(update={"rig": files.save_input("rig.json", rig).name})
    if ref is not None and req.reference is not None:
        name = files.save_input("ref-" + (req.reference.name or "ref.png"), ref).name
        options = options.model_copy(update={"reference": name})
    imported = {n: _save_clip(files, n, Path(p)) for n, p in req.clips.items()}
    job = ctx.store.create_job(
        job_id=job_id,
        source="upload" if upload is not None else ("prompt" if prompt else "sample"),
        prompt=prompt,
        actions=req.presets,
        platforms=targets,
        remove_background=req.remove_background,
        auto_export=req.auto_export,
        options=options,
        imported_clips=imported,
    )
    return job


def _save_clip(files: JobFiles, name: str, path: Path) -> str:
    """Keep an imported clip under the job's inputs: a file as it is, a PNG sequence as a folder of
    its frames (in name order; the clip stage packs them losslessly, alpha kept)."""
    if not path.is_dir():
        return files.save_input(f"clip-{name}{path.suffix}", path.read_bytes()).name
    frames = sorted(p for p in path.glob("*.png") if not p.name.startswith("."))
    folder = files.save_input_folder(f"clip-{name}", [(p.name, p.read_bytes()) for p in frames])
    return folder.name


def _content_hash(
    req: NewJob,
    upload: bytes | None,
    ref: bytes | None,
    prompt: str | None,
    targets: list[str],
    rig: bytes | None = None,
) -> str:
    actions = json.dumps([[p.id, p.motion_prompt] for p in req.presets])
    digest = hashlib.sha256()
    for part in (
        upload or b"",
        ref or b"",
        (prompt or "").encode(),
        actions.encode(),
        ",".join(targets).encode(),
        str(req.remove_background).encode(),
        str(req.auto_export).encode(),
        rig or b"",
        json.dumps([req.captions and req.captions.to_option(), req.submission], sort_keys=True).encode(),
    ):
        digest.update(hashlib.sha256(part).digest())
    return digest.hexdigest()


# ---- run, resume, retry, cancel ------------------------------------------------------------------
def run_job(ctx: AppContext, job_id: str, *, resume: bool = False) -> Future[Job]:
    """Run the job in the pool from wherever it stands (`resume`: a failed or canceled one too)."""
    ctx.get_job(job_id)
    return ctx.runner.submit(job_id, resume=resume)


def resume_job(ctx: AppContext, job_id: str) -> Job:
    """Continue a failed, canceled or interrupted job in the background; a set finished with errors
    retries what failed."""
    job = ctx.get_job(job_id)
    if ctx.busy(job.id):
        raise Conflict(f"job {job.id} is running")
    if not job.status.resumable:
        raise Conflict(f"job {job.id} is {job.status}: nothing to resume")
    ctx.check_room()  # a full disk answers now (507), not with a job that never moves
    ctx.start(job.id, ctx.run_job, job.id, True)
    return ctx.get_job(job.id)


def retry_action(ctx: AppContext, job_id: str, index: int) -> Job:
    """Run one failed (or canceled) action again; the others keep what they have."""
    job = ctx.get_job(job_id)
    action = next((a for a in job.actions if a.index == index), None)
    if action is None:
        raise NotFound(f"job {job.id} has no action #{index}")
    if action.status not in (ActionStatus.FAILED, ActionStatus.CANCELED):
        raise Conflict(f"action {action.action_id} is {action.status}; only a failed action is retried")
    if ctx.busy(job.id) or job.status.active:
        raise Conflict(f"job {job.id} is running; retry when it stops")
    ctx.check_room()  # a full disk answers now (507), before the job is moved back to work
    if job.status in (JobStatus.AWAITING_REFINEMENT, JobStatus.COMPLETED_WITH_ERRORS):
        # The job goes back to work for this action only (both moves are checked transitions).
        ctx.store.set_action_status(job.id, index, ActionStatus.PENDING)
        ctx.store.set_job_status(job.id, JobStatus.GENERATING_POSES)
    elif job.status in (JobStatus.FAILED, JobStatus.CANCELED):
        # Only this action goes back to pending: a resume would retry every failed or canceled one,
        # and siblings the stop left pending are marked canceled so the run does not take them too.
        for other in job.actions:
            if other.index != index and not other.status.terminal:
                ctx.store.set_action_status(job.id, other.index, ActionStatus.CANCELED)
        ctx.store.set_action_status(job.id, index, ActionStatus.PENDING)
        ctx.store.set_job_status(job.id, JobStatus.QUEUED)
    else:
        raise Conflict(f"job {job.id} is {job.status}")
    ctx.start(job.id, ctx.run_job, job.id)
    return ctx.get_job(job.id)


def cancel_job(ctx: AppContext, job_id: str) -> Job:
    """Stop a job; a running stage notices within a fraction of a second."""
    job = ctx.get_job(job_id)
    if job.status.terminal:
        raise Conflict(f"job {job.id} is already {job.status}")
    return ctx.runner.cancel(job.id)


# ---- export ---------------------------------------------------------------------------------------
def _exportable(ctx: AppContext, job: Job) -> None:
    if not job.status.exportable:
        raise Conflict(f"job {job.id} is {job.status}; it can be exported once its frames are cut out")
    if ctx.busy(job.id):
        raise Conflict(f"job {job.id} is busy")
    if not job.done_actions:
        raise Conflict(f"job {job.id} has no finished action to export")


def start_export(ctx: AppContext, job_id: str, platforms: list[str] | None = None) -> Job:
    """Encode, validate and package the set in the background (default platforms: the job's own)."""
    job = ctx.get_job(job_id)
    targets = platform_ids(platforms) if platforms else job.platforms
    _exportable(ctx, job)
    ctx.check_room()  # a full disk answers now (507), not with a job that never moves
    ctx.start(job.id, ctx.runner.export, job.id, targets)
    return ctx.get_job(job.id)


def export_job(ctx: AppContext, job_id: str, platforms: list[str]) -> Job:
    """Export now and wait for the outcome (the CLI)."""
    job = ctx.get_job(job_id)
    targets = platform_ids(platforms)
    _exportable(ctx, job)
    return ctx.runner.export(job.id, targets)


# ---- delete ---------------------------------------------------------------------------------------
def delete_job(ctx: AppContext, job_id: str) -> None:
    """Remove a job at rest: its record, its actions and every file it wrote."""
    job = ctx.get_job(job_id)
    if ctx.busy(job.id) or job.status.active:
        raise Conflict(f"job {job.id} is {job.status}; cancel it before deleting it")
    if ctx.store.lease_holder(job.id):
        raise Conflict(f"job {job.id} is held by another process; try again when it stops")
    ctx.store.delete_job(job.id)
    ctx.files(job.id).remove()
