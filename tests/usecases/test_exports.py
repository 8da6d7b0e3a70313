"""Reading an export through the use cases: the job's summary, the files it lists, the ZIP, a copy out."""

from __future__ import annotations

import json
import shutil
import zipfile
from pathlib import Path

import pytest

from popcon.domain.errors import Conflict, InvalidInput, NotFound
from popcon.domain.exports import ExportSummary
from popcon.domain.models import Job
from popcon.usecases.context import AppContext
from popcon.usecases.exports import (
    character_path,
    copy_exports,
    export_file,
    export_summary,
    export_zip,
    zip_bytes,
)
from popcon.usecases.jobs import NewJob, actions_from_names, create_job, export_job
from tests.usecases.conftest import sample_job


@pytest.fixture(scope="module")
def exported(module_ctx: AppContext, refined: Job) -> Job:
    return export_job(module_ctx, refined.id, ["line-emoji", "telegram-emoji"])


def test_the_job_keeps_one_summary_per_set_and_the_manifest_is_the_same_shape(
    module_ctx: AppContext, exported: Job
) -> None:
    assert exported.status.value == "completed", exported.error
    assert sorted(exported.exports) == ["line-emoji", "telegram-emoji"]
    folder, summary = export_summary(module_ctx, exported, "line-emoji")
    assert isinstance(summary, ExportSummary)
    assert (summary.preset, summary.platform, summary.zip) == ("line-emoji", "line", "line-emoji.zip")
    assert folder == module_ctx.files(exported.id).exports_dir / "line-emoji"
    assert [f.file_name for f in summary.files] == ["001.png"] and summary.valid
    assert summary.files[0].knobs is None  # the job keeps the brief copy; the manifest has everything
    manifest = ExportSummary.from_json(json.loads((folder / "manifest.json").read_text("utf-8")))
    assert manifest.brief() == summary
    assert manifest.files[0].knobs and manifest.files[0].rules
    assert summary.round is not None and manifest.round == summary.round
    assert summary.extra_images == ["tab.png"]


def test_files_and_zip_come_from_names_the_set_lists(module_ctx: AppContext, exported: Job) -> None:
    path = export_zip(module_ctx, exported, "line-emoji")
    assert path == module_ctx.files(exported.id).exports_dir / "line-emoji.zip"
    assert zip_bytes(module_ctx, exported, exported.exports["line-emoji"]) == path.stat().st_size > 0
    with zipfile.ZipFile(path) as zf:
        assert sorted(zf.namelist()) == ["001.png", "tab.png"]
    assert export_file(module_ctx, exported, "line-emoji", "001.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert export_file(module_ctx, exported, "telegram-emoji", "001.webm").stat().st_size > 0
    assert export_file(module_ctx, exported, "line-emoji", "tab.png").is_file()
    for bad in ("../manifest.json", "002.png", "001.webm", "/etc/passwd"):
        with pytest.raises(NotFound):
            export_file(module_ctx, exported, "line-emoji", bad)


def test_a_set_not_made_or_an_unknown_platform_is_refused(module_ctx: AppContext, exported: Job) -> None:
    with pytest.raises(NotFound, match="no discord-emoji export"):
        export_summary(module_ctx, exported, "discord-emoji")
    with pytest.raises(InvalidInput):
        export_zip(module_ctx, exported, "myspace")


def test_copy_exports_writes_every_set_and_its_zip(
    module_ctx: AppContext, exported: Job, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    (out / "line-emoji").mkdir(parents=True)
    (out / "line-emoji" / "stale.png").write_bytes(b"old")  # an older copy is replaced, not merged
    copied = {c.platform: c for c in copy_exports(module_ctx, exported, out)}
    assert sorted(copied) == ["line-emoji", "telegram-emoji"]
    line = copied["line-emoji"]
    assert (
        line.zip == out / "line-emoji.zip"
        and line.zip.read_bytes() == export_zip(module_ctx, exported, "line-emoji").read_bytes()
    )
    assert not (out / "line-emoji" / "stale.png").exists() and (line.folder / "001.png").is_file()
    assert line.preview == line.folder / "preview.html" and line.summary == exported.exports["line-emoji"]


def test_a_set_removed_from_disk_is_reported_missing(module_ctx: AppContext) -> None:
    job = export_job(module_ctx, sample_job(module_ctx).id, ["line-emoji"])
    files = module_ctx.files(job.id)
    (files.exports_dir / "line-emoji.zip").unlink()
    with pytest.raises(NotFound, match="ZIP"):
        export_zip(module_ctx, job, "line-emoji")
    assert zip_bytes(module_ctx, job, job.exports["line-emoji"]) == 0
    shutil.rmtree(files.exports_dir / "line-emoji")
    with pytest.raises(NotFound, match="missing on disk"):
        export_summary(module_ctx, job, "line-emoji")


def test_export_is_refused_before_the_frames_are_cut_out(module_ctx: AppContext) -> None:
    req = NewJob(presets=actions_from_names(["wave"]), platforms=["line-emoji"], sample=True)
    job, _ = create_job(module_ctx, req, start=False)
    with pytest.raises(Conflict, match="once its frames are cut out"):
        export_job(module_ctx, job.id, ["line-emoji"])
    with pytest.raises(NotFound, match="no character yet"):
        character_path(module_ctx, job)
    module_ctx.runner.cancel(job.id)
