"""Reading what an export wrote: summaries, manifests, files and ZIPs (the web serves them, the CLI copies
them)."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from popcon.domain.errors import NotFound
from popcon.domain.exports import ExportSummary
from popcon.domain.models import Job
from popcon.domain.platforms import get_platform
from popcon.usecases.context import AppContext


def export_summary(ctx: AppContext, job: Job, platform: str) -> tuple[Path, ExportSummary]:
    """The export folder of `platform` and the summary the job keeps of it; NotFound when there is none
    (an unknown preset id is refused before anything touches the disk)."""
    preset = get_platform(platform)
    summary = job.exports.get(preset.id)
    if summary is None:
        raise NotFound(f"job {job.id} has no {preset.id} export")
    folder = ctx.files(job.id).exports_dir / preset.id
    if not folder.is_dir():
        raise NotFound(f"the {preset.id} export of job {job.id} is missing on disk")
    return folder, summary


def export_zip(ctx: AppContext, job: Job, platform: str) -> Path:
    folder, summary = export_summary(ctx, job, platform)
    path = folder.parent / summary.zip
    if not path.is_file():
        raise NotFound(f"the {summary.preset} ZIP of job {job.id} is missing")
    return path


def size_on_disk(path: Path) -> int:
    """A written file's size in bytes (0 when it is gone: a listing still answers)."""
    return path.stat().st_size if path.is_file() else 0


def zip_bytes(ctx: AppContext, job: Job, summary: ExportSummary) -> int:
    """The size of a set's ZIP (0 when it is gone)."""
    return size_on_disk(ctx.files(job.id).exports_dir / summary.zip)


def export_file(ctx: AppContext, job: Job, platform: str, name: str) -> Path:
    """One file of the set; only names the set lists are served (never a path from a request)."""
    folder, summary = export_summary(ctx, job, platform)
    known = {f.file_name for f in summary.files} | set(summary.extra_images)
    known |= {"preview.gif", "manifest.json"}
    match = next((n for n in known if n and n == name), None)
    if match is None:
        raise NotFound(f"the {folder.name} export has no file {name[:60]!r}")
    path = folder / match
    if not path.exists():
        raise NotFound(f"{match} is missing")
    return path


def character_path(ctx: AppContext, job: Job) -> Path:
    path = ctx.files(job.id).character
    if not path.exists():
        raise NotFound(f"job {job.id} has no character yet")
    return path


@dataclass
class CopiedExport:
    platform: str
    folder: Path
    zip: Path
    preview: Path | None
    summary: ExportSummary


def copy_exports(ctx: AppContext, job: Job, out: Path) -> list[CopiedExport]:
    """Copy every export of the job (folder and ZIP) under `out`, replacing an older copy."""
    files = ctx.files(job.id)
    out.mkdir(parents=True, exist_ok=True)
    copied = []
    for platform, summary in job.exports.items():
        src_dir, src_zip = files.exports_dir / platform, files.exports_dir / summary.zip
        dst_dir, dst_zip = out / platform, out / summary.zip
        if dst_dir.exists():
            shutil.rmtree(dst_dir)
        shutil.copytree(src_dir, dst_dir)
        if src_zip.exists():
            shutil.copyfile(src_zip, dst_zip)
        preview = dst_dir / "preview.html"
        copied.append(
            CopiedExport(
                platform,
                dst_dir,
                dst_zip,
                preview if preview.exists() else None,
                summary,
            )
        )
    return copied
