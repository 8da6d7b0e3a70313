from __future__ import annotations

from pathlib import Path

from PIL import Image

from popcon.domain.actions import load_presets
from popcon.domain.rig import whole_body_rig
from popcon.pipeline.stages import _parts_rig
from popcon.providers.base import ClipRequest
from popcon.providers.offline.mascot import draw_mascot_rig
from popcon.providers.offline.pose import frame_full_body
from popcon.providers.offline.provider import _pose_rig
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
