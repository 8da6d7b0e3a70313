from __future__ import annotations

import pytest

from popcon.domain.actions import load_presets
from popcon.domain.captions import (
    CaptionOptions,
    caption_data,
    caption_entries,
    caption_for,
    check_submission,
    default_caption,
    submission_problems,
)
from popcon.domain.errors import InvalidInput
from popcon.domain.models import JobOptions

REQUIRED = ("en", "ja", "ko", "zh-Hant", "th")


def test_every_preset_action_has_a_caption_in_every_required_language() -> None:
    data = caption_data()
    for lang in REQUIRED:
        assert lang in data.languages
    for action in load_presets():
        for lang in REQUIRED:
            text = default_caption(action, lang)
            assert text, f"{action} has no {lang} caption"
            assert len(text) <= data.style.max_chars
    assert not set(data.captions) - set(load_presets()), "captions for actions that do not exist"


def test_emoji_presets_stay_bare_unless_asked() -> None:
    opts = CaptionOptions(lang="ko")
    assert caption_for(opts, "bow", "emoji") is None
    sticker = caption_for(opts, "bow", "sticker")
    assert sticker is not None and sticker.text == "고마워!" and sticker.lang == "ko"
    forced = caption_for(opts.model_copy(update={"on_emoji": True}), "bow", "emoji")
    assert forced is not None
    assert caption_for(CaptionOptions(enabled=False), "bow", "sticker") is None


def test_user_text_wins_and_an_empty_one_means_none() -> None:
    opts = CaptionOptions(lang="ja", text=caption_entries(['wave="やあ!"', "bow="]))
    wave = caption_for(opts, "wave", "sticker")
    assert wave is not None and wave.text == "やあ!"
    assert caption_for(opts, "bow", "sticker") is None
    assert caption_for(opts, "my-custom", "sticker") is None  # a custom action has no default


def test_bad_caption_choices_are_refused_with_the_reason() -> None:
    with pytest.raises(ValueError, match="not one of"):
        CaptionOptions(lang="xx")
    with pytest.raises(ValueError, match="at most"):
        CaptionOptions(text={"wave": "x" * 200})
    with pytest.raises(InvalidInput, match="ACTION=text"):
        caption_entries(["wave"])
    assert JobOptions.from_json({}).captions is None  # jobs made before captions stay bare


def test_options_survive_a_round_trip_through_the_job_record() -> None:
    opts = CaptionOptions(lang="th", text={"ok": "โอเค!"}, motion="bounce")
    assert JobOptions.from_json(JobOptions(captions=opts).to_json()).captions == opts


def test_store_text_limits_per_platform() -> None:
    texts = check_submission({"ja": {"title": "ねこの毎日" * 3, "description": "毎日使える"}})
    assert submission_problems("line", texts) == []
    assert submission_problems("kakao", texts) == []  # 15 characters fit Kakao's 20 too
    long_title = check_submission({"en": {"title": "x" * 30, "description": "d"}})
    assert any("kakao allows 20" in p for p in submission_problems("kakao", long_title))
    assert submission_problems("telegram", long_title) == []  # a store that asks for no text
    assert any(
        "description is missing" in p
        for p in submission_problems("line", check_submission({"en": {"title": "t"}}))
    )
    with pytest.raises(InvalidInput, match="too long"):
        check_submission({"en": {"title": "x" * 41, "description": "d"}})
    with pytest.raises(InvalidInput, match="not one of"):
        check_submission({"xx": {"title": "t", "description": "d"}})
