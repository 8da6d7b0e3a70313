from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from popcon.providers.keycolor import KEY_CANDIDATES, choose_key_color, key_distance

SAMPLES = Path(__file__).resolve().parents[2].parent / "shared" / "samples"


def _blob(colour: tuple[int, int, int], size: int = 256) -> np.ndarray:
    """An RGBA disc of one colour on transparency, with a dark outline like a sticker."""
    arr = np.zeros((size, size, 4), np.uint8)
    yy, xx = np.mgrid[:size, :size]
    d = np.hypot(xx - size / 2, yy - size / 2)
    arr[d < size * 0.4] = (*colour, 255)
    arr[(d >= size * 0.4) & (d < size * 0.43)] = (40, 30, 40, 255)
    return arr


@pytest.mark.parametrize(
    ("colour", "banned"),
    [((0, 255, 0), (0, 255, 0)), ((20, 20, 250), (0, 0, 255)), ((250, 10, 240), (255, 0, 255))],
)
def test_never_picks_the_characters_own_colour(colour, banned):
    img = _blob(colour)
    key = choose_key_color(img)
    assert key != banned
    assert key_distance(img, key) > 60  # far in Lab from every opaque pixel


def test_all_green_and_blue_character_gets_a_third_colour():
    img = _blob((0, 255, 0))
    img[:, : img.shape[1] // 2][img[:, : img.shape[1] // 2, 3] > 0] = (0, 0, 255, 255)
    key = choose_key_color(img)
    assert key not in ((0, 255, 0), (0, 0, 255))
    assert key_distance(img, key) > 50


def test_transparent_pixels_are_ignored():
    img = _blob((255, 140, 60))
    img[..., :3][img[..., 3] == 0] = (0, 255, 0)  # green hidden behind alpha 0 must not matter
    assert choose_key_color(img) == KEY_CANDIDATES[0]


def test_extra_colours_are_avoided_too():
    img = _blob((255, 140, 60))
    first = choose_key_color(img)
    other = choose_key_color(img, extra_colors=[first])
    assert other != first


def test_deterministic_and_accepts_pil():
    img = _blob((120, 200, 90))
    assert choose_key_color(img) == choose_key_color(Image.fromarray(img, "RGBA"))


@pytest.mark.skipif(not SAMPLES.is_dir(), reason="shared samples not present")
@pytest.mark.parametrize("name", ["fox", "frog", "panda", "robot", "mage", "superhero"])
def test_samples_get_a_distant_key(name):
    img = Image.open(SAMPLES / f"{name}.png")
    key = choose_key_color(img)
    assert key in KEY_CANDIDATES
    assert key_distance(img, key) > 40


@pytest.mark.skipif(not SAMPLES.is_dir(), reason="shared samples not present")
def test_fast_on_a_768px_image():
    img = Image.open(SAMPLES / "fox.png").convert("RGBA")
    choose_key_color(img)  # warm-up (OpenCV lazily initialises)
    t = time.perf_counter()
    for _ in range(5):
        choose_key_color(img)
    assert (time.perf_counter() - t) / 5 < 0.05
