"""Rigs through the use cases: found on an image, read and replaced on a job, checked for a new job."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PIL import Image

from popcon.domain.errors import InvalidInput, NotFound
from popcon.domain.models import Job
from popcon.settings import Settings
from popcon.usecases.context import AppContext
from popcon.usecases.jobs import NewJob, actions_from_names, create_job
from popcon.usecases.rig import (
    check_new_job_rig,
    detect_rig,
    job_rig,
    replace_job_rig,
    sample_size,
    user_rig,
    write_joints,
    write_rig_file,
)
from tests.conftest import SAMPLES
from tests.usecases.conftest import sample_job


def test_detect_rig_finds_joints_on_an_upload_in_its_own_pixels(settings: Settings) -> None:
    found = detect_rig(settings, SAMPLES / "fox_on_white.jpg", working_side=256)
    rig = found.rig
    with Image.open(SAMPLES / "fox_on_white.jpg") as im:
        assert (rig.width, rig.height) == im.size  # scaled back from the working copy
    assert rig.source == "auto" and found.seconds >= 0
    for x, y in rig.joints.values():
        assert -0.05 * rig.width <= x <= 1.05 * rig.width and -0.05 * rig.height <= y <= 1.05 * rig.height
    with pytest.raises(InvalidInput):
        detect_rig(settings, b"not an image")


def test_a_jobs_rig_is_read_and_replaced_and_a_bad_one_changes_nothing(module_ctx: AppContext) -> None:
    job = sample_job(module_ctx)
    rig = job_rig(module_ctx, job.id)
    assert (rig.width, rig.height) == sample_size()
    moved = json.loads(rig.to_json())
    name, (x, y) = next(iter(moved["joints"].items()))
    moved["joints"][name] = [x + 3, y]
    new = replace_job_rig(module_ctx, job.id, json.dumps(moved))
    assert new.source == "user" and job_rig(module_ctx, job.id).joints[name] == pytest.approx((x + 3, y))
    for bad in ("{", json.dumps({**moved, "width": 10, "height": 900}), "[]"):
        with pytest.raises(InvalidInput):
            replace_job_rig(module_ctx, job.id, bad)
    assert job_rig(module_ctx, job.id) == new
    with pytest.raises(NotFound):
        job_rig(module_ctx, "0123456789ab")
    with pytest.raises(InvalidInput):
        job_rig(module_ctx, "../../etc")


def test_a_job_without_its_character_has_no_rig_yet(module_ctx: AppContext) -> None:
    req = NewJob(presets=actions_from_names(["wave"]), platforms=["line-emoji"], sample=True)
    job, _ = create_job(module_ctx, req, start=False)
    with pytest.raises(NotFound, match="no character yet"):
        job_rig(module_ctx, job.id)
    with pytest.raises(NotFound, match="no character yet"):
        replace_job_rig(module_ctx, job.id, "{}")
    module_ctx.runner.cancel(job.id)


def test_a_new_jobs_rig_goes_with_an_upload_or_the_sample(refined: Job, module_ctx: AppContext) -> None:
    text = job_rig(module_ctx, refined.id).to_json().encode()
    kept = check_new_job_rig(text, None, sample=True)
    assert json.loads(kept)["source"] == "user"
    w, h = sample_size()
    halved = check_new_job_rig(text, (w // 2, h // 2), sample=False)  # the same picture, resized
    assert json.loads(halved)["width"] == w // 2
    with pytest.raises(InvalidInput, match="prompt"):
        check_new_job_rig(text, None, sample=False)
    with pytest.raises(InvalidInput):
        check_new_job_rig(text, (w, w * 3), sample=False)  # another shape of picture: not this rig
    with pytest.raises(InvalidInput):
        user_rig(b'{"width": 0}', (w, h))


def test_rig_files_written_for_editing_read_back(
    refined: Job, module_ctx: AppContext, tmp_path: Path
) -> None:
    rig = job_rig(module_ctx, refined.id)
    path = write_rig_file(rig, tmp_path / "rig.json")
    assert user_rig(path.read_bytes(), (rig.width, rig.height)).joints == rig.joints
    joints = json.loads(write_joints(rig, tmp_path / "joints.json").read_text("utf-8"))
    assert rig.animates_parts  # the sample is drawn in parts: its joints are known
    assert joints.keys() == rig.scored_joints().keys() and joints
    for name, (x, y) in rig.scored_joints().items():
        assert joints[name] == [pytest.approx(x, abs=0.05), pytest.approx(y, abs=0.05)]
