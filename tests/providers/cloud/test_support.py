"""Settings, prices and estimates, prompts, limits, the HTTP helper's hygiene, and `popcon providers`."""

from __future__ import annotations

import re
import threading
import time

import pytest
import typer
from PIL import Image
from typer.testing import CliRunner

from popcon.cli.providers import register
from popcon.domain.actions import load_presets
from popcon.domain.errors import Canceled
from popcon.providers.base import Usage
from popcon.providers.cloud import limits, prompts
from popcon.providers.cloud.http import redact, safe_url
from popcon.providers.cloud.images import flatten_on_key
from popcon.providers.cloud.prices import find_price, load_prices, priced_usage, video_variant
from popcon.providers.registry import estimate_job_cost
from popcon.settings import Settings

_KEY_ENVS = (
    "DASHSCOPE_API_KEY",
    "POPCON_DASHSCOPE_API_KEY",
    "GEMINI_API_KEY",
    "GOOGLE_API_KEY",
    "POPCON_GEMINI_API_KEY",
)


@pytest.fixture
def clean_env(monkeypatch):
    for k in _KEY_ENVS:
        monkeypatch.delenv(k, raising=False)
    return monkeypatch


# ---- settings ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("env", "field"),
    [
        ("DASHSCOPE_API_KEY", "dashscope_api_key"),
        ("POPCON_DASHSCOPE_API_KEY", "dashscope_api_key"),
        ("GEMINI_API_KEY", "gemini_api_key"),
        ("GOOGLE_API_KEY", "gemini_api_key"),
    ],
)
def test_keys_come_from_the_standard_environment_names(clean_env, env, field):
    clean_env.setenv(env, "secret-value-123")
    s = Settings()
    assert getattr(s, field).get_secret_value() == "secret-value-123"
    assert "secret-value-123" not in repr(s) and "secret-value-123" not in str(s.model_dump())


def test_cloud_providers_are_selectable_and_defaults_are_safe(clean_env):
    clean_env.setenv("POPCON_VIDEO_PROVIDER", "dashscope")
    clean_env.setenv("POPCON_IMAGE_PROVIDER", "gemini")
    s = Settings()
    assert (s.video_provider, s.image_provider) == ("dashscope", "gemini")
    assert s.dashscope_api_key is None and s.video_concurrency == 2
    assert s.dashscope_video_model == "wan2.2-i2v-flash" and s.dashscope_resolution is None


# ---- prices ------------------------------------------------------------------------------
def test_the_price_table_is_complete():
    rows = load_prices()
    assert rows
    for r in rows:
        assert r.price > 0 and r.currency and r.unit in ("second", "image")
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", r.date_read) and r.source.startswith("https://"), r


def test_every_listed_model_is_priced_or_says_where_a_price_was_looked_for():
    """A fresh install (default region) never shows a bare "unknown": a price, or why there is none."""
    from popcon.providers.cloud.dashscope import IMAGE_MODELS, VIDEO_MODEL_SPECS
    from popcon.providers.cloud.gemini import IMAGE_MODELS as GEMINI_MODELS
    from popcon.providers.cloud.prices import unpriced

    for region in ("singapore", "virginia", "beijing"):
        for model, spec in VIDEO_MODEL_SPECS.items():
            for res in spec.resolutions:
                variant = video_variant(res, spec.silent_switch)
                found = find_price("dashscope", model, variant, region) or unpriced(
                    "dashscope", model, region
                )
                assert found is not None, (model, variant, region)
        for model in IMAGE_MODELS:
            assert find_price("dashscope", model, "", region) or unpriced("dashscope", model, region), model
    for model in GEMINI_MODELS:
        assert find_price("gemini", model) or unpriced("gemini", model), model
    why = unpriced("dashscope", "wan2.2-i2v-flash", "singapore")
    assert why is not None and why.looked_in.startswith("https://") and why.checked


def test_sound_and_silence_are_priced_apart(monkeypatch):
    """wan2.6 bills silent clips at a lower rate: its rows are per resolution and sound."""
    from popcon.providers.cloud import prices

    row = {"provider": "dashscope", "model": "wan2.6-i2v-flash", "region": "beijing", "unit": "second"}
    row |= {"currency": "CNY", "date_read": "2026-12-06", "source": "https://example.invalid/table"}
    table = {
        "price": [
            {**row, "variant": "720P/audio", "price": 0.6},
            {**row, "variant": "720P/silent", "price": 0.3},
        ]
    }
    monkeypatch.setattr(prices, "_table", lambda: table)
    assert video_variant("720P", True) == "720P/silent" and video_variant("720P", False) == "720P"
    assert find_price("dashscope", "wan2.6-i2v-flash", "720P/silent", "beijing").price == 0.3
    assert find_price("dashscope", "wan2.6-i2v-flash", "720P/audio", "beijing").price == 0.6
    s = Settings(
        video_provider="dashscope",
        dashscope_region="beijing",
        dashscope_video_model="wan2.6-i2v-flash",
        dashscope_resolution="720P",
        dashscope_duration=4,
    )
    (video,) = estimate_job_cost(s, 2)
    assert video.quantity == 8 and video.cost == pytest.approx(2.4)  # PopCon asks for silent clips


def test_prices_by_region_and_variant():
    assert find_price("dashscope", "wan2.2-i2v-flash", "720P", "beijing").price == pytest.approx(0.2)
    assert find_price("dashscope", "wan2.2-i2v-flash", "480p", "beijing").price == pytest.approx(0.1)
    assert find_price("dashscope", "wan2.2-i2v-flash", "480P", "beijing").currency == "CNY"
    # Beijing's CNY list is not what a Singapore (default host) key pays: no guess, unknown.
    assert find_price("dashscope", "wan2.2-i2v-flash", "480P", "singapore") is None
    assert find_price("dashscope", "wan2.2-i2v-flash", "480P") is None
    assert find_price("gemini", "gemini-3.1-flash-image", "", "singapore").currency == "USD"
    assert find_price("dashscope", "no-such-model") is None
    assert priced_usage("dashscope", "no-such-model", "second", 5) == Usage(
        "dashscope", "no-such-model", "second", 5
    )


def test_estimate_for_a_cloud_run():
    s = Settings(video_provider="dashscope", image_provider="gemini")
    est = estimate_job_cost(s, 4, character_from_prompt=True)
    assert all(u.estimated for u in est)
    by = {u.provider: u for u in est}
    assert (
        by["gemini"].quantity == 5
        and by["gemini"].cost == pytest.approx(0.335)
        and by["gemini"].currency == "USD"
    )
    assert by["dashscope"].quantity == 20 and by["dashscope"].cost is None  # Singapore: unknown
    beijing = estimate_job_cost(s.model_copy(update={"dashscope_region": "beijing"}), 4)
    video = next(u for u in beijing if u.unit == "second")
    assert video.cost == pytest.approx(2.0) and video.currency == "CNY"
    by_host = s.model_copy(update={"dashscope_base_url": "https://dashscope.aliyuncs.com"})
    assert next(u for u in estimate_job_cost(by_host, 4) if u.unit == "second").currency == "CNY"


def test_estimate_skips_offline_and_imported_clips():
    assert estimate_job_cost(Settings(), 4) == []
    s = Settings(
        video_provider="dashscope", dashscope_resolution="720P", dashscope_video_model="wan2.6-i2v-flash"
    )
    (video,) = estimate_job_cost(s.model_copy(update={"dashscope_duration": 3}), 3, imported_clips=1)
    assert video.quantity == 6 and video.cost is None  # unknown price: None, never 0


# ---- prompts and images ---------------------------------------------------------------------
def test_prompts_enforce_the_framing_rules():
    key = (0, 255, 0)
    char = prompts.character_prompt("a blue cat", key)
    for rule in (
        "ONE character",
        "head to toe",
        "feet visible",
        "centred",
        "1:1",
        "#00FF00",
        "checkerboard",
        "sprite sheet",
    ):
        assert rule in char
    for action in load_presets().values():
        motion = prompts.motion_prompt(action, key)
        assert len(motion) <= prompts.MAX_VIDEO_PROMPT and "Static camera" in motion and "#00FF00" in motion
        assert action.start_pose_prompt.strip() in prompts.start_pose_prompt(action, key)
    long = load_presets()["wave"].model_copy(update={"motion_prompt": "wave " * 400})
    assert len(prompts.motion_prompt(long, key)) <= prompts.MAX_VIDEO_PROMPT


@pytest.mark.parametrize("size", [(100, 40), (300, 300), (3000, 1200)])
def test_start_images_are_flat_square_and_within_bounds(size):
    im = Image.new("RGBA", size, (0, 0, 0, 0))
    im.paste((200, 100, 50, 255), (size[0] // 4, size[1] // 4, size[0] // 2, size[1] // 2))
    flat = flatten_on_key(im, (0, 0, 255))
    assert flat.mode == "RGB" and flat.width == flat.height and 360 <= flat.width <= 2000
    assert flat.getpixel((0, 0)) == (0, 0, 255)


# ---- hygiene -------------------------------------------------------------------------------
def test_secrets_and_signed_queries_are_removed():
    assert redact("Bearer sk-abcdef failed", ["sk-abcdef"]) == "Bearer *** failed"
    assert (
        safe_url("https://oss.example.com/a/b.mp4?Expires=1&Signature=zz")
        == "https://oss.example.com/a/b.mp4"
    )


# ---- limits --------------------------------------------------------------------------------
def test_the_limit_is_shared_and_waiting_honours_cancel():
    limits.reset()
    inside, peak = [0], [0]
    lock = threading.Lock()

    def work() -> None:
        with limits.slot("test:video", 2):
            with lock:
                inside[0] += 1
                peak[0] = max(peak[0], inside[0])
            time.sleep(0.05)
            with lock:
                inside[0] -= 1

    threads = [threading.Thread(target=work) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert peak[0] == 2

    def canceled() -> None:
        raise Canceled("x")

    with limits.slot("test:one", 1), pytest.raises(Canceled), limits.slot("test:one", 1, canceled):
        pass
    limits.reset()


# ---- CLI ---------------------------------------------------------------------------------------
def test_providers_command_lists_providers_without_printing_keys(clean_env):
    app = typer.Typer()

    @app.callback()
    def _root() -> None:
        pass

    secret = "sk-do-not-print-4242"
    register(app, lambda: Settings(dashscope_api_key=secret))
    result = CliRunner().invoke(app, ["providers"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    out = result.output
    assert secret not in out and secret[:8] not in out
    for word in (
        "offline",
        "dashscope",
        "gemini",
        "wan2.2-i2v-flash",
        "gemini-3.1-flash-image",
        "CNY",
        "USD",
    ):
        assert word in out
    assert "missing (GEMINI_API_KEY" in out and "set" in out


def test_providers_command_estimates_a_run(clean_env):
    app = typer.Typer()

    @app.callback()
    def _root() -> None:
        pass

    region = ["beijing"]
    register(app, lambda: Settings(dashscope_region=region[0]))
    args = ["providers", "--estimate", "4", "--video-provider", "dashscope", "--image-provider", "gemini"]
    result = CliRunner().invoke(app, [*args, "--from-prompt"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "~2.000 CNY" in result.output and "~0.335 USD" in result.output and "Estimate" in result.output
    region[0] = "singapore"
    result = CliRunner().invoke(app, args, env={"COLUMNS": "250"})
    assert result.exit_code == 0, result.output
    assert "Price unknown in the singapore region" in result.output
    estimate = result.output.split("Estimate")[1]
    assert (
        "no published price in the singapore region" in " ".join(estimate.split()) and "CNY" not in estimate
    )
    offline = CliRunner().invoke(app, ["providers", "--estimate", "2"], env={"COLUMNS": "200"})
    assert "nothing billed" in offline.output


# ---- `popcon providers --check`: asks the services (the stand-in) with free calls -------------------
def _check(settings: Settings) -> tuple[int, str]:
    app = typer.Typer()

    @app.callback()
    def _root() -> None:
        pass

    register(app, lambda: settings)
    result = CliRunner().invoke(app, ["providers", "--check"], env={"COLUMNS": "400"})
    return result.exit_code, result.output


def test_check_finds_the_configured_model_offered(cloud, cloud_settings):
    code, out = _check(cloud_settings)
    assert code == 0, out
    assert "gemini-3.1-flash-image is available" in out and "key works at" in out
    assert any(p.startswith("/v1beta/models?") for p in cloud.paths("GET"))
    assert any(p.startswith("/api/v1/tasks?") for p in cloud.paths("GET"))
    assert cloud.paths("POST") == []  # nothing billed: only free listing calls


def test_check_says_when_the_model_is_retired_or_missing(cloud, cloud_settings):
    retired = cloud_settings.model_copy(update={"gemini_image_model": "gemini-2.5-flash-image"})
    code, out = _check(retired)
    assert code == 1 and "MODEL MISSING" in out and "retired: shut down on 2 Oct 2026" in out
    assert "gemini-3.1-flash-image" in out  # what the key may use instead
    cloud.gemini_models = ("gemini-3.5-flash",)  # a key without image models
    code, out = _check(cloud_settings)
    assert code == 1 and "not offered to this key" in out and "image models offered: none" in out


def test_check_pages_through_the_models_list(cloud, cloud_settings):
    cloud.gemini_models = (*(f"gemini-x-{i}" for i in range(150)), "gemini-3.1-flash-image")
    code, out = _check(cloud_settings)
    assert code == 0 and "151 models offered" in out, out


def test_check_reports_a_refused_key_without_printing_it(cloud, cloud_settings):
    bad = cloud_settings.model_copy(
        update={
            "dashscope_api_key": type(cloud_settings.dashscope_api_key)("sk-wrong-777"),
            "gemini_api_key": type(cloud_settings.gemini_api_key)("AIza-wrong-888"),
        }
    )
    code, out = _check(bad)
    assert code == 1 and out.count("KEY REFUSED") == 2 and "InvalidApiKey" in out
    assert "sk-wrong-777" not in out and "AIza-wrong-888" not in out
    unset = cloud_settings.model_copy(update={"dashscope_api_key": None, "gemini_api_key": None})
    code, out = _check(unset)
    assert code == 0 and out.count("│ not asked") == 2
