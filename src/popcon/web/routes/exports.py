"""Exports: finish (export) a job, read the manifests, download files and ZIPs."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Body
from fastapi.responses import FileResponse

from popcon.domain.exports import ExportedFile
from popcon.domain.models import Job
from popcon.domain.platforms import get_platform
from popcon.usecases.captions import set_captions
from popcon.usecases.exports import export_file, export_summary, export_zip, size_on_disk, zip_bytes
from popcon.usecases.jobs import start_export as start_export_job
from popcon.web.deps import JobDep, Svc, job_out
from popcon.web.schemas import (
    ExportFileOut,
    ExportOut,
    ExportRequest,
    JobOut,
    LeftOutOut,
    RuleProblem,
    warning_codes,
)

router = APIRouter(tags=["exports"])


@router.put("/jobs/{job_id}/captions", response_model=JobOut)
def put_captions(svc: Svc, job: JobDep, body: Annotated[dict[str, Any], Body()]) -> JobOut:
    """Replace the job's captions ({"enabled", "lang", "text": {action: caption}, "motion", "on_emoji"});
    the next export draws them (export again to see them in the files)."""
    return job_out(svc, set_captions(svc, job.id, body))


@router.post("/jobs/{job_id}/export", response_model=JobOut, status_code=202)
def start_export(svc: Svc, job: JobDep, body: ExportRequest | None = None) -> JobOut:
    """Encode, validate and package the set for the platforms (default: the job's own)."""
    platforms = ",".join(body.platforms).replace(";", ",").split(",") if body and body.platforms else None
    return job_out(svc, start_export_job(svc, job.id, platforms))


def _file_out(job: Job, platform: str, f: ExportedFile, folder: Path) -> ExportFileOut:
    return ExportFileOut(
        name=f.file_name,
        action_id=f.action_id,
        label=f.label,
        bytes=f.bytes or size_on_disk(folder / f.file_name),
        frames=f.frames,
        seconds=f.seconds,
        loops=f.loops,
        valid=f.valid,
        problems=f.problems,
        problem_codes=[
            RuleProblem(rule=r.rule, measured=str(r.measured), limit=str(r.limit), severity=r.severity)
            for r in f.rules
            if not r.passed
        ],
        url=f"/api/v1/jobs/{job.id}/exports/{platform}/files/{f.file_name}",
    )


@router.get("/jobs/{job_id}/exports", response_model=list[ExportOut])
def list_exports(svc: Svc, job: JobDep) -> list[ExportOut]:
    out = []
    for platform in sorted(job.exports):
        folder, summary = export_summary(svc, job, platform)
        out.append(
            ExportOut(
                platform=summary.preset,
                name=get_platform(platform).name,
                zip_url=f"/api/v1/jobs/{job.id}/exports/{platform}/zip",
                zip_bytes=zip_bytes(svc, job, summary),
                round=summary.round,
                valid=summary.valid,
                warnings=summary.warnings,
                warning_codes=warning_codes(summary),
                captions=summary.captions,
                failed=[LeftOutOut.model_validate(x.model_dump()) for x in summary.failed],
                files=[_file_out(job, platform, f, folder) for f in summary.files],
                extra_images=[
                    _file_out(job, platform, ExportedFile(file_name=n), folder) for n in summary.extra_images
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
