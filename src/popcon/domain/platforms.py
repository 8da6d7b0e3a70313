"""Platform presets (LINE, Telegram, Discord, Slack, KakaoTalk) as typed data.

The rules live in `popcon/data/platforms.toml` so they can follow the platforms' live pages
without code changes; this module gives them a type and checks that they are self-consistent.
"""

from __future__ import annotations

import tomllib
from functools import cache
from importlib import resources
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from popcon.domain.errors import InvalidInput


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class CanvasRule(_Strict):
    """`exact`: output is width x height. `fit`: at most width x height, long side >= min_long_side."""

    width: int = Field(gt=0)
    height: int = Field(gt=0)
    mode: Literal["exact", "fit"] = "exact"
    min_long_side: int = 0
    square: bool = False


class FrameRule(_Strict):
    min: int = Field(ge=1)
    max: int = Field(ge=1)
    counted_after_encoding: bool = False


class TimingRule(_Strict):
    """Loop playback. Empty `loop_seconds` means any duration up to `max_total_seconds`."""

    loop_seconds: list[int] = Field(default_factory=list)
    loops_min: int = Field(default=0, ge=0)  # 0 = infinite
    loops_max: int = Field(default=0, ge=0)
    max_total_seconds: float | None = None
    max_fps: float | None = None
    delay_unit_ms: int = 1  # GIF counts in 1/100 s
    min_delay_ms: int = 1  # GIF: browsers replace 0-10 ms delays by 100 ms, so 20 ms is the floor


class SetRule(_Strict):
    min: int = Field(ge=1)
    max: int = Field(ge=1)
    sizes: list[int] = Field(default_factory=list)  # when only some counts are allowed (8, 16, 24)


class ExtraImage(_Strict):
    name: str
    width: int = Field(gt=0)
    height: int = Field(gt=0)
    format: Literal["png", "apng", "gif"] = "png"
    source: Literal["first_frame", "first_action"] = Field(default="first_frame", alias="from")


class PlatformPreset(_Strict):
    id: str
    name: str
    platform: str
    kind: Literal["emoji", "sticker"]
    status: Literal["implemented", "planned"] = "planned"
    format: Literal["apng", "gif", "webm", "png"]
    codec: str | None = None
    canvas: CanvasRule
    margin_px: int = Field(default=0, ge=0)
    frames: FrameRule
    timing: TimingRule
    max_bytes: int = Field(gt=0)
    colour_types: list[Literal["rgb", "rgba", "indexed", "gray", "gray_alpha"]] = Field(default_factory=list)
    allow_scale: bool = False
    alpha: Literal["full", "binary", "none"] = "full"  # none: flattened onto `background`
    matte: str | None = None  # chat background that soft edges blend into for binary alpha
    background: str | None = None
    set: SetRule
    file_name: str
    zip_max_bytes: int | None = None
    first_last_similarity_warn: bool = False
    extra_images: list[ExtraImage] = Field(default_factory=list)

    @model_validator(mode="after")
    def _consistent(self) -> PlatformPreset:
        if self.frames.min > self.frames.max:
            raise ValueError(f"{self.id}: frames.min > frames.max")
        if self.set.min > self.set.max:
            raise ValueError(f"{self.id}: set.min > set.max")
        if self.timing.loops_min > self.timing.loops_max:
            raise ValueError(f"{self.id}: timing.loops_min > loops_max")
        if self.canvas.min_long_side > max(self.canvas.width, self.canvas.height):
            raise ValueError(f"{self.id}: canvas.min_long_side exceeds the canvas")
        for colour in (self.matte, self.background):
            if colour is not None:
                parse_colour(colour)
        return self

    def edge_colour(self) -> tuple[int, int, int]:
        """The colour transparent edges are blended into (GIF): matte, else background, else white."""
        return parse_colour(self.matte or self.background or "#ffffff")

    @property
    def implemented(self) -> bool:
        return self.status == "implemented"

    def file_name_for(self, index: int, label: str = "") -> str:
        """Platform file name of the `index`-th (1-based) item, e.g. 001.png for LINE emoji."""
        return self.file_name.format(index=index, label=label)

    def loops_for(self, seconds: float) -> int:
        """Most loops the rules allow for a clip of `seconds` (0 = infinite where that is the rule)."""
        t = self.timing
        if t.loops_max == 0:
            return 0
        loops = t.loops_max
        if t.max_total_seconds:
            loops = min(loops, int(t.max_total_seconds // seconds))
        return max(loops, t.loops_min)


def parse_colour(text: str) -> tuple[int, int, int]:
    """`#rrggbb` (or `white` / `black`) as an RGB tuple; ValueError otherwise."""
    named = {"white": "#ffffff", "black": "#000000"}
    t = named.get(text.strip().lower(), text.strip())
    if len(t) != 7 or not t.startswith("#"):
        raise ValueError(f"colour must be #rrggbb, got {text!r}")
    try:
        return int(t[1:3], 16), int(t[3:5], 16), int(t[5:7], 16)
    except ValueError:
        raise ValueError(f"colour must be #rrggbb, got {text!r}") from None


@cache
def load_platforms() -> dict[str, PlatformPreset]:
    """All presets from the package data, keyed by id (read once per process)."""
    text = resources.files("popcon.data").joinpath("platforms.toml").read_text("utf-8")
    raw = tomllib.loads(text)
    presets = [PlatformPreset.model_validate(p) for p in raw["preset"]]
    out = {p.id: p for p in presets}
    if len(out) != len(presets):
        raise ValueError("platforms.toml has duplicate preset ids")
    return out


def get_platform(preset_id: str) -> PlatformPreset:
    """The preset named `preset_id`, or an InvalidInput listing the known ids."""
    presets = load_platforms()
    try:
        return presets[preset_id]
    except KeyError:
        raise InvalidInput(
            f"unknown platform preset {preset_id!r}; known: {', '.join(sorted(presets))}"
        ) from None
