"""What the refine page shows of a frame: frames each platform plays, and the frame on neutral grey."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

from popcon.domain.models import Job
from popcon.media.images import read_png
from popcon.usecases.context import AppContext
from popcon.usecases.frames import NEUTRAL, export_frames, neutral_view, neutral_view_of, on_neutral


def _decode(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)))


def test_export_frames_follow_each_platforms_limits() -> None:
    # LINE plays 5..20 frames, Telegram at most 30 fps over its 3 s: 40 source frames of a 2 s loop.
    counts = export_frames(["line-emoji", "telegram-emoji", "no-such-platform"], 40, 2)
    assert counts == {"line-emoji": 20, "telegram-emoji": 40}
    assert export_frames(["line-emoji"], 3, 2) == {"line-emoji": 5}  # below the minimum: the minimum
    assert export_frames([], 40, 2) == {}


def test_on_neutral_blends_by_alpha_and_leaves_rgb_alone() -> None:
    rgba = np.zeros((2, 2, 4), np.uint8)
    rgba[0, 0] = (200, 10, 10, 255)
    rgba[0, 1] = (200, 10, 10, 0)
    rgba[1, 0] = (0, 0, 0, 128)
    out = on_neutral(rgba)
    assert out.shape == (2, 2, 3)
    assert tuple(out[0, 0]) == (200, 10, 10) and tuple(out[0, 1]) == NEUTRAL
    assert all(abs(int(v) - round(n * 127 / 255)) <= 1 for v, n in zip(out[1, 0], NEUTRAL, strict=True))
    rgb = rgba[..., :3].copy()
    assert np.array_equal(on_neutral(rgb), rgb)


def test_neutral_view_turns_the_key_grey_and_keeps_the_character() -> None:
    key = (0, 177, 64)
    rgb = np.zeros((8, 8, 3), np.uint8)
    rgb[:] = key
    rgb[2:6, 2:6] = (180, 40, 40)
    view = _decode(neutral_view(rgb, key))
    assert tuple(view[0, 0]) == NEUTRAL and tuple(view[3, 3]) == (180, 40, 40)
    cut = np.zeros((8, 8, 4), np.uint8)
    cut[2:6, 2:6] = (90, 20, 20, 255)  # the cut-out's key-free colour wins where it shows the character
    assert tuple(_decode(neutral_view(rgb, key, cut))[3, 3]) == (90, 20, 20)


def test_a_jobs_alpha_frame_is_shown_over_grey(module_ctx: AppContext, refined: Job) -> None:
    k = module_ctx.refine.key(refined, 0, 0)
    original = module_ctx.refine.original_path(k)
    frame = read_png(original)
    assert frame.shape[2] == 4  # the offline animator's clip carries its own alpha
    view = _decode(neutral_view_of(original, module_ctx.refine.cutout_path(k), refined.key_color))
    assert view.shape == (*frame.shape[:2], 3)
    clear = frame[..., 3] == 0
    assert clear.any() and (view[clear] == NEUTRAL).all()
    solid = frame[..., 3] == 255
    assert np.array_equal(view[solid], frame[..., :3][solid])
