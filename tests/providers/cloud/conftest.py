"""Fixtures: one real H.264 clip and PNG made once, a fresh local fake cloud per test, fast settings."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image

from popcon.domain.actions import load_presets
from popcon.media.images import load_image
from popcon.providers.cloud import limits
from popcon.providers.keycolor import choose_key_color
from popcon.settings import Settings

from ...conftest import SAMPLES
from .fakes import FakeCloud

DASH_KEY = "sk-test-dashscope-5e1c7a0b9f"
GEMINI_KEY = "AIza-test-gemini-77d2c4e8aa"


@pytest.fixture(scope="session")
def fox() -> Image.Image:
    return load_image(SAMPLES / "fox.png").convert("RGBA")


@pytest.fixture(scope="session")
def fox_key(fox: Image.Image) -> tuple[int, int, int]:
    return choose_key_color(fox)


@pytest.fixture(scope="session")
def server_clip(tmp_path_factory: pytest.TempPathFactory, fox: Image.Image, fox_key) -> bytes:
    """What Wan would return: a real H.264 MP4 of the character moving on the flat key colour."""
    from popcon.animation.animator import render_clip

    path = tmp_path_factory.mktemp("clip") / "wave.mp4"
    render_clip(fox, load_presets()["wave"].recipe, path, background=fox_key, size=256, fps=12)
    return path.read_bytes()


@pytest.fixture(scope="session")
def server_png(fox: Image.Image, fox_key) -> bytes:
    """What an image model would return: the character on the key colour, no alpha."""
    canvas = Image.new("RGBA", (512, 512), (*fox_key, 255))
    small = fox.copy()
    small.thumbnail((440, 440))
    canvas.alpha_composite(small, ((512 - small.width) // 2, (512 - small.height) // 2))
    buf = io.BytesIO()
    canvas.convert("RGB").save(buf, format="PNG")
    return buf.getvalue()


@pytest.fixture
def cloud(server_clip: bytes, server_png: bytes) -> Iterator[FakeCloud]:
    limits.reset()
    fake = FakeCloud(key=DASH_KEY, gemini_key=GEMINI_KEY, video=server_clip, image_png=server_png).start()
    yield fake
    fake.stop()
    limits.reset()
    # Any request PopCon sent that breaks the documented schema fails the test that sent it.
    assert fake.expect_refusals or not fake.refused, f"requests refused by the schema: {fake.refused}"


@pytest.fixture
def cloud_settings(tmp_path: Path, cloud: FakeCloud) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        retry_base_delay=0.01,
        clip_size=256,
        dashscope_api_key=DASH_KEY,
        dashscope_base_url=cloud.url,
        dashscope_region="beijing",  # the stand-in bills like the Beijing region (CNY, priced rows)
        gemini_api_key=GEMINI_KEY,
        gemini_base_url=cloud.url,
        poll_interval=0.01,
        poll_interval_max=0.02,
        http_backoff_base=0.001,
        http_backoff_max=0.01,
        http_retries=3,
        http_timeout=5.0,
        task_timeout=20.0,
        dashscope_lookup_settle=0.0,
    )
