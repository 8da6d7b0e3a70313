"""Keyframes in the character's own body frame: a turned figure poses as the upright one, turned."""

from __future__ import annotations

import math

import numpy as np
import pytest

from popcon.animation.keyframes import rig_motion
from popcon.animation.part_geometry import map_point, rotate_about
from popcon.animation.part_layers import Prepared
from popcon.animation.part_posing import Timeline, body_frame, part_matrices

# A stick figure in a 400 px clip: head above the neck, arms hanging out a little, legs apart.
_FIGURE = {
    "hip": (200.0, 250.0),
    "root": (200.0, 250.0),
    "torso": (200.0, 200.0),
    "neck": (200.0, 150.0),
    "head_top": (200.0, 90.0),
    "right_shoulder": (180.0, 160.0),
    "right_elbow": (165.0, 200.0),
    "right_hand": (160.0, 240.0),
    "left_shoulder": (220.0, 160.0),
    "left_elbow": (235.0, 200.0),
    "left_hand": (240.0, 240.0),
    "right_hip": (188.0, 255.0),
    "right_knee": (182.0, 300.0),
    "right_foot": (178.0, 345.0),
    "left_hip": (212.0, 255.0),
    "left_knee": (218.0, 300.0),
    "left_foot": (222.0, 345.0),
}
_CHILD = {"right_elbow": "right_upper_arm", "right_hand": "right_forearm", "left_elbow": "left_upper_arm"}
_CHILD |= {"left_hand": "left_forearm", "right_knee": "right_thigh", "right_foot": "right_shin"}
_CHILD |= {"left_knee": "left_thigh", "left_foot": "left_shin", "head_top": "head", "neck": "torso"}


def _figure(turn: float, plan: str = "upright", joints: dict | None = None) -> Prepared:
    """The figure turned by `turn` degrees (counter-clockwise as seen) about the clip's centre."""
    r = rotate_about((200.0, 200.0), turn)
    j = {k: map_point(r, v) for k, v in (joints or _FIGURE).items()}
    head = ((j["neck"][0] + j["head_top"][0]) / 2, (j["neck"][1] + j["head_top"][1]) / 2)
    return Prepared(
        size=400,
        joints=j,
        layers={},
        caps={},
        has_arms=True,
        has_legs=True,
        head=head,
        head_r=30.0,
        height=260.0,
        feet=(200.0, 350.0),
        plan=plan,
    )


def _posed_in_body(p: Prepared, turn: float, action: str, t: float) -> np.ndarray:
    """Posed joints relative to the posed hip, turned back by `turn`: the pose in body coordinates."""
    tl = Timeline.build(p, rig_motion(action))
    m = part_matrices(tl, t)
    hip = map_point(m["torso"], p.joints["hip"])
    back = rotate_about((0.0, 0.0), -turn)
    pts = [
        map_point(back, tuple(np.subtract(map_point(m[part], p.joints[j]), hip)))
        for j, part in _CHILD.items()
    ]
    return np.array(pts)


@pytest.mark.parametrize("turn", [180.0, 90.0, -90.0])
def test_a_turned_figure_waves_as_the_upright_one_turned(turn: float) -> None:
    """Limb angles are read in the body's frame: upside down or lying, the figure's wave is the
    upright wave turned with it (its raised arm points away from its body, not at its feet)."""
    upright, turned = _figure(0.0), _figure(turn)
    assert body_frame(upright) == 0.0
    assert math.isclose(abs(_wrap_deg(body_frame(turned) - turn)), 0.0, abs_tol=1e-6)
    for t in (0.0, 0.2, 0.45, 0.7):
        a = _posed_in_body(upright, 0.0, "wave", t)
        b = _posed_in_body(turned, turn, "wave", t)
        assert np.abs(a - b).max() < 0.5, (turn, t, np.abs(a - b).max())
    # The waving hand is above the shoulder in body terms: away from the feet.
    tl = Timeline.build(turned, rig_motion("wave"))
    hand = map_point(part_matrices(tl, 0.3)["right_forearm"], turned.joints["right_hand"])
    up = np.subtract(turned.joints["neck"], turned.joints["hip"])
    rel = np.subtract(hand, turned.joints["right_shoulder"])
    assert float(np.dot(rel, up)) > 0


def _wrap_deg(d: float) -> float:
    return (d + 180.0) % 360.0 - 180.0


def test_a_slight_lean_keeps_the_pictures_axes() -> None:
    """A figure leaning 20 degrees (a runner's stride) is posed in the picture's axes, as before."""
    assert body_frame(_figure(20.0)) == 0.0
    assert body_frame(_figure(-25.0)) == 0.0
    assert 0.0 < body_frame(_figure(45.0)) < 45.0  # turned in smoothly between


def test_a_four_legged_back_gives_its_up_not_its_raised_neck() -> None:
    """For four legs up is the back's normal away from the feet: a dog with its head held high is
    upright, and the same dog on its back is upside down."""
    dog = {
        "hip": (300.0, 200.0),
        "root": (300.0, 200.0),
        "torso": (200.0, 200.0),
        "neck": (110.0, 110.0),
        "head_top": (100.0, 60.0),
        "right_shoulder": (120.0, 205.0),
        "right_elbow": (120.0, 250.0),
        "right_hand": (122.0, 300.0),
        "left_shoulder": (110.0, 205.0),
        "left_elbow": (105.0, 250.0),
        "left_hand": (100.0, 300.0),
        "right_hip": (290.0, 205.0),
        "right_knee": (295.0, 250.0),
        "right_foot": (290.0, 300.0),
        "left_hip": (300.0, 205.0),
        "left_knee": (310.0, 250.0),
        "left_foot": (305.0, 300.0),
    }
    assert body_frame(_figure(0.0, "four_legs", dog)) == 0.0
    assert abs(_wrap_deg(body_frame(_figure(180.0, "four_legs", dog)) - 180.0)) < 3.0  # its back slopes


def _hand_sweep(p: Prepared) -> float:
    """How far the waving hand travels over the loop, as a share of the whole arm's length."""
    tl = Timeline.build(p, rig_motion("wave"))
    j = p.joints
    hands = np.array(
        [map_point(part_matrices(tl, i / 48)["right_forearm"], j["right_hand"]) for i in range(48)]
    )
    arm = math.dist(j["right_shoulder"], j["right_elbow"]) + math.dist(j["right_elbow"], j["right_hand"])
    return float(math.hypot(*np.ptp(hands, axis=0)) / arm)


def test_a_short_forearm_waves_from_the_shoulder_too() -> None:
    """A stubby forearm (a drawing's elbow placed near the hand) sweeps its hand over as much of its
    arm as an arm of two equal halves: the shoulder's wiggle takes up what the short forearm lacks."""
    stubby = dict(_FIGURE, right_elbow=(163.0, 222.0))  # the forearm a third of the upper arm's length
    even, short = _hand_sweep(_figure(0.0)), _hand_sweep(_figure(0.0, joints=stubby))
    assert short > 0.9 * even, (short, even)
