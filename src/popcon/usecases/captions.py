"""Captions and store text when a job is created: checked once, up front, then kept in the job's
options (so resume and re-export draw the same thing).

Checked here, before any paid or slow work: every caption names a chosen action, fits the length a
sticker reads at, has a font on this machine for every character and room on each chosen canvas at
a readable size; the store text fits the limits
of the chosen platforms that ask for it (LINE, Kakao).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import numpy as np
from pydantic import ValidationError

from popcon.domain.actions import ActionPreset
from popcon.domain.captions import (
    CaptionOptions,
    StoreText,
    caption_data,
    caption_entries,
    caption_for,
    check_submission,
    languages,
    submission_problems,
)
from popcon.domain.errors import Conflict, InvalidInput
from popcon.domain.models import JobOptions
from popcon.domain.platforms import get_platform
from popcon.media.captions import plan_caption
from popcon.media.fonts import font_runs

if TYPE_CHECKING:
    from popcon.domain.models import Job
    from popcon.usecases.context import AppContext


def _silhouette() -> np.ndarray:
    """An upright stand-in character (3:4 ellipse): is there room for the caption at a readable size?"""
    yy, xx = np.mgrid[0:240, 0:180]
    inside = ((xx - 90) / 88) ** 2 + ((yy - 120) / 118) ** 2 <= 1.0
    frame = np.zeros((240, 180, 4), np.uint8)
    frame[inside] = (200, 120, 60, 255)
    return frame


def caption_languages() -> dict[str, str]:
    """Language tag -> its own name, for the shells' choosers."""
    data = caption_data()
    return {tag: data.languages[tag].name for tag in languages()}


def job_caption_options(
    captions: CaptionOptions | None,
    submission: dict[str, Any] | None,
    presets: list[ActionPreset],
    platforms: list[str],
) -> JobOptions:
    """The job options that hold the caption choice and the store text (checked; see the module)."""
    choice = captions if captions is not None else CaptionOptions()
    ids = {p.id for p in presets}
    for action in choice.text:
        if action not in ids:
            raise InvalidInput(f"--caption {action}=...: {action} is not one of the chosen actions")
    stand_in = [_silhouette()]
    for platform in platforms:
        rules = get_platform(platform)
        for p in presets:
            caption = caption_for(choice, p.id, rules.kind)
            if caption is not None:
                font_runs(caption.text, caption.lang)  # MissingFont names the character and the package
                plan_caption(stand_in, rules.canvas, rules.margin_px, caption)  # too long to read: refused
    texts: dict[str, StoreText] = check_submission(submission)
    for platform in {get_platform(p).platform for p in platforms}:
        problems = submission_problems(platform, texts) if texts else []
        if problems:
            raise InvalidInput(f"store text for {platform}: " + "; ".join(problems))
    return JobOptions(captions=choice, submission=texts)


def caption_choice(entries: list[str], lang: str, enabled: bool, motion: str) -> CaptionOptions:
    """The CLI's caption flags as one choice (`--caption wave="やあ!"`, `--caption-lang`, ...)."""
    text = caption_entries(entries)
    return checked_choice({"enabled": enabled, "lang": lang, "text": text, "motion": motion})


def checked_choice(raw: object) -> CaptionOptions:
    """A caption choice from plain JSON (the web form, the CLI's flags, an edit); a bad one is an
    `InvalidInput` naming the field ("captions: motion: ...", "captions: langs: not a field")."""
    if not isinstance(raw, dict):
        raise InvalidInput('captions must be a JSON object such as {"lang": "ja", "text": {"wave": "..."}}')
    try:
        return CaptionOptions.model_validate(raw)
    except ValidationError as e:
        err = e.errors()[0]
        where = ".".join(str(p) for p in err["loc"])
        why = str(err["msg"]).removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            why = "not a field"
        raise InvalidInput(f"captions: {where + ': ' if where else ''}{why}") from e


def store_text(titles: list[str], descriptions: list[str]) -> dict[str, Any] | None:
    """`--title LANG=text` / `--description LANG=text` pairs as the submission table (None: none given)."""
    out: dict[str, dict[str, str]] = {}
    for flag, field, entries in (
        ("--title", "title", titles),
        ("--description", "description", descriptions),
    ):
        for entry in entries:
            lang, sep, text = entry.partition("=")
            if not sep or not lang.strip():
                raise InvalidInput(f'{flag} {entry!r}: write LANG=text, e.g. ja="ねこの毎日"')
            out.setdefault(lang.strip(), {})[field] = text.strip()
    return out or None


def _json_field(raw: str | None, name: str) -> Any:
    if raw is None or not raw.strip():
        return None
    try:
        return json.loads(raw)
    except json.JSONDecodeError as e:
        raise InvalidInput(f"{name} must be JSON: {e.msg}") from e


def captions_from_json(raw: str | None) -> CaptionOptions | None:
    """The web form's `captions` field: {"enabled", "lang", "text": {action: caption}, "motion"}."""
    value = _json_field(raw, "captions")
    return None if value is None else checked_choice(value)


def submission_from_json(raw: str | None) -> dict[str, Any] | None:
    """The web form's `submission` field: {lang: {"title", "description"}} (checked at create)."""
    value = _json_field(raw, "submission")
    if value is not None and not isinstance(value, dict):
        raise InvalidInput(
            'submission must be a JSON object such as {"ja": {"title": "...", "description": "..."}}'
        )
    return value


def caption_defaults() -> dict[str, Any]:
    """What a caption editor needs: the languages, each action's default captions, the length limit
    and the store text limits."""
    data = caption_data()
    return {
        "languages": caption_languages(),
        "captions": data.captions,
        "max_chars": data.style.max_chars,
        "motions": ["none", "pop", "bounce"],
        "submission_limits": {k: v.model_dump() for k, v in data.submission.items()},
    }


def set_captions(ctx: AppContext, job_id: str, raw: Any) -> Job:
    """Replace a resting job's caption choice (checked as at create: chosen actions, fonts, room on
    every canvas), so the next export draws the new captions; the frames are not touched."""
    choice = checked_choice(raw)
    job = ctx.get_job(job_id)
    if ctx.busy(job.id) or job.status.active:
        raise Conflict(f"job {job.id} is {job.status}; change its captions when it rests")
    checked = job_caption_options(choice, None, [a.preset for a in job.actions], job.platforms)
    ctx.store.update_job(job.id, options=job.options.model_copy(update={"captions": checked.captions}))
    return ctx.get_job(job.id)
