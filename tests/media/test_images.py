import io

import numpy as np
import pytest
from PIL import Image

from popcon.domain.errors import InvalidInput, TooLarge, UnsupportedFormat
from popcon.media.images import (
    check_character_image,
    has_transparency,
    load_image,
    megabytes,
    read_png,
    write_png,
)

from ..conftest import SAMPLES


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "WEBP", "GIF", "BMP", "TIFF"])
def test_reads_every_upload_format(fmt):
    im = Image.new("RGB", (40, 30), (200, 30, 30))
    buf = io.BytesIO()
    im.save(buf, format=fmt)
    out = load_image(buf.getvalue())
    assert out.mode == "RGBA" and out.size == (40, 30)


def test_sample_cutout_has_alpha_and_jpeg_has_not():
    assert has_transparency(load_image(SAMPLES / "fox.png"))
    assert not has_transparency(load_image(SAMPLES / "fox_on_white.jpg"))


def test_corrupt_truncated_and_oversize_inputs():
    with pytest.raises(UnsupportedFormat):
        load_image(b"hello, not an image")
    data = (SAMPLES / "fox.png").read_bytes()
    with pytest.raises(InvalidInput, match=r"damaged|truncated"):
        load_image(data[: len(data) // 2])
    with pytest.raises(TooLarge, match="MB"):
        load_image(data, max_bytes=1000)
    with pytest.raises(TooLarge, match="megapixels"):
        load_image(data, max_pixels=100_000)
    with pytest.raises(InvalidInput, match="empty"):
        load_image(b"")


def test_png_round_trip(tmp_path):
    rgba = np.random.default_rng(0).integers(0, 255, (9, 7, 4), dtype=np.uint8)
    write_png(tmp_path / "x.png", rgba)
    assert np.array_equal(read_png(tmp_path / "x.png"), rgba)


def _jpeg_with_orientation(im: Image.Image, orientation: int) -> bytes:
    exif = Image.Exif()
    exif[0x0112] = orientation  # Orientation
    buf = io.BytesIO()
    im.save(buf, "JPEG", exif=exif.tobytes(), quality=95)
    return buf.getvalue()


def test_exif_orientation_is_honoured():
    # A phone held upright stores a landscape sensor image with "rotate 90 CW" in EXIF.
    im = Image.new("RGB", (60, 40), (255, 255, 255))
    im.paste((200, 0, 0), (0, 0, 20, 40))  # red band on the sensor's left edge
    out = load_image(_jpeg_with_orientation(im, 6))
    assert out.size == (40, 60)
    top = np.asarray(out)[2, 20, :3]
    assert top[0] > 150 and top[1] < 80  # the left band is now the top band


def test_megabytes_say_what_the_settings_say():
    assert megabytes(30 * 1024 * 1024) == "30 MB"
    with pytest.raises(TooLarge, match=r"limit is 30 MB"):
        load_image(b"x" * (30 * 1024 * 1024 + 1))


@pytest.mark.parametrize(
    ("im", "why"),
    [
        (Image.new("RGB", (8000, 10), (200, 30, 30)), "32 px"),
        (Image.new("RGB", (2000, 100), (200, 30, 30)), "6:1"),
        (Image.new("RGB", (20, 20), (200, 30, 30)), "32 px"),
        (Image.new("RGBA", (300, 300), (0, 0, 0, 0)), "transparent"),
        (Image.new("RGB", (300, 300), (250, 250, 250)), "single flat colour"),
    ],
)
def test_degenerate_characters_are_refused_up_front(im, why):
    with pytest.raises(InvalidInput, match=why):
        check_character_image(im)


def test_real_characters_pass_the_character_check():
    for name in ("fox.png", "panda_on_white.jpg", "robot.png"):
        check_character_image(load_image(SAMPLES / name), name)
    silhouette = Image.new("RGBA", (200, 200), (0, 0, 0, 0))
    silhouette.paste((20, 20, 20, 255), (50, 30, 150, 190))  # one colour, but a shape on transparency
    check_character_image(silhouette)
