"""Every default caption draws with real glyphs: no .notdef boxes in any language."""

from __future__ import annotations

import pytest
from PIL import ImageFont

from popcon.domain.captions import caption_data
from popcon.media.caption_text import _font, fit_text, font_of
from popcon.media.fontfile import font_charset
from popcon.media.fonts import MissingFont, font_runs


def _notdef_mask(font: ImageFont.FreeTypeFont, charset: frozenset[int]) -> bytes:
    """What the face draws for a character it lacks (its .notdef glyph)."""
    cp = next(c for c in range(0xE000, 0xF8FF) if c not in charset)
    return bytes(font.getmask(chr(cp)))


def _all_captions() -> list[tuple[str, str, str]]:
    data = caption_data()
    return [
        (action, lang, text) for action, by_lang in data.captions.items() for lang, text in by_lang.items()
    ]


@pytest.mark.parametrize("lang", ["en", "ja", "ko", "zh-Hant", "th"])
def test_every_default_caption_has_every_glyph_in_its_font(lang: str) -> None:
    style = caption_data().style
    checked = 0
    for action, caption_lang, text in _all_captions():
        if caption_lang != lang:
            continue
        runs = font_runs(text, lang)
        assert "".join(piece for _, piece in runs).replace(" ", "") == text.replace(" ", "")
        for ref, piece in runs:
            charset = font_charset(ref.path, ref.index)
            font = _font(ref.path, ref.index, 32)
            notdef = _notdef_mask(font, charset)
            for ch in piece:
                if ch.isspace():
                    continue
                assert ord(ch) in charset, f"{action}/{lang}: {ch!r} is not in {ref.family}'s cmap"
                mask = font.getmask(ch)
                assert mask.getbbox() is not None, f"{action}/{lang}: {ch!r} draws nothing"
                assert bytes(mask) != notdef, f"{action}/{lang}: {ch!r} draws {ref.family}'s .notdef box"
                checked += 1
        block = fit_text(text, lang, "#ffffff", style, 400, 200, 40)
        assert block is not None and block.image[:, :, 3].any()
    assert checked > 20


def test_each_language_uses_its_own_face() -> None:
    assert font_of("ありがとう", "ja")[0].family == "Noto Sans CJK JP"
    assert font_of("고마워", "ko")[0].family == "Noto Sans CJK KR"
    assert font_of("謝謝", "zh-Hant")[0].family == "Noto Sans CJK TC"
    thai = font_of("โอเค! OK", "th")
    assert [f.family for f in thai] == ["Noto Sans Thai", "Noto Sans"]  # Latin falls through


def test_thai_marks_stay_with_their_base() -> None:
    runs = font_runs("ไม่เอา!", "th")
    assert runs[0][1] == "ไม่เอา"  # the tone mark (a combining character) is not split off


def test_a_character_no_font_has_is_a_clear_error() -> None:
    with pytest.raises(MissingFont) as e:
        font_runs("hi \U0001f9ff\U000e0100", "en")
    assert "U+1F9FF" in str(e.value) and "change the caption" in str(e.value)


def test_cmap_reader_agrees_with_the_renderer_on_a_latin_font() -> None:
    ref = font_runs("A", "en")[0][0]
    charset = font_charset(ref.path, ref.index)
    font = _font(ref.path, ref.index, 24)
    notdef = _notdef_mask(font, charset)
    for cp in range(0x20, 0x250):
        if chr(cp).isprintable() and not chr(cp).isspace():
            drawn = bytes(font.getmask(chr(cp))) != notdef
            assert drawn == (cp in charset), f"U+{cp:04X}"
    thai = font_runs("ก", "th")[0][0]  # a face without Latin letters draws them as its .notdef box
    tfont = _font(thai.path, thai.index, 24)
    tset = font_charset(thai.path, thai.index)
    assert ord("A") not in tset and bytes(tfont.getmask("A")) == _notdef_mask(tfont, tset)


def test_fonts_are_found_without_fontconfig_and_missing_ones_name_the_package(tmp_path, monkeypatch) -> None:
    import popcon.media.fonts as fonts

    cjk = fonts.locate("Noto Sans CJK JP")
    assert cjk is not None
    monkeypatch.setenv("PATH", "")  # no fc-list: a machine without fontconfig's tools
    monkeypatch.setattr(fonts, "_FONT_DIRS", ())  # and none of the usual folders
    fonts.locate.cache_clear()
    try:
        with pytest.raises(MissingFont, match="fonts-noto-cjk"):
            font_runs("ありがとう", "ja")
        (tmp_path / cjk.path.name).symlink_to(cjk.path)  # fonts kept beside a project
        monkeypatch.setenv("POPCON_CAPTION_FONT_DIRS", str(tmp_path))
        fonts.locate.cache_clear()
        found = fonts.locate("Noto Sans CJK KR")
        assert found is not None and found.path.parent == tmp_path and found.index == 1
        assert font_runs("고마워", "ko")[0][0] == found
    finally:
        fonts.locate.cache_clear()
