"""The stages of one job as plain functions: read inputs from the store, write one result.

Each stage is idempotent: it writes its result atomically and a stage whose result is already
on disk returns at once, so resuming after a crash redoes only what had not finished.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
from PIL import Image

from popcon.atomic import atomic_path, copy_atomic
from popcon.domain.errors import InvalidInput
from popcon.domain.exports import ExportSummary
from popcon.domain.models import ActionClip, Job
from popcon.domain.reports import CutoutReport, MatteReport, ProviderTask
from popcon.domain.rig import Rig, parse_rig
from popcon.media.images import has_transparency, load_image, read_png
from popcon.media.memory import give_back
from popcon.providers.base import (
    CancelCheck,
    ClipRequest,
    ImageProvider,
    TaskRecord,
    Usage,
    UsageSink,
    VideoProvider,
)
from popcon.providers.registry import SAMPLE_PROVIDER, image_provider, sample_prompt
from popcon.settings import Settings
from popcon.store.db import JobStore
from popcon.store.files import JobFiles, copy_frames, frame_paths, read_frames, write_frames

CHARACTER_SIDE = 2048  # the largest clip side: a bigger upload is decoded (a band at a time) to this


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
            self.store.add_usage(job.id, replace(u, action=action.action_id if action else None))

        return record


@dataclass
class ActionTaskLedger:
    """The action's cloud task, kept in the job store (survives retries, resumes and crashes)."""

    store: JobStore
    job_id: str
    index: int

    def load(self) -> TaskRecord | None:
        task = self.store.get_action(self.job_id, self.index).provider_task
        return None if task is None else task.to_json()

    def save(self, record: TaskRecord | None) -> None:
        task = None if record is None else ProviderTask.from_json(record)
        self.store.update_action(self.job_id, self.index, provider_task=task)


def _save_rgba(path: Path, im: Image.Image) -> None:
    with atomic_path(path) as tmp:
        im.convert("RGBA").save(tmp, format="PNG")


def _cut_out(ctx: StageContext, im: Image.Image, key_color: tuple[int, int, int] | None) -> Image.Image:
    from popcon.vision.matte import matte_image

    rgb = np.asarray(im.convert("RGB"))
    return Image.fromarray(matte_image(rgb, key_color=key_color), "RGBA")


def _cut_out_upload(ctx: StageContext, im: Image.Image) -> tuple[Image.Image, CutoutReport]:
    """The upload's cut-out (a drawing on paper or a figure on a backdrop) and the report the job keeps
    of it (confidence, kind, warning); a cut that kept almost nothing or only fragments stops the job."""
    from popcon.vision.cutout import cut_out, judge_kept

    cut = cut_out(np.asarray(im.convert("RGB")))
    if why := judge_kept(cut.rgba[..., 3]):
        raise InvalidInput(why)
    if cut.warning:
        ctx.log(f"warning: {cut.warning}")
    report = CutoutReport(
        round(cut.confidence, 3), cut.kind, cut.warning, cut.warning_code if cut.warning else None
    )
    return Image.fromarray(cut.rgba, "RGBA"), report


def make_character(ctx: StageContext, job: Job) -> tuple[int, int, int]:
    """The character cut-out and the key colour its clips are rendered on."""
    from popcon.providers.keycolor import choose_key_color

    files = ctx.files(job)
    cut_report: CutoutReport | None = None
    if not files.character.exists():
        if job.source == "sample":
            character = sample_images(ctx).character(sample_prompt(), None, (0, 177, 64))
        elif job.source == "upload":
            if job.options.upload is None:
                raise InvalidInput(f"job {job.id} has no uploaded character")
            upload = files.input_dir / job.options.upload
            s = ctx.settings  # the character is worked at most at CHARACTER_SIDE: clips are smaller still
            character = load_image(
                upload, max_bytes=s.max_upload_bytes, max_pixels=s.max_image_pixels, max_side=CHARACTER_SIDE
            )
            if job.remove_background and not has_transparency(character):
                ctx.log("removing the background of the uploaded image")
                character, cut_report = _cut_out_upload(ctx, character)
        elif job.source == "prompt":
            reference = None
            if ref := job.options.reference:
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
        if cut_report is not None:  # kept once the cut-out it speaks of is on disk
            options = ctx.store.get_job(job.id).options.model_copy(update={"cutout": cut_report})
            ctx.store.update_job(job.id, options=options)
        del character
        give_back()  # the decode and the cut-out of a large upload: hand that memory back now
    from popcon.pipeline.rig import ensure_rig

    if job.source == "sample":
        ensure_rig(files, job.options, sample_prompt(), sample_images(ctx), ctx.log)
    else:
        ensure_rig(
            files, job.options, job.prompt or "" if job.source == "prompt" else None, ctx.images, ctx.log
        )
    if job.key_color is not None:
        return job.key_color
    effects = sorted({e for a in job.actions for e in a.preset.recipe.effects})
    overlays = ctx.video.overlay_colors(effects) if ctx.video.capabilities.overlays else ()
    key = choose_key_color(Image.open(files.character), extra_colors=overlays)
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
    """The action's clip: a copy of the import (a PNG sequence packed losslessly), or the video
    provider's, lossless RGBA when the provider draws its own alpha, else on the job's key colour."""
    files = ctx.files(job)
    done = files.clip(action.index, action.action_id)
    if done.exists():
        return done
    if action.imported_clip:
        source = files.input_dir / action.imported_clip
        if source.is_dir():
            from popcon.media.video import pack_png_sequence

            return pack_png_sequence(
                source, files.lossless_clip(action.index, action.action_id), ctx.settings.clip_fps
            )
        return copy_atomic(source, files.video_clip(action.index, action.action_id))
    if ctx.video.capabilities.alpha:
        path = files.lossless_clip(action.index, action.action_id)
    else:
        path = files.video_clip(action.index, action.action_id)
    pose = Image.open(files.pose(action.index, action.action_id)).convert("RGBA")
    caps = ctx.video.capabilities
    assert caps.alpha or job.key_color is not None
    rig = _parts_rig(files) if caps.rigs else None
    ctx.video.animate(
        ClipRequest(
            pose=pose,
            action=action.preset,
            key_color=None if caps.alpha else job.key_color,
            out_path=path,
            check_cancel=ctx.check_cancel,
            on_usage=ctx.usage_sink(job, action),
            character=Image.open(files.character).convert("RGBA") if rig is not None else None,
            rig=rig[0] if rig is not None else None,
            layers=rig[1] if rig is not None else None,
            # A cloud task outlives this try: its id is kept with the action.
            ledger=ActionTaskLedger(ctx.store, job.id, action.index) if caps.resumes_tasks else None,
        )
    )
    if not path.exists():
        raise RuntimeError(f"the {ctx.video.name} provider returned no clip")
    return path


def _parts_rig(files: JobFiles) -> tuple[Rig, dict[str, Image.Image] | None] | None:
    """The job's rig and part layers (in the character's pixels) when the rig moves parts."""
    if not files.rig.exists():
        return None
    rig = parse_rig(files.rig.read_bytes())
    if not rig.animates_parts:
        return None
    layer_files = sorted(files.rig_layers_dir.glob("*.png")) if files.rig_layers_dir.is_dir() else []
    layers = (
        {p.stem: Image.open(p).convert("RGBA") for p in layer_files} if rig.layers and layer_files else None
    )
    return rig, layers


def sample_images(ctx: StageContext) -> ImageProvider:
    """The image provider that draws the built-in sample (whatever the job's own provider is)."""
    if ctx.images.name == SAMPLE_PROVIDER:
        return ctx.images
    return image_provider(ctx.settings, SAMPLE_PROVIDER)


def extract_frames(ctx: StageContext, job: Job, action: ActionClip) -> dict[str, int | float]:
    """Decode, crop black bars, pick the best whole-second loop, sample it; frames are the originals
    (RGBA when the clip carries its own alpha)."""
    from popcon.media.loop import crop_dark_borders, find_loop, frames_for, sample_loop
    from popcon.media.video import decode_frames

    files = ctx.files(job)
    out = files.frames_dir(action.index, action.action_id)
    if out.exists() and action.frame_count and len(frame_paths(out)) == action.frame_count:
        return {"seconds": action.seconds or 0, "frame_count": action.frame_count}
    frames, fps = decode_frames(files.clip(action.index, action.action_id), keep_alpha=True)
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


def matte_action(ctx: StageContext, job: Job, action: ActionClip) -> MatteReport | None:
    """Cut out the action's frames; returns the matte report for the job record (None: already done).

    Frames with their own alpha are their own cut-outs (copied byte for byte); only frames without
    one go through the matte, told the key colour the clip was rendered on (an import's own
    background when that is a hued key, read from its border)."""
    from popcon.vision.matte import matte_clip
    from popcon.vision.unmix import hued_background

    files = ctx.files(job)
    src = files.frames_dir(action.index, action.action_id)
    out = files.cutouts_dir(action.index, action.action_id)
    paths = frame_paths(src)
    n = len(paths)
    if out.exists() and len(frame_paths(out)) == n:
        return None
    if paths and read_png(paths[0]).shape[2] == 4:
        copy_frames(src, out)
        return MatteReport.own_alpha(n)
    frames = read_frames(src)
    ctx.check_cancel()
    result = matte_clip(
        frames, key_color=hued_background(frames[0]) if action.imported_clip else job.key_color
    )
    ctx.check_cancel()
    write_frames(out, result.cutouts)
    return result.report()


def export_platform(
    ctx: StageContext,
    job: Job,
    platform: str,
    progress: Callable[[int, int, str], None] | None = None,
    round_token: str | None = None,
) -> ExportSummary:
    """Encode, validate and package the finished actions for one platform; `progress(done, total,
    what)` hears of each file as it is written."""
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
    report = export_set(
        inputs,
        platform,
        files.exports_dir,
        progress=progress,
        check_cancel=ctx.check_cancel,
        round_token=round_token,
        notes=notes,
    )
    return report.summary


def published_platform(ctx: StageContext, job: Job, platform: str, round_token: str) -> ExportSummary | None:
    """The summary of `platform`'s set when this export round already published it whole, else None
    (read from its manifest: nothing of the set is touched)."""
    from popcon.pipeline.export_round import published_manifest

    manifest = published_manifest(ctx.files(job).exports_dir, platform, round_token)
    return None if manifest is None else ExportSummary.from_json(manifest, platform)
