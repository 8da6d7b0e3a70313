"""Kill the export at every point it changes the disk, resume: a finished platform is never redone."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from popcon.domain.status import JobStatus
from popcon.settings import Settings
from popcon.usecases.context import open_context
from popcon.usecases.jobs import NewJob, actions_from_names, create_job
from tests.conftest import REPO, SAMPLES

PLATFORMS = ["line-emoji", "discord-emoji"]


def _settings(data: Path) -> Settings:
    return Settings(data_dir=data, clip_size=256, workers=1, retry_base_delay=0.01)


def _ready_job(data: Path) -> str:
    """One action cut out and waiting for refinement (nothing exported yet)."""
    from popcon.usecases.jobs import Upload

    ctx = open_context(_settings(data))
    try:
        req = NewJob(
            presets=actions_from_names(["wave"]),
            platforms=PLATFORMS,
            image=Upload("fox.png", path=SAMPLES / "fox.png"),
            auto_export=False,
        )
        job, _ = create_job(ctx, req, start=False)
        done = ctx.run_job(job.id)
        assert done.status == JobStatus.AWAITING_REFINEMENT, done
        return job.id
    finally:
        ctx.close()


def _kill_at(data: Path, job_id: str, point: int) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO / "src"), str(REPO)])}
    cmd = [
        sys.executable,
        "-m",
        "tests.pipeline.export_killer",
        str(data),
        job_id,
        str(point),
        ",".join(PLATFORMS),
    ]
    return subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=300)


def _snapshot(exports: Path, platform: str) -> dict[str, tuple[str, int]]:
    """sha256 and inode of every file of the platform's set (folder and ZIP)."""
    paths = [exports / f"{platform}.zip", *sorted((exports / platform).rglob("*"))]
    return {
        str(p.relative_to(exports)): (hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_ino)
        for p in paths
        if p.is_file()
    }


def _resume(data: Path, job_id: str):  # type: ignore[no-untyped-def]
    ctx = open_context(_settings(data))
    try:
        return ctx.run_job(job_id, resume=True)
    finally:
        ctx.close()


@pytest.mark.slow
def test_a_kill_at_every_point_of_the_export_keeps_finished_platforms(tmp_path: Path) -> None:
    pristine = tmp_path / "pristine"
    job_id = _ready_job(pristine)
    point, kills, kept = 1, 0, 0
    while True:
        data = tmp_path / f"kill-{point}"
        shutil.copytree(pristine, data)
        run = _kill_at(data, job_id, point)
        if run.returncode == 0:  # the export passed every point: all of them were tried
            assert int(run.stdout.split()[-1]) == point - 1
            break
        assert run.returncode == -9, run.stderr
        kills += 1
        exports = data / "jobs" / job_id / "exports"
        # Finished = its ZIP exists: the ZIP is swapped in last, and nothing was exported before.
        finished = {p: _snapshot(exports, p) for p in PLATFORMS if (exports / f"{p}.zip").exists()}
        kept += len(finished)
        job = _resume(data, job_id)
        if job.status == JobStatus.AWAITING_REFINEMENT:  # killed before the request took: nothing to resume
            assert not finished and not job.exports, point
            shutil.rmtree(data)
            point += 1
            continue
        assert job.status == JobStatus.COMPLETED, (point, job.status, job.error)
        assert sorted(job.exports) == sorted(PLATFORMS)
        for platform, before in finished.items():
            assert _snapshot(exports, platform) == before, f"kill point {point}: {platform} was rewritten"
        for platform in PLATFORMS:
            manifest = json.loads((exports / platform / "manifest.json").read_text())
            assert all(f["valid"] for f in manifest["files"]) and manifest["files"]
        shutil.rmtree(data)
        point += 1
    assert kills >= 10 and kept >= 3, (kills, kept)  # the points cover both platforms' swaps and records


@pytest.mark.slow
def test_a_new_export_request_never_keeps_an_older_rounds_sets(tmp_path: Path) -> None:
    """Exported once; a second request killed at its first point; resume exports everything anew."""
    data = tmp_path / "d"
    job_id = _ready_job(data)
    assert _kill_at(data, job_id, 10_000).returncode == 0
    exports = data / "jobs" / job_id / "exports"
    first = {p: _snapshot(exports, p) for p in PLATFORMS}
    assert _kill_at(data, job_id, 2).returncode == -9  # the new round is recorded, nothing published
    job = _resume(data, job_id)
    assert job.status == JobStatus.COMPLETED, job.error
    for platform in PLATFORMS:
        after = _snapshot(exports, platform)
        assert after.keys() == first[platform].keys()
        assert after[f"{platform}.zip"][1] != first[platform][f"{platform}.zip"][1], platform
