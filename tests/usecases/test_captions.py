"""Captions and store text are checked when the job is created, before any slow or paid work."""

from __future__ import annotations

import pytest

from popcon.domain.captions import CaptionOptions
from popcon.domain.errors import InvalidInput
from popcon.media.fonts import MissingFont
from popcon.settings import Settings
from popcon.usecases.captions import (
    caption_choice,
    caption_languages,
    checked_choice,
    job_caption_options,
    store_text,
)
from popcon.usecases.context import open_context
from popcon.usecases.jobs import NewJob, Upload, actions_from_names, create_job
from tests.conftest import SAMPLES

WAVE_BOW = actions_from_names(["wave", "bow"])


def test_defaults_are_english_captions_and_no_store_text() -> None:
    options = job_caption_options(None, None, WAVE_BOW, ["line-sticker"])
    assert options.captions is not None and options.captions.enabled and options.captions.lang == "en"
    assert options.submission == {}


def test_cli_flags_become_one_choice() -> None:
    choice = caption_choice(['wave="やあ!"'], "ja", True, "bounce")
    assert choice == CaptionOptions(lang="ja", text={"wave": "やあ!"}, motion="bounce")
    with pytest.raises(InvalidInput, match="caption"):
        caption_choice([], "ja", True, "spin")
    with pytest.raises(InvalidInput, match="not one of"):
        caption_choice([], "fr", True, "pop")
    assert store_text(["ja=ねこ"], ["ja=毎日"]) == {"ja": {"title": "ねこ", "description": "毎日"}}
    assert store_text([], []) is None
    with pytest.raises(InvalidInput, match="LANG=text"):
        store_text(["ねこ"], [])
    assert set(caption_languages()) >= {"en", "ja", "ko", "zh-Hant", "th"}


def test_a_bad_choice_names_its_field() -> None:
    """The web form and the results page's edit send JSON: the error says which field is wrong."""
    assert checked_choice({"lang": "ja"}).lang == "ja"
    for raw, words in (
        ({"langs": "ja"}, "captions: langs: not a field"),
        ({"lang": "fr"}, "captions: lang: caption language 'fr' is not one of"),
        ({"motion": "spin"}, "captions: motion: "),
        ({"text": {"wave": "x" * 300}}, "captions: text: the caption of wave is 300 characters"),
        (["ja"], "captions must be a JSON object"),
    ):
        with pytest.raises(InvalidInput) as e:
            checked_choice(raw)
        assert str(e.value).startswith(words), e.value


def test_bad_captions_are_refused_up_front_with_the_reason() -> None:
    with pytest.raises(InvalidInput, match="not one of the chosen actions"):
        job_caption_options(CaptionOptions(text={"jump": "Boing"}), None, WAVE_BOW, ["line-sticker"])
    with pytest.raises(MissingFont, match=r"U\+1F9FF"):
        job_caption_options(CaptionOptions(text={"wave": "hi \U0001f9ff"}), None, WAVE_BOW, ["line-sticker"])
    long = CaptionOptions(text={"wave": "Hello there my good friend"[:24]}, on_emoji=True)
    with pytest.raises(InvalidInput, match="does not fit a 100x100"):
        job_caption_options(long, None, WAVE_BOW, ["telegram-emoji"])
    job_caption_options(long, None, WAVE_BOW, ["line-sticker"])  # the same text fits a sticker
    # an emoji preset alone draws no caption, so no font or room is needed
    job_caption_options(CaptionOptions(text={"wave": "hi \U0001f9ff"}), None, WAVE_BOW, ["line-emoji"])


def test_store_text_is_checked_against_the_chosen_stores() -> None:
    text = {"en": {"title": "Fox days with friends", "description": "A fox for every day."}}
    assert job_caption_options(None, text, WAVE_BOW, ["line-sticker"]).submission["en"].title
    with pytest.raises(InvalidInput, match="kakao allows 20"):
        job_caption_options(None, text, WAVE_BOW, ["kakao-emoticon"])
    with pytest.raises(InvalidInput, match="description is missing"):
        job_caption_options(None, {"en": {"title": "Fox"}}, WAVE_BOW, ["line-sticker"])


def test_the_choice_is_stored_with_the_job(settings: Settings) -> None:
    ctx = open_context(settings)
    try:
        request = NewJob(
            presets=WAVE_BOW,
            platforms=["line-sticker"],
            image=Upload("fox.png", data=(SAMPLES / "fox.png").read_bytes()),
            captions=CaptionOptions(lang="ko", enabled=False),
        )
        job, _ = create_job(ctx, request, start=False)
        stored = ctx.get_job(job.id).options.captions
        assert stored is not None and stored.lang == "ko" and stored.enabled is False
        with pytest.raises(InvalidInput, match="not one of the chosen actions"):
            create_job(
                ctx,
                NewJob(**{**request.__dict__, "captions": CaptionOptions(text={"cry": "x"})}),
                start=False,
            )
        assert len(ctx.list_jobs()) == 1  # the refused request left no job behind
    finally:
        ctx.close()
