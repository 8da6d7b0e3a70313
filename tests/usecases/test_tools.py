"""The job-less tools (`popcon matte`, `cutout`, `segment`, `validate`, the web's cut-out preview)."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from popcon.animation.animator import render_clip
from popcon.animation.mascot import sample_character
from popcon.domain.errors import InvalidInput
from popcon.domain.models import Job
from popcon.media.images import read_png
from popcon.providers.keycolor import choose_key_color
from popcon.settings import Settings
from popcon.usecases.context import AppContext
from popcon.usecases.jobs import actions_from_names, export_job
from popcon.usecases.tools import check_file, cutout_image, cutout_preview, matte_clip, segment_image
from tests.conftest import SAMPLES


def test_matte_clip_cuts_every_frame_of_a_keyed_clip(tmp_path: Path) -> None:
    character = sample_character()
    key = choose_key_color(character)
    recipe = actions_from_names(["wave"])[0].recipe
    clip = render_clip(character, recipe, tmp_path / "keyed.mp4", background=key, size=192, fps=8)
    n, report = matte_clip(clip, tmp_path / "cut")
    pngs = sorted((tmp_path / "cut").glob("*.png"))
    assert n == len(pngs) == len(report.confidence) > 0 and report.source == "matte"
    first = read_png(pngs[0])
    assert first.shape[2] == 4
    assert first[0, 0, 3] == 0 and (first[..., 3] == 255).mean() > 0.02  # corner gone, character kept
    (tmp_path / "junk.mp4").write_bytes(b"not a video")
    with pytest.raises(InvalidInput, match="cannot read video"):
        matte_clip(tmp_path / "junk.mp4", tmp_path / "nothing")
    assert not (tmp_path / "nothing").exists()  # refused before anything is written


def test_cutout_preview_cuts_a_backdrop_and_keeps_own_alpha(settings: Settings) -> None:
    cut = cutout_preview(settings, (SAMPLES / "fox_on_white.jpg").read_bytes())
    im = Image.open(io.BytesIO(cut.png))
    assert im.mode == "RGBA" and max(im.size) <= 512
    alpha = np.asarray(im)[..., 3]
    assert alpha[0, 0] == 0 and (alpha > 127).mean() > 0.05
    assert cut.confidence is not None and 0.0 <= cut.confidence <= 1.0
    own = cutout_preview(settings, (SAMPLES / "fox.png").read_bytes())
    assert own.confidence is None and own.warning is None  # its own transparency: nothing was cut
    with pytest.raises(InvalidInput):
        cutout_preview(settings, b"GIF89a not really")


def test_cutout_image_writes_the_cut_at_full_size(settings: Settings, tmp_path: Path) -> None:
    report = cutout_image(settings, SAMPLES / "fox_on_white.jpg", tmp_path / "out" / "fox.png")
    written = Image.open(tmp_path / "out" / "fox.png")
    assert written.size == Image.open(SAMPLES / "fox_on_white.jpg").size and written.mode == "RGBA"
    assert report.kind in ("figure", "drawing") and 0.05 < report.kept < 0.95
    own = cutout_image(settings, SAMPLES / "fox.png", tmp_path / "own.png")
    assert own.kind == "own alpha" and own.confidence is None
    assert np.array_equal(
        np.asarray(Image.open(tmp_path / "own.png")), np.asarray(Image.open(SAMPLES / "fox.png"))
    )


def test_segment_image_keeps_what_the_click_points_at(settings: Settings, tmp_path: Path) -> None:
    alpha = np.asarray(Image.open(SAMPLES / "fox.png"))[..., 3]
    ys, xs = np.nonzero(alpha > 200)
    click = (float(np.median(xs)), float(np.median(ys)), True)
    done = segment_image(
        settings, SAMPLES / "fox.png", [click], tmp_path / "seg.png", mask_out=tmp_path / "m.png"
    )
    assert done.clicks == 1 and 0.0 < done.kept < 0.9
    mask = np.asarray(Image.open(tmp_path / "m.png")) > 127
    assert mask[int(click[1]), int(click[0])]
    with pytest.raises(InvalidInput, match="outside"):
        segment_image(settings, SAMPLES / "fox.png", [(5000.0, 1.0, True)], tmp_path / "x.png")
    with pytest.raises(InvalidInput, match="no such mask"):
        segment_image(settings, SAMPLES / "fox.png", [click], tmp_path / "x.png", prior=tmp_path / "none.png")


def test_check_file_reports_each_rule_of_the_platform(module_ctx: AppContext, refined: Job) -> None:
    job = export_job(module_ctx, refined.id, ["line-emoji"])
    png = module_ctx.files(job.id).exports_dir / "line-emoji" / "001.png"
    checks, failed = check_file("line-emoji", png)
    assert checks and failed == [] and all(c.passed for c in checks)
    _, wrong = check_file("line-sticker", png)  # a 180 px emoji is not a LINE sticker
    assert wrong
    with pytest.raises(InvalidInput, match="not a file"):
        check_file("line-emoji", png.parent / "missing.png")
    with pytest.raises(InvalidInput):
        check_file("myspace", png)
