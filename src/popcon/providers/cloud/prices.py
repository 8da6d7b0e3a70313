"""The price table (`popcon/data/prices.toml`) and cost estimates shown before a run.

Prices depend on the region a key belongs to (DashScope bills Singapore and Virginia in USD and
Beijing in CNY), so every row names its region, and its source page and the day it was read; a
model, resolution or region without a row has no known price, and its cost stays None (shown as
unknown), never 0 and never a guess. Where no published price could be read, an `unpriced` row
says where it was looked for, so the estimate can say "no published price" instead of a bare
"unknown". A per-second price of a model with a silent switch (wan2.6) is per sound: its variant
is "<resolution>/silent" or "<resolution>/audio".
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any
from urllib.parse import urlsplit

from popcon.providers.base import Usage
from popcon.settings import Settings

# DashScope hosts and the region (and currency) each bills in.
DASHSCOPE_REGIONS: dict[str, str] = {
    "dashscope-intl.aliyuncs.com": "singapore",
    "dashscope-us.aliyuncs.com": "virginia",
    "dashscope.aliyuncs.com": "beijing",
}
DEFAULT_REGION = "singapore"  # the default host's region


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
    region: str = ""  # "" = the price is the same everywhere the model is offered


@dataclass(frozen=True)
class Unpriced:
    """No published price could be read for these models in this region (as of `checked`)."""

    provider: str
    models: tuple[str, ...]
    region: str
    checked: str
    looked_in: str


@cache
def _table() -> dict[str, list[dict[str, Any]]]:
    return tomllib.loads(resources.files("popcon.data").joinpath("prices.toml").read_text("utf-8"))


def load_prices() -> tuple[Price, ...]:
    return tuple(Price(**{"variant": "", "region": "", **p}) for p in _table().get("price", []))


def load_unpriced() -> tuple[Unpriced, ...]:
    return tuple(
        Unpriced(
            str(u["provider"]),
            tuple(str(m) for m in u["models"]),
            str(u.get("region", "")),
            str(u["checked"]),
            str(u["looked_in"]),
        )
        for u in _table().get("unpriced", [])
    )


def unpriced(provider: str, model: str, region: str = "") -> Unpriced | None:
    """Why a model has no price in a region: the `unpriced` row naming it, if any."""
    return next(
        (
            u
            for u in load_unpriced()
            if u.provider == provider and model in u.models and u.region in ("", region.lower())
        ),
        None,
    )


def video_variant(resolution: str | None, silent_switch: bool) -> str:
    """The price variant of a clip: its resolution, and its sound for models that offer silence
    (PopCon always asks those for silent clips, the cheaper rate)."""
    res = resolution or ""
    return f"{res}/silent" if silent_switch and res else res


def region_of(settings: Settings) -> str:
    """The DashScope region the settings bill in: `dashscope_region`, else the base URL's host.

    A host that is not one of the public ones (a proxy, a local stand-in) is taken as the default
    region unless `dashscope_region` says otherwise.
    """
    if settings.dashscope_region:
        return settings.dashscope_region
    host = (urlsplit(settings.dashscope_base_url).hostname or "").lower()
    for suffix, region in DASHSCOPE_REGIONS.items():
        if host == suffix:
            return region
    if host.endswith(".cn-beijing.maas.aliyuncs.com"):
        return "beijing"
    return DEFAULT_REGION


def find_price(provider: str, model: str, variant: str = "", region: str = "") -> Price | None:
    """The row for this region (or a region-less one) and variant, else the model's variant-less
    row in that region; None when the table has no such price (unknown)."""
    rows = [
        p
        for p in load_prices()
        if p.provider == provider and p.model == model and p.region in ("", region.lower())
    ]
    exact = [p for p in rows if p.variant.lower() == variant.lower()]
    if exact:
        return exact[0]
    return next((p for p in rows if not p.variant), None)


def priced_usage(
    provider: str,
    model: str,
    unit: str,
    quantity: float,
    variant: str = "",
    estimated: bool = False,
    region: str = "",
) -> Usage:
    """A `Usage` with its cost filled in from the table when the table knows the model."""
    p = find_price(provider, model, variant, region)
    if p is None or p.unit != unit:
        return Usage(provider, model, unit, quantity, estimated=estimated)
    return Usage(provider, model, unit, quantity, round(p.price * quantity, 6), p.currency, estimated)


def clip_seconds(settings: Settings) -> float:
    """Seconds one clip of the configured model bills (its fixed length, or the chosen duration)."""
    from popcon.providers.cloud.dashscope import video_params

    return video_params(settings).seconds
