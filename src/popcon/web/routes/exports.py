"""Exports: finish (export) a job, read the manifests, download files and ZIPs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from fastapi import APIRouter
from fastapi.responses import FileResponse

from popcon.domain.errors import NotFound
from popcon.domain.exports import ExportedFile
from popcon.domain.models import Job
from popcon.domain.platforms import get_platform
from popcon.domain.status import JobStatus
from popcon.store.files import JobFiles
from popcon.web.deps import JobDep, Svc
from popcon.web.errors import Conflict
from popcon.web.routes.jobs import _parse_platforms, job_out
from popcon.web.schemas import ExportFileOut, ExportOut, ExportRequest, JobOut

router = APIRouter(tags=["exports"])
EXPORTABLE = (JobStatus.AWAITING_REFINEMENT, JobStatus.COMPLETED, JobStatus.COMPLETED_WITH_ERRORS)


@router.post("/jobs/{job_id}/export", response_model=JobOut, status_code=202)
def start_export(svc: Svc, job: JobDep, body: ExportRequest | None = None) -> JobOut:
    """Encode, validate and package the set for the platforms (default: the job's own)."""
    platforms = _parse_platforms(",".join(body.platforms)) if body and body.platforms else job.platforms
    if job.status not in EXPORTABLE:
        raise Conflict(f"job {job.id} is {job.status}; it can be exported once its frames are cut out")
    if svc.busy(job.id):
        raise Conflict(f"job {job.id} is busy")
    if not job.done_actions:
        raise Conflict(f"job {job.id} has no finished action to export")
    svc.start(job.id, svc.runner.export, job.id, platforms)
    return job_out(svc, svc.store.get_job(job.id))


def _manifest(svc: Svc, job: Job, platform: str) -> tuple[Path, dict[str, Any]]:
    preset = get_platform(platform)  # 400 for an unknown id, before anything touches the disk
    if preset.id not in job.exports:
        raise NotFound(f"job {job.id} has no {preset.id} export")
    folder = JobFiles(svc.settings.data_dir, job.id).exports_dir / preset.id
    path = folder / "manifest.json"
    if not path.exists():
        raise NotFound(f"the {preset.id} export of job {job.id} is missing on disk")
    return folder, json.loads(path.read_text("utf-8"))


def _files(manifest: dict[str, Any]) -> list[ExportedFile]:
    return [ExportedFile.from_manifest(e) for e in manifest.get("files", [])]


def _file_out(job: Job, platform: str, f: ExportedFile, folder: Path) -> ExportFileOut:
    return ExportFileOut(
        name=f.file_name,
        action_id=f.action_id,
        label=f.label,
        bytes=f.bytes or (folder / f.file_name).stat().st_size,
        frames=f.frames,
        seconds=f.seconds,
        loops=f.loops,
        valid=f.valid,
        problems=f.problems,
        url=f"/api/v1/jobs/{job.id}/exports/{platform}/files/{f.file_name}",
    )


@router.get("/jobs/{job_id}/exports", response_model=list[ExportOut])
def list_exports(svc: Svc, job: JobDep) -> list[ExportOut]:
    out = []
    for platform in sorted(job.exports):
        folder, manifest = _manifest(svc, job, platform)
        zip_path = folder.parent / f"{platform}.zip"
        out.append(
            ExportOut(
                platform=platform,
                name=get_platform(platform).name,
                zip_url=f"/api/v1/jobs/{job.id}/exports/{platform}/zip",
                zip_bytes=zip_path.stat().st_size if zip_path.exists() else 0,
                warnings=list(manifest.get("warnings", [])),
                files=[_file_out(job, platform, f, folder) for f in _files(manifest)],
                extra_images=[
                    _file_out(job, platform, ExportedFile(file_name=n), folder)
                    for n in manifest.get("extra_images", [])
                ],
            )
        )
    return out


@router.get("/jobs/{job_id}/exports/{platform}/zip", response_class=FileResponse)
def download_zip(svc: Svc, job: JobDep, platform: str) -> FileResponse:
    folder, _ = _manifest(svc, job, platform)
    path = folder.parent / f"{folder.name}.zip"
    if not path.exists():
        raise NotFound(f"the {folder.name} ZIP of job {job.id} is missing")
    return FileResponse(path, media_type="application/zip", filename=f"popcon-{job.id}-{folder.name}.zip")


@router.get("/jobs/{job_id}/exports/{platform}/files/{name}", response_class=FileResponse)
def download_file(svc: Svc, job: JobDep, platform: str, name: str) -> FileResponse:
    """One file of the set; only names the manifest lists are served (never a path from the URL)."""
    folder, manifest = _manifest(svc, job, platform)
    known = {f.file_name for f in _files(manifest)} | set(manifest.get("extra_images", []))
    known |= {"preview.gif", "manifest.json"}
    match = next((n for n in known if n and n == name), None)
    if match is None:
        raise NotFound(f"the {folder.name} export has no file {name[:60]!r}")
    path = folder / match
    if not path.exists():
        raise NotFound(f"{match} is missing")
    media = {"png": "image/png", "gif": "image/gif", "webm": "video/webm", "json": "application/json"}.get(
        match.rsplit(".", 1)[-1]
    )
    return FileResponse(
        path,
        media_type=media or "application/octet-stream",
        filename=match,
        content_disposition_type="inline",
        headers={"Cache-Control": "no-cache"},
    )
