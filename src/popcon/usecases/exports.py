"""Reading what an export wrote: manifests, files and ZIPs (the web serves them, the CLI copies them)."""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from popcon.domain.errors import NotFound
from popcon.domain.exports import ExportedFile
from popcon.domain.models import Job
from popcon.domain.platforms import get_platform
from popcon.usecases.context import AppContext


def export_manifest(ctx: AppContext, job: Job, platform: str) -> tuple[Path, dict[str, Any]]:
    """The export folder of `platform` and its manifest; NotFound when there is none."""
    preset = get_platform(platform)  # an unknown id is refused before anything touches the disk
    if preset.id not in job.exports:
        raise NotFound(f"job {job.id} has no {preset.id} export")
    folder = ctx.files(job.id).exports_dir / preset.id
    path = folder / "manifest.json"
    if not path.exists():
        raise NotFound(f"the {preset.id} export of job {job.id} is missing on disk")
    return folder, json.loads(path.read_text("utf-8"))


def exported_files(manifest: dict[str, Any]) -> list[ExportedFile]:
    """The set's files as typed records (manifests written before the record had its name read too)."""
    return [ExportedFile.from_manifest(e) for e in manifest.get("files", [])]


def export_zip(ctx: AppContext, job: Job, platform: str) -> Path:
    folder, _ = export_manifest(ctx, job, platform)
    path = folder.parent / f"{folder.name}.zip"
    if not path.exists():
        raise NotFound(f"the {folder.name} ZIP of job {job.id} is missing")
    return path


def export_file(ctx: AppContext, job: Job, platform: str, name: str) -> Path:
    """One file of the set; only names the manifest lists are served (never a path from a request)."""
    folder, manifest = export_manifest(ctx, job, platform)
    known = {f.file_name for f in exported_files(manifest)} | set(manifest.get("extra_images", []))
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
    warnings: list[str] = field(default_factory=list)


def copy_exports(ctx: AppContext, job: Job, out: Path) -> list[CopiedExport]:
    """Copy every export of the job (folder and ZIP) under `out`, replacing an older copy."""
    files = ctx.files(job.id)
    out.mkdir(parents=True, exist_ok=True)
    copied = []
    for platform in job.exports:
        src_dir, src_zip = files.exports_dir / platform, files.exports_dir / f"{platform}.zip"
        dst_dir, dst_zip = out / platform, out / f"{platform}.zip"
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
                list(job.exports[platform].get("warnings", [])),
            )
        )
    return copied
