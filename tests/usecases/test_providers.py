"""The provider and price tables and the cost estimate, as `popcon providers` and the web read them."""

from __future__ import annotations

import pytest

from popcon.domain.errors import InvalidInput
from popcon.settings import Settings
from popcon.usecases.providers import (
    estimate_cost,
    missing_price,
    price_region,
    price_rows,
    provider_infos,
    unknown_prices,
    with_providers,
)


def _price(provider: str, model: str, region: str = "") -> float:
    return next(
        p.price for p in price_rows() if (p.provider, p.model) == (provider, model) and p.region == region
    )


def test_every_registered_provider_is_listed_from_settings_alone(settings: Settings) -> None:
    bare = Settings(data_dir=settings.data_dir, gemini_api_key=None)  # whatever the environment holds
    infos = {p.name: p for p in provider_infos(bare)}
    assert {"offline", "dashscope", "gemini"} <= set(infos)
    assert infos["offline"].stages == "image, video" and infos["offline"].key_set is None
    assert infos["gemini"].stages == "image" and infos["gemini"].key_set is False  # no key in these settings
    keyed = Settings(data_dir=settings.data_dir, gemini_api_key="k-test")
    assert {p.name: p for p in provider_infos(keyed)}["gemini"].key_set is True


def test_an_offline_set_costs_nothing_and_a_cloud_set_is_counted(settings: Settings) -> None:
    assert estimate_cost(settings, 4) == []
    cloud = with_providers(settings, "gemini", "dashscope").model_copy(update={"dashscope_region": "beijing"})
    assert price_region(cloud) == "beijing"
    lines = {u.provider: u for u in estimate_cost(cloud, 4, from_prompt=True)}
    assert lines["gemini"].quantity == 5 and lines["gemini"].unit == "image"  # 1 character + 4 poses
    assert lines["gemini"].cost == pytest.approx(5 * _price("gemini", lines["gemini"].model))
    assert lines["dashscope"].unit == "second" and lines["dashscope"].quantity == 20  # 4 clips of 5 s
    assert all(u.estimated for u in lines.values())
    imported = {u.provider for u in estimate_cost(cloud, 4, imported_clips=4)}
    assert imported == {"gemini"}  # every clip brought by the user: no video is billed


def test_a_model_without_a_price_says_so(settings: Settings) -> None:
    cloud = with_providers(settings, None, "dashscope")
    assert price_region(cloud) == "singapore"
    missing = unknown_prices(cloud)
    assert "gemini-3.1-flash-image" not in missing  # priced (no region)
    listed = " ".join(" ".join(p.models) for p in provider_infos(cloud))
    assert all(m.split()[0] in listed for m in missing)
    (line,) = [u for u in estimate_cost(cloud, 1) if u.provider == "dashscope"]
    if any(m.startswith(line.model) for m in missing):  # unpriced here: the estimate says where it looked
        assert line.cost is None and "singapore" in missing_price(cloud, "dashscope", line.model)
    else:
        assert line.cost is not None
    assert missing_price(cloud, "dashscope", "no-such-model").startswith("unknown")


def test_only_registered_providers_can_be_chosen(settings: Settings) -> None:
    assert with_providers(settings, None, None) is settings
    chosen = with_providers(settings, "gemini", None)
    assert chosen.image_provider == "gemini" and chosen.video_provider == settings.video_provider
    with pytest.raises(InvalidInput, match="unknown image provider"):
        with_providers(settings, "midjourney", None)
    with pytest.raises(InvalidInput, match="unknown video provider"):
        with_providers(settings, None, "sora")
