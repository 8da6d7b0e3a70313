"""The price table (`popcon/data/prices.toml`) and cost estimates shown before a run.

Prices depend on the region a key belongs to (DashScope bills Singapore and Virginia in USD and
Beijing in CNY), so every row names its region; a model, resolution or region without a row has
no known price, and its cost stays None (shown as unknown), never 0 and never a guess.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources
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


@cache
def load_prices() -> tuple[Price, ...]:
    raw = tomllib.loads(resources.files("popcon.data").joinpath("prices.toml").read_text("utf-8"))
    return tuple(Price(**{"variant": "", "region": "", **p}) for p in raw.get("price", []))


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
