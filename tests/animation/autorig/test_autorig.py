"""Auto-rig on real drawings (limbs found where a person placed them) and on what it must refuse."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

from popcon.animation.autorig import auto_rig
from popcon.domain.rig import ARM_JOINTS, BODY_JOINTS, LEG_JOINTS, Rig

from ...conftest import BENCH, SAMPLES

RIG_DIR = BENCH / "rig"
FACE_SAMPLES = ["fox", "frog", "mage", "panda", "robot", "superhero"]


def _drawing(d: Path) -> tuple[Image.Image, dict[str, tuple[float, float]], float]:
    im = Image.open(d / "texture.png").convert("RGBA")
    mask = Image.open(d / "mask.png").convert("L").resize(im.size)
    im.putalpha(mask)
    text = (d / "char_cfg.yaml").read_text()
    truth: dict[str, tuple[float, float]] = {}
    for m in re.finditer(r"- loc:\s*\n\s*-\s*(-?\d+)\s*\n\s*-\s*(-?\d+)\s*\n\s*name:\s*(\S+)", text):
        name = re.sub(r"(shoulder|elbow|hand)1$|(hip|knee|foot)_b$", lambda g: g.group(1) or g.group(2), m[3])
        truth.setdefault(name, (float(m[1]), float(m[2])))
    rows = np.nonzero((np.asarray(mask) > 127).any(1))[0]
    return im, truth, float(rows[-1] - rows[0] + 1)


@pytest.mark.parametrize("name", ["char1", "char2", "char5"])
def test_finds_head_torso_two_arms_two_legs_on_drawings(name: str) -> None:
    if not (RIG_DIR / name).exists():
        pytest.skip("shared bench data not present")
    im, truth, height = _drawing(RIG_DIR / name)
    rig = auto_rig(im)
    assert rig.has_arms and rig.has_legs, rig.note
    assert set(BODY_JOINTS + ARM_JOINTS + LEG_JOINTS) <= set(rig.joints)
    scored = rig.scored_joints()
    close = [
        float(np.hypot(scored[k][0] - x, scored[k][1] - y)) <= 0.1 * height
        for k, (x, y) in truth.items()
        if k in scored
    ]
    assert len(close) == 16 and sum(close) / 16 >= 0.8
    # The character's right is the image's left; the head is above the hips, the feet below.
    j = rig.joints
    assert j["right_hand"][0] < j["left_hand"][0] and j["right_foot"][0] < j["left_foot"][0]
    assert (
        j["neck"][1] < j["torso"][1] < j["hip"][1] < min(j["right_foot"][1], j["left_foot"][1]) + 0.1 * height
    )


def test_mirrored_drawing_swaps_sides() -> None:
    if not (RIG_DIR / "char2").exists():
        pytest.skip("shared bench data not present")
    im, _, _ = _drawing(RIG_DIR / "char2")
    rig, flipped = auto_rig(im), auto_rig(im.transpose(Image.Transpose.FLIP_LEFT_RIGHT))
    w = im.width
    for side, other in (("right", "left"), ("left", "right")):
        x, y = rig.joints[f"{side}_hand"]
        fx, fy = flipped.joints[f"{other}_hand"]
        assert abs((w - 1 - fx) - x) < 0.05 * w and abs(fy - y) < 0.05 * im.height


@pytest.mark.parametrize("name", FACE_SAMPLES)
def test_face_only_samples_fall_back_and_say_why(name: str) -> None:
    path = SAMPLES / f"{name}.png"
    if not path.exists():
        pytest.skip("samples not present")
    rig = auto_rig(Image.open(path))
    assert not rig.animates_parts and rig.source == "auto"
    assert rig.note and rig.confidence == 0.0


def test_blob_and_empty_image_fall_back() -> None:
    blob = Image.new("RGBA", (300, 300), (0, 0, 0, 0))
    ImageDraw.Draw(blob).ellipse((40, 60, 260, 250), fill=(200, 80, 80, 255))
    assert not auto_rig(blob).animates_parts
    assert "no opaque" in (auto_rig(Image.new("RGBA", (50, 50))).note or "")


def test_stick_figure_drawn_here_gets_limbs_on_the_right_sides() -> None:
    """A figure this test draws (not bench data): the rig follows its own pixels."""
    im = Image.new("RGBA", (400, 500), (0, 0, 0, 0))
    d = ImageDraw.Draw(im)
    fill = (90, 160, 220, 255)
    d.ellipse((150, 20, 250, 120), fill=fill)  # head
    d.rectangle((190, 110, 210, 140), fill=fill)  # neck
    d.ellipse((140, 130, 260, 320), fill=fill)  # body
    d.line((160, 180, 40, 120), fill=fill, width=18)  # right arm, raised (image left)
    d.line((240, 180, 360, 240), fill=fill, width=18)  # left arm, lowered
    d.line((175, 300, 150, 480), fill=fill, width=22)  # right leg
    d.line((225, 300, 250, 480), fill=fill, width=22)  # left leg
    rig = auto_rig(im)
    assert rig.has_arms and rig.has_legs, rig.note
    j = rig.joints
    assert j["right_hand"][0] < 90 and j["right_hand"][1] < 160
    assert j["left_hand"][0] > 310 and j["left_hand"][1] > 200
    assert j["right_foot"][1] > 430 and j["left_foot"][1] > 430
    centre = _head_centre(rig)
    assert abs(centre[0] - 200) < 20 and 40 < centre[1] < 100
    assert abs(j["neck"][0] - 200) < 20 and 100 < j["neck"][1] < 145  # the pivot: the head's base


@pytest.mark.parametrize("prompt", ["a cat", "a blue bunny", "a robot with a tail"])
def test_outlined_mascot_gets_arms_and_legs_from_its_parts(prompt: str) -> None:
    """The mascot's arms lie against its body: only the regions between its outlines separate them."""
    from popcon.animation.mascot import draw_mascot

    im = draw_mascot(prompt, size=512)
    rig = auto_rig(im)
    assert rig.has_arms and rig.has_legs, rig.note
    alpha = np.asarray(im.convert("RGBA"))[..., 3] > 127
    ys = np.nonzero(alpha)[0]
    top, bottom = ys.min(), ys.max()
    j = rig.joints
    # Head centre in the upper half, its pivot below it; hands either side of the torso; feet at the bottom.
    centre = _head_centre(rig)
    assert top < centre[1] < (top + bottom) / 2 and centre[1] < j["neck"][1] < j["hip"][1]
    assert j["right_hand"][0] < j["torso"][0] < j["left_hand"][0]
    assert j["right_shoulder"][1] < j["right_hand"][1] and j["left_shoulder"][1] < j["left_hand"][1]
    for foot in ("right_foot", "left_foot"):
        assert j[foot][1] > bottom - 0.12 * (bottom - top)
    for name, (x, y) in j.items():
        assert alpha[min(int(y), alpha.shape[0] - 1), min(int(x), alpha.shape[1] - 1)], name


@pytest.mark.parametrize("prompt", ["a cat", "a robot with a tail", "a frog", "a fox"])
def test_auto_rig_of_a_mascot_image_finds_the_joints_it_was_drawn_with(prompt: str) -> None:
    """The mascot knows its joints; an upload of one must be rigged as well (PCK@0.1 = 1.0). Its feet are
    stubs with no visible leg: their hips sit inside the body above them, not at the soles."""
    from popcon.animation.mascot import draw_mascot_rig
    from popcon.domain.rig import SCORED_JOINTS

    drawn = draw_mascot_rig(prompt, size=512)
    rig = auto_rig(drawn.image)
    known = {k: v for k, v in drawn.rig.scored_joints().items() if k in SCORED_JOINTS}
    got = rig.scored_joints()
    ys = np.nonzero(np.asarray(drawn.image.getchannel("A")) > 127)[0]
    height = float(ys.max() - ys.min() + 1)
    far = {k: round(float(np.hypot(*np.subtract(known[k], got[k]))) / height, 3) for k in known if k in got}
    assert set(known) <= set(got)
    assert all(d <= 0.1 for d in far.values()), far
    for side in ("right", "left"):
        assert rig.joints[f"{side}_hip"][1] < rig.joints[f"{side}_knee"][1] < rig.joints[f"{side}_foot"][1]


def _head_centre(rig: Rig) -> tuple[float, float]:
    """Halfway from the head's pivot at its base to the top of the head."""
    (nx, ny), (tx, ty) = rig.joints["neck"], rig.joints["head_top"]
    return ((nx + tx) / 2, (ny + ty) / 2)
