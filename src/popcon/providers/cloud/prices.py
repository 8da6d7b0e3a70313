"""The price table (`popcon/data/prices.toml`) and cost estimates shown before a run."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources

from popcon.providers.base import Usage
from popcon.settings import Settings

# Seconds a model bills per clip when the duration is not a parameter (wan2.2: fixed 5 s).
DEFAULT_CLIP_SECONDS = 5.0


@dataclass(frozen=True)
class Price:
    provider: str
    model: str
    variant: str
    unit: str
    price: float
    currency: str
    date_read: str
    source: str


@cache
def load_prices() -> tuple[Price, ...]:
    raw = tomllib.loads(resources.files("popcon.data").joinpath("prices.toml").read_text("utf-8"))
    return tuple(Price(**{"variant": "", **p}) for p in raw.get("price", []))


def find_price(provider: str, model: str, variant: str = "") -> Price | None:
    """The exact variant's price, else the model's variant-less price, else None (unknown)."""
    rows = [p for p in load_prices() if p.provider == provider and p.model == model]
    exact = [p for p in rows if p.variant.lower() == variant.lower()]
    if exact:
        return exact[0]
    return next((p for p in rows if not p.variant), None)


def priced_usage(
    provider: str, model: str, unit: str, quantity: float, variant: str = "", estimated: bool = False
) -> Usage:
    """A `Usage` with its cost filled in from the table when the table knows the model."""
    p = find_price(provider, model, variant)
    if p is None or p.unit != unit:
        return Usage(provider, model, unit, quantity, estimated=estimated)
    return Usage(provider, model, unit, quantity, round(p.price * quantity, 6), p.currency, estimated)


def clip_seconds(settings: Settings) -> float:
    return float(settings.dashscope_duration or DEFAULT_CLIP_SECONDS)


def estimate_job_cost(
    settings: Settings,
    n_actions: int,
    *,
    character_from_prompt: bool = False,
    image_provider: str | None = None,
    video_provider: str | None = None,
    imported_clips: int = 0,
) -> list[Usage]:
    """What a run will likely bill, one `Usage` (estimated=True) per provider and model.

    Offline providers cost nothing and are left out. A cost of None means the table has no price.
    """
    images = image_provider or settings.image_provider
    video = video_provider or settings.video_provider
    out: list[Usage] = []
    n_images = n_actions + (1 if character_from_prompt else 0)
    if n_images and images == "gemini":
        out.append(priced_usage("gemini", settings.gemini_image_model, "image", n_images, estimated=True))
    elif n_images and images == "dashscope":
        if character_from_prompt:
            out.append(priced_usage("dashscope", settings.dashscope_t2i_model, "image", 1, estimated=True))
        if n_actions:
            out.append(
                priced_usage("dashscope", settings.dashscope_edit_model, "image", n_actions, estimated=True)
            )
    n_clips = max(0, n_actions - imported_clips)
    if n_clips and video == "dashscope":
        out.append(
            priced_usage(
                "dashscope",
                settings.dashscope_video_model,
                "second",
                n_clips * clip_seconds(settings),
                variant=settings.dashscope_resolution,
                estimated=True,
            )
        )
    return out
