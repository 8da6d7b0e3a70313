"""The stages of one job as plain functions: read inputs from the store, write one result.

Each stage is idempotent: it writes its result atomically and a stage whose result is already
on disk returns at once, so resuming after a crash redoes only what had not finished.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from popcon.atomic import atomic_path, copy_atomic
from popcon.domain.errors import InvalidInput
from popcon.domain.models import ActionClip, Job
from popcon.domain.rig import Rig, parse_rig
from popcon.media.images import has_transparency, load_image
from popcon.providers.base import (
    CancelCheck,
    ImageProvider,
    TaskRecord,
    Usage,
    UsageSink,
    VideoProvider,
)
from popcon.settings import Settings
from popcon.store.db import JobStore
from popcon.store.files import JobFiles, frame_paths, read_frames, write_frames


@dataclass
class StageContext:
    settings: Settings
    store: JobStore
    images: ImageProvider
    video: VideoProvider
    check_cancel: CancelCheck
    log: Callable[[str], None]

    def files(self, job: Job) -> JobFiles:
        return JobFiles(self.settings.data_dir, job.id)

    def usage_sink(self, job: Job, action: ActionClip | None = None) -> UsageSink:
        def record(u: Usage) -> None:
            entry = {**asdict(u), "action": action.action_id if action else None}
            self.store.add_usage(job.id, entry)

        return record


@dataclass
class ActionTaskLedger:
    """The action's cloud task, kept in the job store (survives retries, resumes and crashes)."""

    store: JobStore
    job_id: str
    index: int

    def load(self) -> TaskRecord | None:
        return self.store.get_action(self.job_id, self.index).provider_task

    def save(self, record: TaskRecord | None) -> None:
        self.store.update_action(self.job_id, self.index, provider_task=record)


def _save_rgba(path: Path, im: Image.Image) -> None:
    with atomic_path(path) as tmp:
        im.convert("RGBA").save(tmp, format="PNG")


def _cut_out(ctx: StageContext, im: Image.Image, key_color: tuple[int, int, int] | None) -> Image.Image:
    from popcon.vision.matte import matte_image

    rgb = np.asarray(im.convert("RGB"))
    return Image.fromarray(matte_image(rgb, key_color=key_color), "RGBA")


def make_character(ctx: StageContext, job: Job) -> tuple[int, int, int]:
    """The character cut-out and the key colour its clips are rendered on."""
    from popcon.providers.keycolor import choose_key_color

    files = ctx.files(job)
    if not files.character.exists():
        if job.source == "sample":
            from popcon.providers.offline.mascot import sample_character

            character = sample_character()
        elif job.source == "upload":
            upload = files.input_dir / job.options["upload"]
            character = load_image(
                upload, max_bytes=ctx.settings.max_upload_bytes, max_pixels=ctx.settings.max_image_pixels
            )
            if job.remove_background and not has_transparency(character):
                ctx.log("removing the background of the uploaded image")
                character = _cut_out(ctx, character, None)
        elif job.source == "prompt":
            reference = None
            if ref := job.options.get("reference"):
                reference = load_image(files.input_dir / ref)
            # A neutral key for the prompt: the character does not exist yet to choose against.
            character = ctx.images.character(job.prompt or "", reference, (0, 177, 64), ctx.usage_sink(job))
            if character.mode != "RGBA" or not has_transparency(character):
                character = _cut_out(ctx, character, None)
        else:
            raise InvalidInput(f"unknown character source {job.source!r}")
        alpha = np.asarray(character.convert("RGBA"))[..., 3]
        if (alpha > 127).mean() < 0.002:
            raise InvalidInput("the character image is empty after background removal")
        _save_rgba(files.character, character)
    from popcon.pipeline.rig import character_prompt, ensure_rig

    ensure_rig(files, job.options, character_prompt(job.source, job.prompt), ctx.images, ctx.log)
    if job.key_color is not None:
        return job.key_color
    overlays = getattr(ctx.video, "overlay_colors", None)
    effects = sorted({e for a in job.actions for e in a.preset.recipe.effects})
    key = choose_key_color(Image.open(files.character), extra_colors=overlays(effects) if overlays else ())
    ctx.store.update_job(job.id, key_color=key)
    return key


def make_pose(ctx: StageContext, job: Job, action: ActionClip) -> Path:
    files = ctx.files(job)
    path = files.pose(action.index, action.action_id)
    if path.exists():
        return path
    character = Image.open(files.character).convert("RGBA")
    assert job.key_color is not None
    pose = ctx.images.start_pose(character, action.preset, job.key_color, ctx.usage_sink(job, action))
    if pose.mode != "RGBA" or not has_transparency(pose):
        pose = _cut_out(ctx, pose, job.key_color)
    _save_rgba(path, pose)
    return path


def make_clip(ctx: StageContext, job: Job, action: ActionClip) -> Path:
    files = ctx.files(job)
    path = files.clip(action.index, action.action_id)
    if path.exists():
        return path
    if action.imported_clip:
        return copy_atomic(files.input_dir / action.imported_clip, path)
    pose = Image.open(files.pose(action.index, action.action_id)).convert("RGBA")
    assert job.key_color is not None
    rigged = _pose_rig(files, pose)
    extra: dict[str, Any] = {}
    if getattr(ctx.video, "resumes_tasks", False):  # a cloud task outlives this try: keep its id
        extra["ledger"] = ActionTaskLedger(ctx.store, job.id, action.index)
    if rigged is not None:  # only then: a provider that predates rigs still gets the old call
        extra["rig"], extra["layers"] = rigged
    ctx.video.animate(
        pose, action.preset, job.key_color, path, ctx.check_cancel, ctx.usage_sink(job, action), **extra
    )
    if not path.exists():
        raise RuntimeError(f"the {ctx.video.name} provider returned no clip")
    return path


def _pose_rig(files: JobFiles, pose: Image.Image) -> tuple[Rig, dict[str, Image.Image] | None] | None:
    """The job's rig and part layers in the start pose's pixels, when it has limbs and the pose is the
    character reframed; None otherwise (the clip then moves the character as one piece)."""
    from popcon.providers.offline.pose import follow_pose

    if not files.rig.exists():
        return None
    rig_text = files.rig.read_bytes()
    rig = parse_rig(rig_text)
    if not rig.animates_parts:
        return None
    layer_files = sorted(files.rig_layers_dir.glob("*.png")) if files.rig_layers_dir.is_dir() else []
    pose = pose.convert("RGBA")
    stamps = tuple((str(p), p.stat().st_mtime_ns, p.stat().st_size) for p in [files.character, *layer_files])
    key = (stamps, rig_text, hashlib.blake2b(pose.tobytes(), digest_size=16).digest())
    with _FOLLOWED_LOCK:
        if key in _FOLLOWED:
            return _FOLLOWED[key]
    layers = None
    if rig.layers and layer_files:
        layers = {p.stem: Image.open(p).convert("RGBA") for p in layer_files}
    followed = follow_pose(Image.open(files.character).convert("RGBA"), pose, rig, layers)
    with _FOLLOWED_LOCK:
        _FOLLOWED[key] = followed
        while len(_FOLLOWED) > 4:
            _FOLLOWED.pop(next(iter(_FOLLOWED)))
    return followed


# Fitting the layers to a pose costs ~0.3 s per action, and every offline action of a job starts from
# the same reframed pose: done once per (files, rig, pose). The images are shared, read-only.
_FOLLOWED: dict[tuple[Any, ...], tuple[Rig, dict[str, Image.Image] | None] | None] = {}
_FOLLOWED_LOCK = threading.Lock()


def extract_frames(ctx: StageContext, job: Job, action: ActionClip) -> dict[str, int | float]:
    """Decode, crop black bars, pick the best whole-second loop, sample it; frames are the originals."""
    from popcon.media.loop import crop_dark_borders, find_loop, frames_for, sample_loop
    from popcon.media.video import decode_frames

    files = ctx.files(job)
    out = files.frames_dir(action.index, action.action_id)
    if out.exists() and action.frame_count and len(frame_paths(out)) == action.frame_count:
        return {"seconds": action.seconds or 0, "frame_count": action.frame_count}
    frames, fps = decode_frames(files.clip(action.index, action.action_id))
    ctx.check_cancel()
    frames = crop_dark_borders(frames)
    loop = find_loop(frames, fps, prefer_seconds=action.preset.recipe.seconds)
    picked = sample_loop(frames, loop, frames_for(loop.seconds))
    write_frames(out, picked)
    return {
        "seconds": loop.seconds,
        "frame_count": len(picked),
        "loop_start": loop.start,
        "loop_score": round(loop.seam, 3),
    }


def matte_action(ctx: StageContext, job: Job, action: ActionClip) -> dict[str, Any] | None:
    """Cut out the action's frames; returns the matte report for the job record (None: already done)."""
    from popcon.vision.matte import matte_clip

    files = ctx.files(job)
    src = files.frames_dir(action.index, action.action_id)
    out = files.cutouts_dir(action.index, action.action_id)
    n = len(frame_paths(src))
    if out.exists() and len(frame_paths(out)) == n:
        return None
    frames = read_frames(src)
    ctx.check_cancel()
    result = matte_clip(frames, key_color=job.key_color)
    ctx.check_cancel()
    write_frames(out, result.cutouts)
    return result.report()


def export_platform(ctx: StageContext, job: Job, platform: str) -> dict[str, Any]:
    """Encode, validate and package the finished actions for one platform."""
    from popcon.pipeline.captions import action_captions, submission_notes
    from popcon.pipeline.export import ExportInput, export_set

    files = ctx.files(job)
    captions = action_captions(files, job, platform)
    inputs = [
        ExportInput(
            action_id=a.action_id,
            label=a.preset.label,
            frames=read_frames(files.cutouts_dir(a.index, a.action_id)),
            seconds=a.seconds or 1,
            caption=captions.get(a.action_id),
        )
        for a in job.actions
        if a.status.value == "done"
    ]
    if not inputs:
        raise InvalidInput("no finished action to export")
    notes = submission_notes(job, platform)
    report = export_set(inputs, platform, files.exports_dir, check_cancel=ctx.check_cancel, notes=notes)
    return {
        "dir": str(report.directory),
        "zip": str(report.zip_path),
        "manifest": str(report.manifest_path),
        "preview": str(report.preview_html),
        "files": [f.summary() for f in report.files],
        "warnings": list(report.warnings),
        "failed": list(report.failed),
    }
