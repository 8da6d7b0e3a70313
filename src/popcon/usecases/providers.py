"""What can generate, with which models, whether its key is set, at what price, and what a set costs.

From settings only (no network), except `check_services`, which asks each service with a free
call whether the key works and the configured model is offered. Keys are reported only as set /
not set.
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import SecretStr

from popcon.domain.errors import InvalidInput
from popcon.providers.base import Usage
from popcon.providers.cloud.check import ServiceCheck, check_services
from popcon.providers.cloud.prices import Price, estimate_job_cost, load_prices
from popcon.providers.registry import IMAGE_PROVIDERS, VIDEO_PROVIDERS
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
    """Every provider, from settings only (no network, no key check against the service)."""
    from popcon.providers.cloud.dashscope import IMAGE_MODELS, VIDEO_MODELS, video_params
    from popcon.providers.cloud.gemini import IMAGE_MODELS as GEMINI_MODELS
    from popcon.providers.cloud.prices import region_of

    try:
        resolution = video_params(settings).resolution or "model default"
    except InvalidInput as e:
        resolution = f"INVALID: {e}"

    def is_set(secret: SecretStr | None) -> bool:
        return secret is not None and bool(secret.get_secret_value())

    return [
        ProviderInfo(
            "offline",
            "image, video",
            {"procedural": "no key, no network, deterministic"},
            "",
            None,
            "procedural",
        ),
        ProviderInfo(
            "dashscope",
            "image, video",
            {**VIDEO_MODELS, **IMAGE_MODELS},
            "DASHSCOPE_API_KEY",
            is_set(settings.dashscope_api_key),
            f"{settings.dashscope_video_model} {resolution}, "
            f"{settings.dashscope_t2i_model}, {settings.dashscope_edit_model} "
            f"@ {settings.dashscope_base_url} (region {region_of(settings)})",
        ),
        ProviderInfo(
            "gemini",
            "image",
            GEMINI_MODELS,
            "GEMINI_API_KEY / GOOGLE_API_KEY",
            is_set(settings.gemini_api_key),
            f"{settings.gemini_image_model} via {settings.gemini_transport} @ {settings.gemini_base_url}",
        ),
    ]


def price_rows() -> list[Price]:
    return list(load_prices())


def price_region(settings: Settings) -> str:
    """The DashScope region whose prices apply (prices differ by region and currency)."""
    from popcon.providers.cloud.prices import region_of

    return region_of(settings)


def unknown_prices(settings: Settings) -> list[str]:
    """Every listed model (and video resolution) the price table has no row for, in the settings' region."""
    from popcon.providers.cloud.dashscope import IMAGE_MODELS, VIDEO_MODEL_SPECS
    from popcon.providers.cloud.gemini import IMAGE_MODELS as GEMINI_MODELS
    from popcon.providers.cloud.prices import find_price

    region = price_region(settings)
    out: list[str] = []
    for model, spec in VIDEO_MODEL_SPECS.items():
        out += [f"{model} {r}" for r in spec.resolutions if find_price("dashscope", model, r, region) is None]
    out += [m for m in IMAGE_MODELS if find_price("dashscope", m, "", region) is None]
    out += [m for m in GEMINI_MODELS if find_price("gemini", m) is None]
    return out


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
