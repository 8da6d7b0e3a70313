from __future__ import annotations

from pathlib import Path

from PIL import Image

from popcon.domain.rig import whole_body_rig
from popcon.pipeline.stages import _pose_rig
from popcon.providers.offline.mascot import draw_mascot_rig
from popcon.providers.offline.pose import frame_full_body
from popcon.store.files import JobFiles


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


def test_clip_stage_passes_the_rig_in_the_start_pose_pixels(tmp_path: Path) -> None:
    files, character = _job_with_rig(tmp_path)
    pose = frame_full_body(character, 192)  # the offline start pose: the character reframed
    found = _pose_rig(files, pose)
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
    assert _pose_rig(files, redrawn) is None
    files.rig.write_text(whole_body_rig(192, 192, "face only").to_json())
    assert _pose_rig(files, frame_full_body(character, 192)) is None
