"""Exports: finish (export) a job, read the manifests, download files and ZIPs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import APIRouter
from fastapi.responses import FileResponse

from popcon.domain.models import Job
from popcon.domain.platforms import get_platform
from popcon.usecases.exports import export_file, export_manifest, export_zip
from popcon.usecases.jobs import start_export as start_export_job
from popcon.web.deps import JobDep, Svc, job_out
from popcon.web.schemas import ExportFileOut, ExportOut, ExportRequest, JobOut

router = APIRouter(tags=["exports"])


@router.post("/jobs/{job_id}/export", response_model=JobOut, status_code=202)
def start_export(svc: Svc, job: JobDep, body: ExportRequest | None = None) -> JobOut:
    """Encode, validate and package the set for the platforms (default: the job's own)."""
    platforms = ",".join(body.platforms).replace(";", ",").split(",") if body and body.platforms else None
    return job_out(svc, start_export_job(svc, job.id, platforms))


def _file_out(job: Job, platform: str, entry: dict[str, Any], folder: Path) -> ExportFileOut:
    name = entry["file_name"] if "file_name" in entry else entry["name"]
    problems = [
        r.get("message") or r.get("rule", "")
        for r in entry.get("rules", [])
        if not r.get("passed", True) and r.get("severity") != "info"
    ]
    return ExportFileOut(
        name=name,
        action_id=entry.get("action_id"),
        label=entry.get("label"),
        bytes=entry.get("bytes") or (folder / name).stat().st_size,
        frames=entry.get("frames"),
        seconds=entry.get("seconds"),
        loops=entry.get("loops"),
        valid=entry.get("valid", True),
        problems=[p for p in problems if p],
        url=f"/api/v1/jobs/{job.id}/exports/{platform}/files/{name}",
    )


@router.get("/jobs/{job_id}/exports", response_model=list[ExportOut])
def list_exports(svc: Svc, job: JobDep) -> list[ExportOut]:
    out = []
    for platform in sorted(job.exports):
        folder, manifest = export_manifest(svc, job, platform)
        zip_path = folder.parent / f"{platform}.zip"
        out.append(
            ExportOut(
                platform=platform,
                name=get_platform(platform).name,
                zip_url=f"/api/v1/jobs/{job.id}/exports/{platform}/zip",
                zip_bytes=zip_path.stat().st_size if zip_path.exists() else 0,
                warnings=list(manifest.get("warnings", [])),
                files=[_file_out(job, platform, f, folder) for f in manifest.get("files", [])],
                extra_images=[
                    _file_out(job, platform, {"name": n, "valid": True}, folder)
                    for n in manifest.get("extra_images", [])
                ],
            )
        )
    return out


@router.get("/jobs/{job_id}/exports/{platform}/zip", response_class=FileResponse)
def download_zip(svc: Svc, job: JobDep, platform: str) -> FileResponse:
    path = export_zip(svc, job, platform)
    return FileResponse(path, media_type="application/zip", filename=f"popcon-{job.id}-{path.stem}.zip")


@router.get("/jobs/{job_id}/exports/{platform}/files/{name}", response_class=FileResponse)
def download_file(svc: Svc, job: JobDep, platform: str, name: str) -> FileResponse:
    """One file of the set; only names the manifest lists are served (never a path from the URL)."""
    path = export_file(svc, job, platform, name)
    match = path.name
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
