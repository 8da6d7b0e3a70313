from __future__ import annotations

import pytest

from popcon.animation.motion import (
    FALLBACK,
    MOTIONS,
    REST,
    Pose,
    ease_in_out,
    ease_out_back,
    keyframes,
    motion_pose,
)
from popcon.domain.actions import _KEYWORD_MOTIONS, load_presets


def _distance(p: Pose) -> float:
    return (
        abs(p.dx) + abs(p.dy) + abs(p.angle) / 30 + abs(p.sx - 1) + abs(p.sy - 1) + abs(p.shear)
        + abs(p.bend) + abs(p.head_dx) + abs(p.head_dy) + abs(p.facing - p.sx)
    )  # fmt: skip


@pytest.mark.parametrize("name", sorted(MOTIONS))
def test_every_motion_loops_and_moves(name):
    assert motion_pose(name, 0.0).is_rest()
    assert motion_pose(name, 1.0).is_rest()
    samples = [motion_pose(name, i / 96) for i in range(1, 96)]
    assert max(_distance(p) for p in samples) > 0.04, "the motion barely moves"
    # Continuous at the loop seam: the frames next to t=0 and t=1 are close to rest.
    assert _distance(MOTIONS[name](1e-4)) < 0.01
    assert _distance(MOTIONS[name](1 - 1e-4)) < 0.01


@pytest.mark.parametrize("name", sorted(MOTIONS))
def test_no_jumps_between_frames(name):
    prev = motion_pose(name, 0.0)
    for i in range(1, 97):
        cur = motion_pose(name, i / 96)
        # spin flips sx through zero over a few frames; everything else must stay smooth
        limit = 0.6 if name == "spin" else 0.2
        assert _distance(cur.lerp(prev, 1.0)) >= 0  # lerp works on every field
        assert abs(_distance(cur) - _distance(prev)) < limit
        prev = cur


def test_intensity_scales_the_motion():
    weak = max(_distance(motion_pose("jump", i / 48, 0.5)) for i in range(48))
    strong = max(_distance(motion_pose("jump", i / 48, 1.5)) for i in range(48))
    assert strong > 2.5 * weak


def test_unknown_motion_falls_back_to_bounce():
    assert motion_pose("moonwalk", 0.3) == motion_pose(FALLBACK, 0.3)
    assert FALLBACK == "bounce"


def test_jump_has_anticipation_and_squash():
    crouch = motion_pose("jump", 0.2)
    apex = max((motion_pose("jump", i / 100) for i in range(100)), key=lambda p: p.dy)
    assert crouch.sy < 0.9 and crouch.dy == 0  # squash before take-off
    assert apex.dy > 0.1


def test_spin_turns_around_at_any_intensity():
    for intensity in (0.5, 1.0, 3.0):
        facing = [motion_pose("spin", i / 100, intensity).facing for i in range(100)]
        assert min(facing) < -0.8 and max(abs(f) for f in facing) < 1.6


def test_easing_ends_and_overshoot():
    assert ease_in_out(0) == 0 and ease_in_out(1) == 1
    assert max(ease_out_back(i / 50) for i in range(51)) > 1.05


def test_keyframes_interpolate():
    keys = [(0.0, REST, "linear"), (1.0, Pose(dx=1.0), "linear")]
    assert keyframes(0.25, keys).dx == pytest.approx(0.25)


def test_presets_and_custom_words_use_implemented_motions():
    for preset in load_presets().values():
        assert preset.recipe.motion in MOTIONS, preset.id
    for _, motion in _KEYWORD_MOTIONS:
        assert motion in MOTIONS
    assert len(load_presets()) >= 18
