import io

import numpy as np
import pytest
from PIL import Image

from popcon.domain.errors import InvalidInput, TooLarge, UnsupportedFormat
from popcon.media.images import has_transparency, load_image, read_png, write_png

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
