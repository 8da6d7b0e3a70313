"""What can generate, with which models, whether its key is set, at what price, and what a set costs.

From settings only (no network), except `check_services`, which asks each service with a free
call whether the key works and the configured model is offered. Keys are reported only as set /
not set.
"""

from __future__ import annotations

from dataclasses import dataclass

from popcon.domain.errors import InvalidInput
from popcon.providers.base import Usage
from popcon.providers.cloud.check import ServiceCheck, check_services
from popcon.providers.cloud.prices import Price, load_prices
from popcon.providers.registry import IMAGE_PROVIDERS, VIDEO_PROVIDERS, estimate_job_cost, provider_names
from popcon.settings import Settings

__all__ = [
    "Price",
    "ProviderInfo",
    "ServiceCheck",
    "Usage",
    "check_services",
    "estimate_cost",
    "missing_price",
    "price_region",
    "price_rows",
    "provider_infos",
    "unknown_prices",
    "with_providers",
]


@dataclass(frozen=True)
class ProviderInfo:
    name: str
    stages: str
    models: dict[str, str]
    key_env: str  # the environment names that hold its key, "" for none
    key_set: bool | None  # None: needs no key
    selected: str  # the models the settings pick


def provider_infos(settings: Settings) -> list[ProviderInfo]:
    """Every registered provider, from settings only (no network, no key check against the service)."""
    out = []
    for name in provider_names():
        stages = [
            kind
            for kind, registry in (("image", IMAGE_PROVIDERS), ("video", VIDEO_PROVIDERS))
            if name in registry.names()
        ]
        cls = IMAGE_PROVIDERS.get(name) if "image" in stages else VIDEO_PROVIDERS.get(name)
        row = cls.listing(settings)
        out.append(ProviderInfo(name, ", ".join(stages), row.models, row.key_env, row.key_set, row.selected))
    return out


def price_rows() -> list[Price]:
    return list(load_prices())


def price_region(settings: Settings) -> str:
    """The DashScope region whose prices apply (prices differ by region and currency)."""
    from popcon.providers.cloud.prices import region_of

    return region_of(settings)


def unknown_prices(settings: Settings) -> list[str]:
    """Every listed model (and video resolution) the price table has no row for, in the settings' region."""
    from popcon.providers.cloud.prices import find_price

    region = price_region(settings)
    keys = dict.fromkeys(
        key
        for registry in (VIDEO_PROVIDERS, IMAGE_PROVIDERS)
        for name in registry.names()
        for key in registry.get(name).price_keys(settings)
    )
    return [
        f"{model} {variant}".strip()
        for provider, model, variant in keys
        if find_price(provider, model, variant, region) is None
    ]


def missing_price(settings: Settings, provider: str, model: str) -> str:
    """What the estimate shows for a model without a price: where a published price was looked for
    in the settings' region (and when), or that the table has no row."""
    from popcon.providers.cloud.prices import unpriced

    region = price_region(settings) if provider == "dashscope" else ""
    why = unpriced(provider, model, region)
    where = f" in the {region} region" if region else ""
    if why is None:
        return f"unknown (no price in the table{where})"
    return f"no published price{where} (looked for on {why.checked}: {why.looked_in})"


def estimate_cost(
    settings: Settings,
    n_actions: int,
    *,
    from_prompt: bool = False,
    image_provider: str | None = None,
    video_provider: str | None = None,
    imported_clips: int = 0,
) -> list[Usage]:
    """The billed calls a set of `n_actions` would make, priced from the table (empty: offline)."""
    return estimate_job_cost(
        settings,
        n_actions,
        character_from_prompt=from_prompt,
        image_provider=image_provider or settings.image_provider,
        video_provider=video_provider or settings.video_provider,
        imported_clips=imported_clips,
    )


def with_providers(settings: Settings, image_provider: str | None, video_provider: str | None) -> Settings:
    """The settings with these providers chosen (each must be a registered one)."""
    update = {k: v for k, v in (("image_provider", image_provider), ("video_provider", video_provider)) if v}
    if "image_provider" in update and update["image_provider"] not in IMAGE_PROVIDERS.names():
        raise InvalidInput(f"unknown image provider (available: {', '.join(IMAGE_PROVIDERS.names())})")
    if "video_provider" in update and update["video_provider"] not in VIDEO_PROVIDERS.names():
        raise InvalidInput(f"unknown video provider (available: {', '.join(VIDEO_PROVIDERS.names())})")
    return settings.model_copy(update=update) if update else settings
