"""Held objects (a club, a wand) on figures drawn here: they are no arms, and they say where a hand is."""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw

from popcon.animation.autorig import auto_rig
from popcon.animation.autorig.held import dense

FILL = (90, 160, 220, 255)


def _figure(left_arm: bool = True) -> tuple[Image.Image, ImageDraw.ImageDraw]:
    """Head, neck, body and two legs; the left arm (image right) raised when asked."""
    im = Image.new("RGBA", (400, 500), (0, 0, 0, 0))
    d = ImageDraw.Draw(im)
    d.ellipse((150, 20, 250, 120), fill=FILL)  # head
    d.rectangle((190, 110, 210, 140), fill=FILL)  # neck
    d.ellipse((140, 130, 260, 320), fill=FILL)  # body
    d.line((175, 300, 150, 480), fill=FILL, width=22)  # right leg
    d.line((225, 300, 250, 480), fill=FILL, width=22)  # left leg
    if left_arm:
        d.line((235, 170, 330, 120), fill=FILL, width=18)  # left arm, out and up
    return im, d


def test_a_club_passing_behind_the_body_is_no_arm_and_both_hands_hold_it() -> None:
    im, d = _figure(left_arm=False)
    d.line((245, 165, 300, 50), fill=FILL, width=18)  # left arm raised to the grip
    d.line((320, 15, 40, 250), fill=FILL, width=6)  # the club: out past the grip, behind the body
    rig = auto_rig(im)
    assert rig.has_arms, rig.note
    j = rig.joints
    for side in ("right", "left"):  # both hands up at the grip, not at the club's head
        x, y = j[f"{side}_hand"]
        assert np.hypot(x - 300, y - 50) < 60, (side, j[f"{side}_hand"])
    # The shoulders stay on the torso, on their own sides (a raised arm's root is not its shoulder).
    assert j["right_shoulder"][0] < 200 < j["left_shoulder"][0]
    assert 120 < j["right_shoulder"][1] < 220 and 120 < j["left_shoulder"][1] < 220


def test_a_wand_out_of_the_body_marks_the_hidden_hand() -> None:
    im, d = _figure()
    d.line((160, 190, 60, 40), fill=FILL, width=6)  # a wand held against the body's right side
    rig = auto_rig(im)
    assert rig.has_arms, rig.note
    j = rig.joints
    # The right hand is where the wand leaves the body, not at its tip.
    x, y = j["right_hand"]
    assert np.hypot(x - 150, y - 175) < 45, j["right_hand"]
    assert j["left_hand"][0] > 300


def test_straight_arms_thinner_than_the_legs_but_not_by_half_stay_arms() -> None:
    """Thin is measured against the legs: straight, even arms a little thinner than the legs are arms."""
    im, d = _figure(left_arm=False)
    d.line((160, 180, 40, 120), fill=FILL, width=14)  # right arm, straight and even
    d.line((240, 180, 360, 240), fill=FILL, width=14)  # left arm
    rig = auto_rig(im)
    assert rig.has_arms and rig.has_legs, rig.note
    assert rig.joints["right_hand"][0] < 90 and rig.joints["left_hand"][0] > 310


def test_dense_fills_the_jumps_of_a_walk() -> None:
    walk = np.array([[0.0, 0.0], [1.0, 1.0], [6.0, 1.0], [6.0, 4.0]])
    out = dense(walk)
    assert np.abs(np.diff(out, axis=0)).max() <= 1
    assert out[0].tolist() == [0, 0] and out[-1].tolist() == [6, 4] and len(out) == 10
