"""Captioned sets through the export: every sticker preset's files pass their rules, the stored choice
drives a later export (resume, re-export), the store text lands in the package's notes."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from popcon.domain.captions import CaptionOptions, caption_for
from popcon.domain.platforms import get_platform, load_platforms
from popcon.domain.status import ActionStatus
from popcon.media.formats import validate_file
from popcon.media.validate import failures
from popcon.pipeline.captions import action_captions, rig_head, submission_notes
from popcon.pipeline.export import ExportInput, export_set
from popcon.pipeline.stages import StageContext, export_platform
from popcon.settings import Settings
from popcon.store.files import write_frames
from popcon.usecases.context import open_context
from popcon.usecases.jobs import NewJob, Upload, actions_from_names, create_job
from tests.conftest import SAMPLES
from tests.helpers.clips import sample_clip

STICKERS = [p.id for p in load_platforms().values() if p.implemented and p.kind == "sticker"]


@pytest.mark.slow
@pytest.mark.parametrize("preset_id", STICKERS)
def test_a_set_captioned_in_ja_ko_en_passes_every_sticker_preset(tmp_path: Path, preset_id: str) -> None:
    clip = sample_clip("fox", n=10, size=256)
    kind = get_platform(preset_id).kind
    inputs = []
    for action, lang in (("bow", "ja"), ("wave", "ko"), ("happy", "en")):
        caption = caption_for(CaptionOptions(lang=lang), action, kind, head=(0.0, 0.5))
        assert caption is not None
        inputs.append(ExportInput(action, action, clip, 2, caption=caption))
    report = export_set(inputs, preset_id, tmp_path)
    assert len(report.files) == 3 and not report.failed
    for f in report.files:
        results = validate_file(report.directory / f.file_name, get_platform(preset_id))
        assert not failures(results), (f.file_name, failures(results))


def _walk_to_done(store, job_id: str, index: int) -> None:  # type: ignore[no-untyped-def]
    for status in ("posing", "animating", "extracting", "matting", "done"):
        store.set_action_status(job_id, index, ActionStatus(status))


def test_the_stored_choice_drives_a_later_export_and_notes_stay_outside_the_zip(settings: Settings) -> None:
    ctx = open_context(settings)
    request = NewJob(
        presets=actions_from_names(["wave", "bow"]),
        platforms=["line-sticker", "line-emoji"],
        image=Upload("fox.png", data=(SAMPLES / "fox.png").read_bytes()),
        captions=CaptionOptions(lang="ja", text={"wave": "やあ!"}),
        submission={"ja": {"title": "きつねの毎日", "description": "毎日使えるきつねスタンプ"}},
    )
    job, _ = create_job(ctx, request, start=False)
    ctx.close()

    ctx = open_context(settings)  # a new process: everything comes from the job's record
    try:
        job = ctx.get_job(job.id)
        files = ctx.files(job.id)
        clip = sample_clip("fox", n=6, size=256)
        for a in job.actions:
            write_frames(files.cutouts_dir(a.index, a.action_id), clip)
            ctx.store.update_action(job.id, a.index, seconds=1, frame_count=len(clip))
            _walk_to_done(ctx.store, job.id, a.index)
        job = ctx.get_job(job.id)
        captions = action_captions(files, job, "line-sticker")
        assert captions["wave"].text == "やあ!" and captions["bow"].text == "ありがとう!"
        assert action_captions(files, job, "line-emoji") == {}  # emoji presets stay bare

        stage = StageContext(settings, ctx.store, None, None, lambda: None, lambda _m: None)  # type: ignore[arg-type]
        summary = export_platform(stage, job, "line-sticker")
        folder = files.exports_dir / summary.preset
        notes = (folder / "submission.txt").read_text("utf-8")
        assert "[ja]" in notes and "title: きつねの毎日" in notes and "!" not in notes.split("\n", 1)[1][:2]
        manifest = json.loads((folder / "manifest.json").read_text("utf-8"))
        assert manifest["captions"] == {"wave": "やあ!", "bow": "ありがとう!"}
        assert summary.captions == manifest["captions"]
        with zipfile.ZipFile(files.exports_dir / summary.zip) as zf:
            assert "submission.txt" not in zf.namelist()
        first = np.asarray(Image.open(folder / "01.png").convert("RGBA"))
        bare = export_set([ExportInput("wave", "wave", clip, 1)], "line-sticker", settings.data_dir / "bare")
        plain = np.asarray(Image.open(bare.directory / "01.png").convert("RGBA"))
        assert first.shape != plain.shape or np.abs(first.astype(int) - plain.astype(int)).mean() > 5
        assert submission_notes(job, "telegram-video-sticker") is None
    finally:
        ctx.close()


def test_rig_head_is_the_heads_span_in_the_characters_box(tmp_path: Path) -> None:
    from popcon.animation.mascot import draw_mascot_rig
    from popcon.store.files import JobFiles

    drawn = draw_mascot_rig("a brown bear", 192)
    files = JobFiles(tmp_path, "0123456789ab")
    files.root.mkdir(parents=True)
    assert rig_head(files) is None  # no rig yet: the whole character is protected
    drawn.image.save(files.character)
    files.rig.write_text(drawn.rig.to_json())
    head = rig_head(files)
    assert head is not None
    top, bottom = head
    assert 0.0 <= top < bottom < 0.8  # the head is the upper part of a standing mascot
    head_layer = np.asarray(drawn.layers["head"].convert("RGBA"))[:, :, 3] > 8
    alpha = np.asarray(drawn.image.convert("RGBA"))[:, :, 3] > 8
    rows, head_rows = np.flatnonzero(alpha.any(axis=1)), np.flatnonzero(head_layer.any(axis=1))
    y0, h = rows[0], rows[-1] + 1 - rows[0]
    assert abs((head_rows[-1] + 1 - y0) / h - bottom) < 0.15  # the neck joint sits at the head's base
