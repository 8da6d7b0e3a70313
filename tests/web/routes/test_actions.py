"""Action and platform presets, server config, cost estimate."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient
from pydantic import SecretStr

from popcon.domain.actions import load_presets
from popcon.web import create_app
from tests.helpers.web import (
    API,
    assert_error,
    web_settings,
)


def test_presets_and_config(client: TestClient) -> None:
    actions = client.get(f"{API}/actions").json()
    assert {a["id"] for a in actions} == set(load_presets())
    assert all(a["motion_prompt"] for a in actions)
    platforms = {p["id"]: p for p in client.get(f"{API}/platforms").json()}
    assert platforms["line-emoji"]["implemented"] and platforms["line-emoji"]["width"] == 180
    assert client.get(f"{API}/config").json()["offline"] is True


def test_estimate_is_free_offline_and_priced_with_a_paid_provider(client: TestClient, tmp_path: Path) -> None:
    free = client.get(f"{API}/estimate", params={"actions": 4}).json()
    assert free["offline"] is True and free["lines"] == [] and "Free" in free["text"]
    assert_error(client.get(f"{API}/estimate", params={"actions": -1}), 422)

    paid = web_settings(tmp_path / "paid").model_copy(
        update={
            "video_provider": "dashscope",
            "dashscope_resolution": "480P",
            "dashscope_region": "beijing",  # the table prices wan2.2-i2v-flash 480P in Beijing (CNY)
            "dashscope_api_key": SecretStr("sk-test-not-real"),
        }
    )
    with TestClient(create_app(paid)) as c:
        est = c.get(f"{API}/estimate", params={"actions": 8}).json()
    assert est["offline"] is False and "estimate" in est["text"]
    video = next(line for line in est["lines"] if line["unit"] == "second")
    assert video["provider"] == "dashscope" and video["quantity"] >= 8  # at least a second per clip
    assert est["totals"]  # the price table lists wan2.2-i2v-flash at 480P


def test_estimate_in_the_default_region_says_why_it_has_no_price(tmp_path: Path) -> None:
    """A fresh install bills in Singapore, for which no published Wan price was read: said, not guessed."""
    paid = web_settings(tmp_path / "sg").model_copy(
        update={"video_provider": "dashscope", "dashscope_api_key": SecretStr("sk-test-not-real")}
    )
    with TestClient(create_app(paid)) as c:
        est = c.get(f"{API}/estimate", params={"actions": 2}).json()
    assert est["totals"] == {} and "no published price in the singapore region" in est["text"]
