"""Decoding only what is needed: a large upload read for a preview or a check never becomes a full
RGBA canvas, keeps its own size on record, and still shows its thin lines."""

from __future__ import annotations

import io
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from PIL import Image, ImageDraw

from popcon.domain.errors import InvalidInput
from popcon.media.images import check_character_image, load_image


def _drawing(side: int = 6000, mode: str = "1") -> bytes:
    im = Image.new(mode, (side, side), 1 if mode == "1" else (255, 255, 255))
    d = ImageDraw.Draw(im)
    d.ellipse((side // 4, side // 4, 3 * side // 4, 3 * side // 4), outline=0, width=side // 300)
    buf = io.BytesIO()
    im.save(buf, "PNG" if mode == "1" else "JPEG")
    return buf.getvalue()


def test_a_large_1bit_png_is_shrunk_with_its_lines_and_its_size_on_record() -> None:
    im = load_image(_drawing(), max_side=512)
    assert im.mode == "RGBA" and max(im.size) == 512
    assert im.info["source_size"] == (6000, 6000)
    grey = np.asarray(im.convert("L"))
    assert grey[256, :].min() < 160, "the 20 px outline vanished in the shrink"
    check_character_image(im, "drawing")  # the checks see the file's size, not the preview's


def test_a_large_jpeg_decodes_at_a_reduced_scale() -> None:
    im = load_image(_drawing(4000, "RGB"), max_side=600)
    assert max(im.size) == 600 and im.info["source_size"] == (4000, 4000)


def test_the_checks_use_the_files_own_size() -> None:
    strip = Image.new("RGB", (6000, 600), (255, 255, 255))
    ImageDraw.Draw(strip).rectangle((100, 100, 5900, 500), fill=(200, 30, 30))
    buf = io.BytesIO()
    strip.save(buf, "PNG")
    im = load_image(buf.getvalue(), max_side=256)
    with pytest.raises(InvalidInput, match="6000x600"):
        check_character_image(im, "strip")


def test_the_decode_never_holds_the_canvas_as_rgba() -> None:
    """Peak RSS of a fresh process reading the 6000x6000 drawing for a 512 px preview: the full
    canvas as RGBA alone would be 144 MB (the 1-bit decode itself is 36 MB)."""
    code = textwrap.dedent(
        """
        import io, resource, sys
        from PIL import Image, ImageDraw
        from popcon.media.images import load_image
        im = Image.new("1", (6000, 6000), 1)
        ImageDraw.Draw(im).ellipse((1500, 1500, 4500, 4500), outline=0, width=20)
        buf = io.BytesIO(); im.save(buf, "PNG"); data = buf.getvalue(); del im
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        load_image(data, max_side=512)
        print((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) // 1024)
        """
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    grew_mb = int(run.stdout.split()[-1])
    assert grew_mb < 100, f"peak grew {grew_mb} MB"
