"""Settings, prices and estimates, prompts, limits, the HTTP helper's hygiene, and `popcon providers`."""

from __future__ import annotations

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
from popcon.providers.cloud.prices import find_price, load_prices, priced_usage
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
        assert r.price > 0 and r.currency and r.unit in ("second", "image") and r.date_read and r.source


def test_prices_by_region_and_variant():
    assert find_price("dashscope", "wan2.2-i2v-flash", "720P", "beijing").price == pytest.approx(0.2)
    assert find_price("dashscope", "wan2.2-i2v-flash", "480p", "beijing").price == pytest.approx(0.1)
    assert find_price("dashscope", "wan2.2-i2v-flash", "480P", "beijing").currency == "CNY"
    # Beijing's CNY list is not what a Singapore (default host) key pays: no guess, unknown.
    assert find_price("dashscope", "wan2.2-i2v-flash", "480P", "singapore") is None
    assert find_price("dashscope", "wan2.2-i2v-flash", "480P") is None
    assert find_price("gemini", "gemini-2.5-flash-image", "", "singapore").currency == "USD"
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
        and by["gemini"].cost == pytest.approx(0.195)
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
        "gemini-2.5-flash-image",
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
    assert "~2.000 CNY" in result.output and "~0.195 USD" in result.output and "Estimate" in result.output
    region[0] = "singapore"
    result = CliRunner().invoke(app, args, env={"COLUMNS": "250"})
    assert result.exit_code == 0, result.output
    assert "Price unknown in the singapore region" in result.output
    assert (
        "unknown (no price in the table)" in result.output and "CNY" not in result.output.split("Estimate")[1]
    )
    offline = CliRunner().invoke(app, ["providers", "--estimate", "2"], env={"COLUMNS": "200"})
    assert "nothing billed" in offline.output
