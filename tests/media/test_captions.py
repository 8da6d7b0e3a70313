"""Caption layout: inside the safe area on every frame of every motion, off the head, at rest on frame 0."""

from __future__ import annotations

import numpy as np
import pytest

from popcon.domain.captions import Caption, caption_data
from popcon.domain.errors import InvalidInput
from popcon.domain.platforms import load_platforms
from popcon.media.canvas import fit_frames
from popcon.media.captions import caption_frame, caption_layers, fit_captioned, head_span, plan_caption
from tests.helpers.clips import disc_clip, sample_clip

PRESETS = [p for p in load_platforms().values() if p.implemented]


def _longest(lang: str) -> str:
    texts = [by_lang[lang] for by_lang in caption_data().captions.values() if lang in by_lang]
    return max(texts, key=len)


CAPTIONS = [
    Caption(_longest("en"), "en", "#39c46a", "pop"),
    Caption(_longest("ja"), "ja", "#ff6fa5", "bounce"),
    Caption(_longest("ko"), "ko", "#ffb400", "pop", head=(0.0, 0.45)),
    Caption(_longest("zh-Hant"), "zh-Hant", "#4da3ff", "none", head=(0.1, 0.5)),
    Caption(_longest("th"), "th", "#ff5a5a", "bounce", head=(0.0, 0.4)),
    Caption("Thank you so much friend", "en", "#ffffff", "pop"),  # 24 characters: wraps to two lines
]


def _outside(mask: np.ndarray, box: tuple[int, int, int, int]) -> int:
    x0, y0, x1, y1 = box
    inside = np.zeros_like(mask, bool)
    inside[y0:y1, x0:x1] = True
    return int((mask & ~inside).sum())


@pytest.mark.parametrize("preset", PRESETS, ids=lambda p: p.id)
def test_caption_never_crosses_the_safe_area_or_the_head(preset) -> None:
    clip = sample_clip("fox", n=8, size=256)
    for caption in CAPTIONS:
        if len(caption.text) > 12 and min(preset.canvas.width, preset.canvas.height) < 180:
            with pytest.raises(InvalidInput, match="does not fit"):  # too small to read: refused
                plan_caption(clip, preset.canvas, preset.margin_px, caption)
            continue
        layout = plan_caption(clip, preset.canvas, preset.margin_px, caption)
        w, h = layout.size
        assert w <= preset.canvas.width
        assert h <= preset.canvas.height
        assert max(w, h) >= preset.canvas.min_long_side
        sx0, sy0, sx1, sy1 = layout.safe
        short = min(w, h)
        assert min(sx0, sy0, w - sx1, h - sy1) >= max(preset.margin_px, 0.05 * short)
        for layer in caption_layers(layout, 20, caption.motion):
            visible = layer[:, :, 3] > 0
            assert visible.any()
            assert _outside(visible, layout.safe) == 0, f"{preset.id} {caption.text!r} leaves the safe area"
            rows = np.flatnonzero(visible.any(axis=1))
            if layout.side == "bottom":
                assert rows[0] >= layout.head[1], f"{preset.id} {caption.text!r} covers the head"
            else:
                assert rows[-1] < layout.head[0]
        cx0, cy0, cx1, cy1 = layout.character
        assert 0 <= cx0 < cx1 <= w and 0 <= cy0 < cy1 <= h


@pytest.mark.parametrize("motion", ["none", "pop", "bounce"])
def test_frame_zero_shows_the_caption_at_rest_and_the_loop_closes(motion: str) -> None:
    clip = disc_clip(6, size=200, travel=30)
    preset = load_platforms()["line-sticker"]
    layout = plan_caption(clip, preset.canvas, preset.margin_px, Caption("やった!", "ja", "#ffb400", motion))
    still, _ = caption_frame(layout, motion, 0.0)
    assert np.array_equal(still, layout.block.image)
    first, pos0 = caption_frame(layout, motion, 0.0)
    last, pos1 = caption_frame(layout, motion, 1.0)
    assert pos0 == pos1 and np.array_equal(first, last)
    if motion != "none":
        mid, pos_mid = caption_frame(layout, motion, 0.25)
        assert pos_mid != pos0 or mid.shape != still.shape


def test_without_a_rig_the_caption_sits_in_free_space_beside_the_character() -> None:
    clip = sample_clip("fox", n=6, size=256)
    preset = load_platforms()["discord-sticker"]
    caption = Caption("Hello!", "en", "#39c46a", "pop")
    layout = plan_caption(clip, preset.canvas, preset.margin_px, caption)
    out = fit_captioned(clip, preset.canvas, preset.margin_px, caption)
    assert len(out) == len(clip) and out[0].shape == (320, 320, 4)
    _, cy0, _, cy1 = layout.character
    _, by0, _, by1 = layout.band
    assert by0 >= cy1 or by1 <= cy0  # no overlap at all: the whole character is protected
    bare = fit_frames(clip, preset.canvas, preset.margin_px)
    assert (out[0][:, :, 3] > 0).sum() > (bare[0][:, :, 3] > 0).sum() * 0.5


def test_a_rig_head_lets_the_character_grow_under_the_caption() -> None:
    clip = sample_clip("fox", n=6, size=256)
    preset = load_platforms()["line-sticker"]
    free = plan_caption(clip, preset.canvas, preset.margin_px, Caption("Hi!", "en", "#ffffff", "pop"))
    rigged = plan_caption(
        clip, preset.canvas, preset.margin_px, Caption("Hi!", "en", "#ffffff", "pop", (0.0, 0.5))
    )
    height = lambda lay: lay.character[3] - lay.character[1]  # noqa: E731
    assert height(rigged) > height(free)


def test_head_span_widens_with_the_clip_travel() -> None:
    still = disc_clip(4, size=200, travel=0)
    moving = disc_clip(8, size=200, travel=60)
    assert head_span(still, None) == (0.0, 1.0)
    a = head_span(still, (0.0, 0.4))
    b = head_span(moving, (0.0, 0.4))
    assert a[1] == pytest.approx(0.4, abs=0.05)
    assert b[1] > a[1]


def test_a_caption_that_cannot_fit_is_refused_with_the_reason() -> None:
    clip = disc_clip(4, size=200, travel=0)
    preset = load_platforms()["telegram-emoji"]  # 100 x 100
    with pytest.raises(InvalidInput, match="does not fit"):
        plan_caption(clip, preset.canvas, 0, Caption("ありがとうございました本当に", "ja", "#ffffff", "pop"))
