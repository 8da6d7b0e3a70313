"""Captions on the art ("ありがとう!", "OK!") and the submission text a store asks for, as data.

The words, colours, font families and limits live in `popcon/data/captions.toml`; this module types
them, resolves what one action shows on one platform, and checks what a user typed. A job keeps its
choice in `job.options.captions` (and its store text in `.submission`), so resume and
re-export draw the same caption. Jobs made before captions existed have no entry and stay bare.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from popcon.domain.errors import InvalidInput

Motion = Literal["none", "pop", "bounce"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CaptionStyle(_Strict):
    size_fraction: float = Field(gt=0, le=0.5)
    min_size_px: int = Field(ge=6)
    max_lines: int = Field(ge=1, le=3)
    safe_fraction: float = Field(ge=0, lt=0.25)
    gap_fraction: float = Field(ge=0, lt=0.25)
    fill: str
    outline: str
    rim: str
    outline_fraction: float = Field(ge=0, le=0.4)
    rim_fraction: float = Field(ge=0, le=0.4)
    motion: Motion = "pop"
    amplitude: float = Field(ge=0, le=0.3)
    max_chars: int = Field(ge=1, le=200)


class Language(_Strict):
    name: str
    fonts: list[str] = Field(min_length=1)


class FontFace(_Strict):
    family: str
    files: list[str] = Field(min_length=1)
    index: int = Field(default=0, ge=0)
    licence: str
    package: str


class SubmissionLimits(_Strict):
    title_max: int = Field(gt=0)
    description_max: int = Field(gt=0)


@dataclass(frozen=True)
class CaptionData:
    style: CaptionStyle
    languages: dict[str, Language]
    fonts: dict[str, FontFace]
    submission: dict[str, SubmissionLimits]  # platform (line, kakao) -> limits
    captions: dict[str, dict[str, str]]  # action id -> lang -> text
    colours: dict[str, str]  # action id -> fill colour


@cache
def caption_data() -> CaptionData:
    raw = tomllib.loads(resources.files("popcon.data").joinpath("captions.toml").read_text("utf-8"))
    fonts = {f["family"]: FontFace.model_validate(f) for f in raw["font"]}
    languages = {k: Language.model_validate(v) for k, v in raw["language"].items()}
    for lang, spec in languages.items():
        unknown = [f for f in spec.fonts if f not in fonts]
        if unknown:
            raise ValueError(
                f"captions.toml: language {lang} names fonts without a [[font]] entry: {unknown}"
            )
    captions: dict[str, dict[str, str]] = {}
    colours: dict[str, str] = {}
    for action, table in raw.get("caption", {}).items():
        colours[action] = table.get("color", "")
        captions[action] = {k: v for k, v in table.items() if k != "color"}
        extra = set(captions[action]) - set(languages)
        if extra:
            raise ValueError(f"captions.toml: caption.{action} has unknown languages {sorted(extra)}")
    return CaptionData(
        style=CaptionStyle.model_validate(raw["style"]),
        languages=languages,
        fonts=fonts,
        submission={k: SubmissionLimits.model_validate(v) for k, v in raw["submission"].items()},
        captions=captions,
        colours=colours,
    )


def languages() -> list[str]:
    return list(caption_data().languages)


def check_language(lang: str) -> str:
    known = caption_data().languages
    if lang not in known:
        raise InvalidInput(f"caption language {lang!r} is not one of {', '.join(known)}")
    return lang


def default_caption(action_id: str, lang: str) -> str | None:
    """The preset's caption in `lang` (None for a custom action or a language it lacks)."""
    return caption_data().captions.get(action_id, {}).get(check_language(lang))


class CaptionOptions(_Strict):
    """What the user chose for the whole set (stored with the job)."""

    enabled: bool = True
    lang: str = "en"
    text: dict[str, str] = Field(default_factory=dict)  # action id -> the user's own caption
    motion: Motion = "pop"
    on_emoji: bool = False  # emoji presets (180 px and less) stay bare unless asked

    @field_validator("lang")
    @classmethod
    def _lang(cls, v: str) -> str:
        try:
            return check_language(v)
        except InvalidInput as e:
            raise ValueError(str(e)) from None

    @field_validator("text")
    @classmethod
    def _texts(cls, v: dict[str, str]) -> dict[str, str]:
        limit = caption_data().style.max_chars
        out = {}
        for action, text in v.items():
            clean = " ".join(text.split())
            if len(clean) > limit:
                raise ValueError(f"the caption of {action} is {len(clean)} characters; at most {limit} read")
            out[action.strip().lower()] = clean
        return out

    def to_option(self) -> dict[str, Any]:
        return self.model_dump()


def caption_entries(entries: list[str]) -> dict[str, str]:
    """`ACTION=text` pairs (the CLI's repeatable --caption) as a dict; an empty text means none."""
    out: dict[str, str] = {}
    for entry in entries:
        name, sep, text = entry.partition("=")
        if not sep or not name.strip():
            raise InvalidInput(f'--caption {entry!r}: write ACTION=text, e.g. wave="Hi!"')
        out[name.strip().lower()] = text.strip().strip('"').strip("'")
    return out


@dataclass(frozen=True)
class Caption:
    """What one action shows on one preset: the text, its language (picks the fonts), colour, motion.
    `head`: where the head lies in the character's own box, as (top, bottom) fractions of its
    height (from the rig); None protects the whole character (the caption then never overlaps it)."""

    text: str
    lang: str
    fill: str
    motion: Motion = "pop"
    head: tuple[float, float] | None = None


def caption_for(
    options: CaptionOptions | None,
    action_id: str,
    preset_kind: str,
    head: tuple[float, float] | None = None,
) -> Caption | None:
    """The caption `action_id` carries on a preset of `preset_kind` (emoji: none unless asked)."""
    if options is None or not options.enabled:
        return None
    if preset_kind == "emoji" and not options.on_emoji:
        return None
    text = options.text.get(action_id)
    if text is None:
        text = default_caption(action_id, options.lang)
    if not text:
        return None
    data = caption_data()
    fill = data.colours.get(action_id) or data.style.fill
    return Caption(text, options.lang, fill, options.motion, head)


# ---- submission text --------------------------------------------------------------------------
class StoreText(_Strict):
    title: str = ""
    description: str = ""


def check_submission(raw: object) -> dict[str, StoreText]:
    """Title and description per language, checked against the strictest store's limits that apply.

    Stores are checked again per platform at export (`submission_problems`); here the longest text
    any store accepts is the bound, so a job is refused before hours of work, not after.
    """
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise InvalidInput("submission text: a language -> {title, description} table")
    out: dict[str, StoreText] = {}
    for lang, item in raw.items():
        check_language(lang)
        try:
            text = StoreText.model_validate(item)
        except ValidationError as e:
            raise InvalidInput(f"submission text ({lang}): {e.errors()[0]['msg']}") from e
        limits = caption_data().submission.values()
        if len(text.title) > max(x.title_max for x in limits):
            raise InvalidInput(f"the {lang} title is {len(text.title)} characters; too long for any store")
        if len(text.description) > max(x.description_max for x in limits):
            raise InvalidInput(f"the {lang} description is {len(text.description)} characters; too long")
        out[lang] = StoreText(title=" ".join(text.title.split()), description=text.description.strip())
    return out


def submission_problems(platform: str, texts: dict[str, StoreText]) -> list[str]:
    """What breaks `platform`'s limits (empty: fine, or a platform that asks for no text)."""
    limits = caption_data().submission.get(platform)
    if limits is None:
        return []
    problems = []
    for lang, t in texts.items():
        if not t.title:
            problems.append(f"{lang}: the title is missing")
        if len(t.title) > limits.title_max:
            problems.append(
                f"{lang}: the title is {len(t.title)} characters; {platform} allows {limits.title_max}"
            )
        if not t.description:
            problems.append(f"{lang}: the description is missing")
        if len(t.description) > limits.description_max:
            problems.append(
                f"{lang}: the description is {len(t.description)} characters; "
                f"{platform} allows {limits.description_max}"
            )
    return problems


def wants_submission_text(platform: str) -> bool:
    return platform in caption_data().submission
