from __future__ import annotations

import io
from pathlib import Path

import numpy as np
from PIL import Image

from popcon.animation.framing import frame_full_body
from popcon.animation.mascot import draw_mascot_rig
from popcon.domain.actions import load_presets, resolve_actions
from popcon.domain.models import JobOptions
from popcon.domain.rig import whole_body_rig
from popcon.domain.status import JobStatus
from popcon.pipeline.stages import _parts_rig
from popcon.providers.base import ClipRequest
from popcon.providers.offline.provider import _pose_rig
from popcon.queue.embedded import EmbeddedRunner
from popcon.store.files import JobFiles

from ..helpers.drawings import iou, paper, stick_figure


def _job_with_rig(tmp_path: Path) -> tuple[JobFiles, Image.Image]:
    drawn = draw_mascot_rig("a brown bear", 192)
    files = JobFiles(tmp_path, "0123456789ab")
    files.root.mkdir(parents=True)
    drawn.image.save(files.character)
    files.rig.write_text(drawn.rig.to_json())
    files.rig_layers_dir.mkdir()
    for name, im in drawn.layers.items():
        im.save(files.rig_layers_dir / f"{name}.png")
    return files, drawn.image


def _request(files: JobFiles, character: Image.Image, pose: Image.Image) -> ClipRequest:
    found = _parts_rig(files)
    rig, layers = found if found is not None else (None, None)
    return ClipRequest(
        pose,
        load_presets()["wave"],
        None,
        files.root / "clip.mov",
        character=character,
        rig=rig,
        layers=layers,
    )


def test_clip_request_carries_the_rig_and_the_provider_follows_the_start_pose(tmp_path: Path) -> None:
    files, character = _job_with_rig(tmp_path)
    pose = frame_full_body(character, 192)  # the offline start pose: the character reframed
    found = _pose_rig(_request(files, character, pose))
    assert found is not None
    rig, layers = found
    assert layers is not None and "head" in layers and layers["head"].size == pose.size
    mascot = draw_mascot_rig("a brown bear", 192).rig
    assert rig.joints["neck"] != mascot.joints["neck"]  # moved with the reframing
    x, y = (round(v) for v in rig.joints["right_hand"])
    assert pose.getpixel((x, y))[3] == 255


def test_no_rig_for_a_redrawn_pose_or_a_whole_body_rig(tmp_path: Path) -> None:
    files, character = _job_with_rig(tmp_path)
    redrawn = frame_full_body(character.rotate(30), 192)
    assert _pose_rig(_request(files, character, redrawn)) is None
    files.rig.write_text(whole_body_rig(192, 192, "face only").to_json())
    assert _parts_rig(files) is None
    assert _pose_rig(_request(files, character, frame_full_body(character, 192))) is None


def _drawing_job(settings, store, rgb: np.ndarray):  # type: ignore[no-untyped-def]
    job = store.create_job(
        source="upload", actions=resolve_actions(["wave"]), platforms=["line-emoji"], auto_export=False
    )
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, "JPEG", quality=90)
    name = JobFiles(settings.data_dir, job.id).save_input("drawing.jpg", buf.getvalue()).name
    store.update_job(job.id, options=JobOptions(upload=name))
    return job


def test_a_drawing_upload_is_cut_with_its_inside_and_the_cut_is_recorded(settings, store) -> None:  # type: ignore[no-untyped-def]
    rgb, truth = stick_figure(gradient=0.3, gap=5)
    job = _drawing_job(settings, store, rgb)
    done = EmbeddedRunner(settings, store).run_job(job.id)
    assert done.status == JobStatus.AWAITING_REFINEMENT, done.error
    record = done.options.cutout
    assert record is not None and record.kind == "drawing" and record.warning is None
    assert record.confidence >= 0.75
    alpha = np.asarray(Image.open(JobFiles(settings.data_dir, job.id).character))[..., 3] > 127
    assert iou(alpha, truth) > 0.85


def test_a_cut_that_keeps_nothing_stops_the_job_and_says_what_to_do(settings, store) -> None:  # type: ignore[no-untyped-def]
    job = _drawing_job(settings, store, paper(300, 400, gradient=0.3))
    done = EmbeddedRunner(settings, store).run_job(job.id)
    assert done.status == JobStatus.FAILED
    assert done.error is not None and "keeps almost nothing" in done.error
    assert "--keep-bg" in done.error and "refine" in done.error
    assert not done.exports
