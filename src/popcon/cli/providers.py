"""`popcon providers`: what can generate, with which models, whether its key is set, and at what price.

Keys are shown only as set / not set, never in any form.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from popcon.settings import Settings
from popcon.usecases.providers import (
    check_services,
    estimate_cost,
    missing_price,
    price_region,
    price_rows,
    provider_infos,
    unknown_prices,
    with_providers,
)


def render(settings: Settings, console: Console) -> None:
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
    for row in price_rows():
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
    region = price_region(settings)
    if unknown:
        console.print(
            f"Price unknown in the {region} region (cost shown as unknown; the estimate says where a "
            "published price was looked for): " + ", ".join(unknown)
        )
    console.print("Models without a row have no known price: their cost is shown as unknown.")


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
    images = image_provider or settings.image_provider
    video = video_provider or settings.video_provider
    rows = estimate_cost(
        settings,
        n_actions,
        from_prompt=from_prompt,
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
        if u.cost is not None:
            cost = f"~{u.cost:.3f} {u.currency}"
        else:
            cost = missing_price(settings, u.provider, u.model)
        table.add_row(u.provider, u.model, f"{u.quantity:g} {u.unit}(s)", cost)
    console.print(table)


def render_check(settings: Settings, console: Console) -> bool:
    """Ask each service (free calls); True when every asked service accepts the key and the models."""
    table = Table(title="Service check (free calls: key, region and models)")
    for col in ("provider", "result", "detail"):
        table.add_column(col)
    ok = True
    for c in check_services(settings):
        if c.key_ok is None:
            verdict = "not asked"
        elif not c.key_ok:
            verdict, ok = "KEY REFUSED", False
        elif c.missing:
            verdict, ok = "MODEL MISSING", False
        else:
            verdict = "ok"
        table.add_row(c.provider, verdict, c.message)
    console.print(table)
    return ok


def register(app: typer.Typer, get_settings: Callable[[], Settings] | None = None) -> None:
    """Add `popcon providers` to `app` (the CLI's settings are used unless `get_settings` is given)."""

    @app.command("providers")
    def providers(
        ctx: typer.Context,
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
        check: Annotated[
            bool,
            typer.Option("--check", help="Ask each service whether the key works and the models exist."),
        ] = False,
    ) -> None:
        """List the generation providers, their models, whether their key is set, and prices."""
        from popcon.cli.context import cli_context

        s = get_settings() if get_settings is not None else cli_context(ctx).settings
        s = with_providers(s, image_provider, video_provider)
        console = Console()
        render(s, console)
        if estimate:
            render_estimate(s, estimate, from_prompt, console)
        if check and not render_check(s, console):
            raise typer.Exit(1)
