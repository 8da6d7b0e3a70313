from __future__ import annotations

import pytest

from popcon.domain.errors import InvalidInput
from popcon.domain.platforms import PlatformPreset, get_platform, load_platforms


def test_all_presets_load_and_line_emoji_is_complete() -> None:
    presets = load_platforms()
    assert {"line-emoji", "line-sticker", "telegram-emoji", "discord-emoji", "slack-emoji"} <= set(presets)
    p = presets["line-emoji"]
    assert p.implemented and p.format == "apng"
    assert (p.canvas.width, p.canvas.height, p.canvas.mode) == (180, 180, "exact")
    assert (p.frames.min, p.frames.max) == (5, 20)
    assert p.timing.loop_seconds == [1, 2, 3, 4]
    assert (p.timing.loops_min, p.timing.loops_max, p.timing.max_total_seconds) == (1, 4, 4)
    assert p.max_bytes == 300_000
    assert (p.set.min, p.set.max) == (8, 40)
    assert "gray" not in p.colour_types and "indexed" in p.colour_types
    assert [(e.name, e.width, e.height) for e in p.extra_images] == [("tab.png", 96, 74)]
    assert p.zip_max_bytes == 20_000_000
    assert not p.allow_scale


def test_presets_are_implemented_and_gif_edges_have_a_colour() -> None:
    assert get_platform("telegram-emoji").implemented
    assert get_platform("line-sticker").set.sizes == [8, 16, 24]
    assert get_platform("discord-emoji").edge_colour() == (0x31, 0x33, 0x38)
    assert get_platform("kakao-emoticon").alpha == "none"
    raw = get_platform("slack-emoji").model_dump(by_alias=True)
    raw["matte"] = "blue-ish"
    with pytest.raises(ValueError, match="colour"):
        PlatformPreset.model_validate(raw)


def test_unknown_preset_lists_known_ids() -> None:
    with pytest.raises(InvalidInput, match="line-emoji"):
        get_platform("line-emojis")


def test_file_names_and_loops() -> None:
    p = get_platform("line-emoji")
    assert p.file_name_for(1) == "001.png" and p.file_name_for(40) == "040.png"
    assert [p.loops_for(s) for s in (1, 2, 3, 4)] == [4, 2, 1, 1]
    assert get_platform("line-sticker").file_name_for(3) == "03.png"


def test_inconsistent_preset_is_rejected() -> None:
    raw = get_platform("line-emoji").model_dump(by_alias=True)
    raw["frames"] = {"min": 21, "max": 20}
    with pytest.raises(ValueError, match="frames"):
        PlatformPreset.model_validate(raw)
