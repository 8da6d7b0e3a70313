from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from popcon.animation.animator import render_clip, render_frames
from popcon.animation.effects import KNOWN_EFFECTS, effect_colors
from popcon.animation.mascot import draw_mascot
from popcon.animation.motion import MOTIONS
from popcon.domain.actions import MotionRecipe, load_presets
from popcon.media.video import decode_frames

SAMPLES = Path(__file__).resolve().parents[3].parent / "shared" / "samples"
KEY = (0, 255, 0)


@pytest.fixture(scope="module")
def mascot() -> Image.Image:
    return draw_mascot("a chubby orange fox in a teal hoodie", 384)


def _diff(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.abs(a.astype(int) - b.astype(int)).mean())


def _not_key(frame: np.ndarray, key=KEY, tol: int = 30) -> np.ndarray:
    return np.abs(frame.astype(int) - key).max(axis=2) > tol


@pytest.mark.parametrize("motion", sorted(MOTIONS))
def test_frames_loop_and_move(mascot, motion):
    frames = render_frames(mascot, MotionRecipe(motion=motion, seconds=1), background=KEY, size=160, fps=12)
    assert len(frames) == 13
    assert all(f.shape == (160, 160, 3) and f.dtype == np.uint8 for f in frames)
    assert np.array_equal(frames[0], frames[-1])
    assert max(_diff(f, frames[0]) for f in frames[1:-1]) > 0.5


def test_first_frame_is_the_plain_start_pose(mascot):
    still = render_frames(mascot, MotionRecipe(motion="bounce", seconds=1), background=KEY, size=200, fps=8)[
        0
    ]
    busy = render_frames(
        mascot,
        MotionRecipe(motion="cry", effects=["tears", "hearts"], seconds=2),
        background=KEY,
        size=200,
        fps=8,
    )[0]
    assert np.array_equal(still, busy)
    # The character is ~75 % of the height, centred, feet above the bottom edge, on a flat key.
    ys, xs = np.nonzero(_not_key(still))
    height = ys.max() - ys.min() + 1
    assert 0.7 * 200 <= height <= 0.8 * 200
    assert abs((xs.min() + xs.max()) / 2 - 100) < 12
    assert ys.max() < 195
    corners = np.concatenate([still[:10, :10].reshape(-1, 3), still[-5:, -10:].reshape(-1, 3)])
    assert (corners == KEY).all()


@pytest.mark.parametrize("effect", sorted(KNOWN_EFFECTS - {"lines", "burst"}))
def test_effects_appear_mid_clip_and_vanish_at_the_ends(mascot, effect):
    plain = render_frames(mascot, MotionRecipe(motion="nod", seconds=2), background=KEY, size=200, fps=8)
    fx = render_frames(
        mascot, MotionRecipe(motion="nod", effects=[effect], seconds=2), background=KEY, size=200, fps=8
    )
    assert np.array_equal(plain[0], fx[0]) and np.array_equal(plain[-1], fx[-1])
    extra = max(int((_not_key(b) & ~_not_key(a)).sum()) for a, b in zip(plain, fx, strict=True))
    assert extra > 30, f"{effect} drew nothing outside the character"


def test_burst_and_lines_follow_the_motion(mascot):
    for recipe in (
        MotionRecipe(motion="clap", effects=["burst"]),
        MotionRecipe(motion="jump", effects=["lines"]),
    ):
        plain = render_frames(mascot, MotionRecipe(motion=recipe.motion), background=KEY, size=200, fps=12)
        fx = render_frames(mascot, recipe, background=KEY, size=200, fps=12)
        assert max(_diff(a, b) for a, b in zip(plain, fx, strict=True)) > 0.3, recipe.effects


def test_unknown_effects_and_motions_do_not_fail(mascot):
    frames = render_frames(
        mascot,
        MotionRecipe(motion="moonwalk", effects=["confetti"], seconds=1),
        background=KEY,
        size=96,
        fps=8,
    )
    assert len(frames) == 9


def test_clip_decodes_with_the_key_background(tmp_path, mascot):
    key = (255, 0, 255)
    recipe = MotionRecipe(motion="jump", effects=["sparkles"], seconds=2)
    path = render_clip(mascot, recipe, tmp_path / "jump.mp4", background=key, size=256, fps=24)
    frames, fps = decode_frames(path)
    assert fps == 24 and len(frames) == 2 * 24 + 1
    assert frames[0].shape == (256, 256, 3)
    assert _diff(frames[0], frames[-1]) < 2.0
    assert max(_diff(f, frames[0]) for f in frames[10:40]) > 3.0
    corner = frames[len(frames) // 2][:16, :16].reshape(-1, 3).astype(int)
    assert np.abs(corner - key).max() <= 6  # flat background within H.264 error


def test_a_flat_uploaded_face_and_a_wide_image_animate(tmp_path):
    wide = Image.new("RGBA", (600, 200), (0, 0, 0, 0))
    wide.paste((200, 40, 40, 255), (0, 0, 600, 200))
    frames = render_frames(wide, MotionRecipe(motion="shake", seconds=1), background=KEY, size=128, fps=8)
    assert len(frames) == 9 and max(_diff(f, frames[0]) for f in frames) > 0.5


@pytest.mark.skipif(not SAMPLES.is_dir(), reason="shared samples not present")
@pytest.mark.parametrize("name", ["fox", "robot", "superhero"])
def test_uploaded_samples_render_every_preset(name):
    char = Image.open(SAMPLES / f"{name}.png")
    for preset in load_presets().values():
        recipe = preset.recipe.model_copy(update={"seconds": 1})
        frames = render_frames(char, recipe, background=KEY, size=128, fps=8)
        assert np.array_equal(frames[0], frames[-1]), preset.id
        assert max(_diff(f, frames[0]) for f in frames) > 0.3, preset.id


def test_jump_stays_inside_the_frame(mascot):
    frames = render_frames(
        mascot, MotionRecipe(motion="jump", intensity=3.0), background=KEY, size=160, fps=12
    )
    for f in frames:
        assert not _not_key(f[:1]).any(), "the head left the top of the frame"


def test_effect_colours_feed_the_key_choice():
    assert effect_colors([]) == ()
    assert len(effect_colors(["hearts", "tears"])) == 3
