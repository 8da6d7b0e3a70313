"""`popcon providers`: what can generate, with which models, whether its key is set, and at what price.

Keys are shown only as set / not set, never in any form.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from popcon.settings import Settings


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
    from popcon.domain.errors import InvalidInput
    from popcon.providers.cloud.dashscope import IMAGE_MODELS, VIDEO_MODELS, video_params
    from popcon.providers.cloud.gemini import IMAGE_MODELS as GEMINI_MODELS
    from popcon.providers.cloud.prices import region_of

    try:
        resolution = video_params(settings).resolution or "model default"
    except InvalidInput as e:
        resolution = f"INVALID: {e}"

    def is_set(secret: object) -> bool:
        return secret is not None and bool(secret.get_secret_value())  # type: ignore[attr-defined]

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


def render(settings: Settings, console: Console) -> None:
    from popcon.providers.cloud.prices import load_prices

    chosen = {"image": settings.image_provider, "video": settings.video_provider}
    table = Table(title="Providers")
    for col in ("provider", "stages", "models", "selected", "key"):
        table.add_column(col)
    for p in provider_infos(settings):
        models = "\n".join(f"{m}: {d}" for m, d in p.models.items())
        key = "not needed" if p.key_set is None else ("set" if p.key_set else f"missing ({p.key_env})")
        used = [stage for stage, name in chosen.items() if name == p.name]
        label = p.name + (f" [{', '.join(used)}]" if used else "")
        table.add_row(label, p.stages, models, p.selected, key)
    console.print(table)

    prices = Table(title="Prices (estimates; edit popcon/data/prices.toml)")
    for col in ("provider", "model", "region", "variant", "price", "unit", "read", "source"):
        prices.add_column(col)
    for row in load_prices():
        prices.add_row(
            row.provider,
            row.model,
            row.region or "any",
            row.variant or "-",
            f"{row.price:g} {row.currency}",
            row.unit,
            row.date_read,
            row.source,
        )
    console.print(prices)
    unknown = unknown_prices(settings)
    region = _region(settings)
    if unknown:
        console.print(f"Price unknown in the {region} region (cost shown as unknown): " + ", ".join(unknown))
    console.print("Models without a row have no known price: their cost is shown as unknown.")


def _region(settings: Settings) -> str:
    from popcon.providers.cloud.prices import region_of

    return region_of(settings)


def unknown_prices(settings: Settings) -> list[str]:
    """Every listed model (and video resolution) the price table has no row for, in the settings' region."""
    from popcon.providers.cloud.dashscope import IMAGE_MODELS, VIDEO_MODEL_SPECS
    from popcon.providers.cloud.gemini import IMAGE_MODELS as GEMINI_MODELS
    from popcon.providers.cloud.prices import find_price

    region = _region(settings)
    out: list[str] = []
    for model, spec in VIDEO_MODEL_SPECS.items():
        out += [f"{model} {r}" for r in spec.resolutions if find_price("dashscope", model, r, region) is None]
    out += [m for m in IMAGE_MODELS if find_price("dashscope", m, "", region) is None]
    out += [m for m in GEMINI_MODELS if find_price("gemini", m) is None]
    return out


def render_estimate(
    settings: Settings,
    n_actions: int,
    from_prompt: bool,
    console: Console,
    *,
    image_provider: str | None = None,
    video_provider: str | None = None,
    imported_clips: int = 0,
) -> None:
    from popcon.providers.cloud.prices import estimate_job_cost

    images = image_provider or settings.image_provider
    video = video_provider or settings.video_provider
    rows = estimate_job_cost(
        settings,
        n_actions,
        character_from_prompt=from_prompt,
        image_provider=images,
        video_provider=video,
        imported_clips=imported_clips,
    )
    what = f"{n_actions} action(s) with images={images}, video={video}"
    if not rows:
        console.print(f"Estimate for {what}: nothing billed (offline providers).")
        return
    table = Table(title=f"Estimate for {what} (before the run; the actual cost comes from the services)")
    for col in ("provider", "model", "quantity", "cost"):
        table.add_column(col)
    for u in rows:
        cost = f"~{u.cost:.3f} {u.currency}" if u.cost is not None else "unknown (no price in the table)"
        table.add_row(u.provider, u.model, f"{u.quantity:g} {u.unit}(s)", cost)
    console.print(table)


def register(app: typer.Typer, get_settings: Callable[[], Settings] | None = None) -> None:
    """Add `popcon providers` to `app` (the CLI's settings are used unless `get_settings` is given)."""

    @app.command("providers")
    def providers(
        estimate: Annotated[
            int | None, typer.Option("--estimate", min=1, help="Also estimate the cost of N actions.")
        ] = None,
        from_prompt: Annotated[
            bool, typer.Option("--from-prompt", help="The estimate includes generating the character.")
        ] = False,
        image_provider: Annotated[
            str | None, typer.Option("--image-provider", help="Provider for the estimate.")
        ] = None,
        video_provider: Annotated[
            str | None, typer.Option("--video-provider", help="Provider for the estimate.")
        ] = None,
    ) -> None:
        """List the generation providers, their models, whether their key is set, and prices."""
        if get_settings is not None:
            s = get_settings()
        else:
            from popcon.cli.app import settings as app_settings

            s = app_settings()
        update = {
            k: v for k, v in (("image_provider", image_provider), ("video_provider", video_provider)) if v
        }
        if update:
            from popcon.domain.errors import InvalidInput
            from popcon.providers.registry import IMAGE_PROVIDERS, VIDEO_PROVIDERS

            if update.get("image_provider", "offline") not in IMAGE_PROVIDERS:
                raise InvalidInput(f"unknown image provider (available: {', '.join(IMAGE_PROVIDERS)})")
            if update.get("video_provider", "offline") not in VIDEO_PROVIDERS:
                raise InvalidInput(f"unknown video provider (available: {', '.join(VIDEO_PROVIDERS)})")
            s = s.model_copy(update=update)
        console = Console()
        render(s, console)
        if estimate:
            render_estimate(s, estimate, from_prompt, console)
