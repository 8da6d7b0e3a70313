"""Action presets (wave, jump, ...) and custom actions.

Presets are data (`popcon/data/actions.toml`); this module only gives them a type and
validates custom ones.
"""

from __future__ import annotations

import re
import tomllib
from functools import cache
from importlib import resources

from pydantic import BaseModel, Field, field_validator

from popcon.domain.errors import InvalidInput

ACTION_ID = re.compile(r"^[a-z][a-z0-9_-]{0,31}$")


class MotionRecipe(BaseModel):
    """How the offline animator plays an action: a named body motion plus effect overlays."""

    motion: str = "bounce"
    effects: list[str] = Field(default_factory=list)
    seconds: int = Field(default=2, ge=1, le=4)
    intensity: float = Field(default=1.0, gt=0.0, le=3.0)


class ActionPreset(BaseModel):
    id: str
    label: str
    emoji: str = ""
    start_pose_prompt: str
    motion_prompt: str
    recipe: MotionRecipe = Field(default_factory=MotionRecipe)
    custom: bool = False

    @field_validator("id")
    @classmethod
    def _valid_id(cls, v: str) -> str:
        if not ACTION_ID.fullmatch(v):
            raise ValueError(f"action id {v!r} must be lowercase letters, digits, '-' or '_' (max 32)")
        return v


@cache
def load_presets() -> dict[str, ActionPreset]:
    raw = tomllib.loads(resources.files("popcon.data").joinpath("actions.toml").read_text("utf-8"))
    presets = [ActionPreset.model_validate(a) for a in raw["action"]]
    return {p.id: p for p in presets}


# Words in a custom motion prompt that pick the closest procedural motion offline.
_KEYWORD_MOTIONS: tuple[tuple[tuple[str, ...], str], ...] = (
    (("wave", "waving", "hello", "bye"), "wave"),
    (("jump", "hop", "leap"), "jump"),
    (("spin", "turn around", "twirl"), "spin"),
    (("dance", "groove"), "dance"),
    (("nod", "yes", "agree"), "nod"),
    (("shake", "no", "refuse"), "shake"),
    (("bow", "thank", "sorry"), "bow"),
    (("sleep", "tired", "yawn"), "sleepy"),
    (("cry", "sad", "tear"), "cry"),
    (("laugh", "giggle", "lol"), "laugh"),
    (("love", "heart", "kiss"), "love"),
    (("angry", "mad", "rage"), "angry"),
    (("clap", "applau"), "clap"),
    (("high five", "high-five", "hi-five", "hi five"), "hi-five"),
    (("celebrat", "cheer", "hooray", "victory", "arms up"), "celebrate"),
    (("think", "ponder", "hmm", "chin"), "thinking"),
    (("surprise", "shock", "gasp"), "surprised"),
    (("shy", "blush", "bashful"), "shy"),
    (("nervous", "tremble", "scared", "shiver"), "tremble"),
)


def custom_action(action_id: str, motion_prompt: str, label: str | None = None) -> ActionPreset:
    """A user-written action. Offline it borrows the procedural motion its words suggest."""
    prompt = motion_prompt.strip()
    if not prompt:
        raise InvalidInput(f"custom action {action_id!r} needs a motion prompt")
    if len(prompt) > 800:
        raise InvalidInput("a motion prompt is at most 800 characters (the video providers' limit)")
    low = prompt.lower()
    motion = next((m for words, m in _KEYWORD_MOTIONS if any(w in low for w in words)), "bounce")
    known = {p.recipe.motion for p in load_presets().values()}
    if motion not in known:
        motion = "bounce" if "bounce" in known else next(iter(known))
    try:
        return ActionPreset(
            id=action_id,
            label=label or action_id.replace("_", " ").replace("-", " ").title(),
            start_pose_prompt="the character standing in a neutral, friendly pose, full body",
            motion_prompt=prompt,
            recipe=MotionRecipe(motion=motion),
            custom=True,
        )
    except ValueError as e:
        raise InvalidInput(str(e)) from e


def resolve_actions(names: list[str], custom_prompts: dict[str, str] | None = None) -> list[ActionPreset]:
    """Turn the user's action list into presets; unknown names without a prompt are an error."""
    presets = load_presets()
    custom_prompts = custom_prompts or {}
    out: list[ActionPreset] = []
    seen: set[str] = set()
    for raw in names:
        name = raw.strip().lower()
        if not name or name in seen:
            continue
        seen.add(name)
        if name in custom_prompts:
            out.append(custom_action(name, custom_prompts[name]))
        elif name in presets:
            out.append(presets[name])
        else:
            raise InvalidInput(
                f"unknown action {raw!r}; see `popcon actions`, or give a motion prompt for a custom one"
            )
    if not out:
        raise InvalidInput("choose at least one action")
    return out
