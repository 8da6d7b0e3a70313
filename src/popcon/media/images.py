"""Image file I/O with the limits and error messages users need."""

from __future__ import annotations

import contextlib
import io
import warnings
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from popcon.atomic import write_bytes_atomic
from popcon.domain.errors import InvalidInput, TooLarge, UnsupportedFormat
from popcon.domain.units import megabytes

READABLE_FORMATS = {"PNG", "JPEG", "WEBP", "GIF", "BMP", "TIFF", "MPO"}


BAND_ROWS = 512  # rows of the decoded image converted to RGBA at a time when shrinking


def load_image(
    source: Path | bytes,
    *,
    max_bytes: int = 30 * 1024 * 1024,
    max_pixels: int = 40_000_000,
    max_side: int | None = None,
) -> Image.Image:
    """Open an uploaded image as RGBA (first frame of an animation), or say clearly why not.

    `max_side`: what the caller needs at most (a preview, a check). The image is then shrunk in its
    own mode (a JPEG decodes at a reduced scale; anything else is converted to RGBA a band at a
    time), so a 6000x6000 1-bit PNG never exists as 144 MB of RGBA. `info["source_size"]` keeps the
    file's own size.
    """
    if isinstance(source, Path):
        if not source.is_file():
            raise InvalidInput(f"no such image: {source}")
        size = source.stat().st_size
        name = source.name
    else:
        size = len(source)
        name = "upload"
    if size > max_bytes:
        raise TooLarge(f"{name} is {megabytes(size)}; the limit is {megabytes(max_bytes)}")
    if size == 0:
        raise InvalidInput(f"{name} is empty")
    data = source.read_bytes() if isinstance(source, Path) else source
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            im: Image.Image = Image.open(io.BytesIO(data))
            if im.format not in READABLE_FORMATS:
                raise UnsupportedFormat(f"{name} is {im.format}; use PNG, JPEG, WebP, GIF, BMP or TIFF")
            if im.width * im.height > max_pixels:
                raise TooLarge(f"{name} is {im.width}x{im.height}; at most {max_pixels / 1e6:.0f} megapixels")
            im.seek(0)
            source_size = im.size
            if max_side and im.format == "JPEG" and max(im.size) > max_side:
                im.draft("RGB", (max_side, max_side))  # the decoder scales by 1/2, 1/4 or 1/8 itself
            im.load()
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning) as e:
        if isinstance(e, UnidentifiedImageError):
            raise UnsupportedFormat(f"{name} is not an image we can read") from e
        raise TooLarge(f"{name} is too large to decode safely") from e
    except (OSError, SyntaxError, ValueError) as e:
        raise InvalidInput(f"{name} is damaged or truncated: {e}") from e
    # A phone photo stores its rotation in EXIF: show it the way the camera held it. A damaged EXIF
    # block is no reason to refuse the pixels.
    before = im.size
    with contextlib.suppress(OSError, ValueError, KeyError, TypeError):
        im = ImageOps.exif_transpose(im) or im
    if im.size != before and im.size == before[::-1]:  # turned a quarter: so is the file's own size
        source_size = source_size[::-1]
    if im.mode in ("I;16", "I", "F"):
        arr = np.asarray(im, dtype=np.float32)
        im = Image.fromarray((255 * arr / max(float(arr.max()), 1.0)).astype(np.uint8))
    out = _shrink(im, max_side) if max_side and max(im.size) > max_side else im.convert("RGBA")
    out.info["source_size"] = source_size
    return out


def _shrink(im: Image.Image, max_side: int) -> Image.Image:
    """`im` as RGBA with its longer side at most `max_side`, never converting more than a band of it
    at once: each band goes to RGBA and is box-reduced by the whole factor, then one exact resize."""
    w, h = im.size
    k = max(1, max(w, h) // max_side)
    rows = k * max(1, BAND_ROWS // k)  # a whole number of reduced rows, about BAND_ROWS source rows
    small = Image.new("RGBA", (-(-w // k), -(-h // k)))
    for y in range(0, h, rows):
        band = im.crop((0, y, w, min(h, y + rows))).convert("RGBA")
        small.paste(band.reduce(k) if k > 1 else band, (0, y // k))
    scale = max_side / max(small.size)
    if scale < 1:
        size = (max(1, round(small.width * scale)), max(1, round(small.height * scale)))
        small = small.resize(size, Image.Resampling.LANCZOS)
    return small


MIN_CHARACTER_SIDE = 32
MAX_CHARACTER_ASPECT = 6.0


def check_character_image(im: Image.Image, name: str = "the image") -> None:
    """Refuse, before any work starts, an image no character can come out of.

    An 8000x10 strip or a blank canvas would run every stage and fail only at export; the rules
    here are the ones no emoji can pass: too small, too thin, nothing visible, one flat colour.
    """
    w, h = im.info.get("source_size", im.size)
    if min(w, h) < MIN_CHARACTER_SIDE:
        raise InvalidInput(
            f"{name} is {w}x{h}; a character needs at least {MIN_CHARACTER_SIDE} px on each side"
        )
    if max(w, h) / min(w, h) > MAX_CHARACTER_ASPECT:
        raise InvalidInput(
            f"{name} is {w}x{h}, over {MAX_CHARACTER_ASPECT:g}:1; crop it closer to the character"
        )
    small = np.asarray(
        im.convert("RGBA").resize((min(im.width, 256), min(im.height, 256)), Image.Resampling.BOX)
    )
    alpha = small[..., 3]
    if int(alpha.max()) < 16:
        raise InvalidInput(f"{name} is fully transparent: there is no character to animate")
    visible = small[..., :3][alpha >= 16].astype(np.int16)
    if int(np.ptp(visible, axis=0).max()) <= 6 and alpha.min() >= 16:
        raise InvalidInput(f"{name} is a single flat colour: there is no character to animate")


def has_transparency(im: Image.Image) -> bool:
    a = np.asarray(im.convert("RGBA"))[..., 3]
    return bool((a < 250).mean() > 0.01)


def write_png(path: Path, arr: np.ndarray) -> Path:
    """Fast lossless PNG (RGB or RGBA array), written atomically: a crash never leaves half a frame."""
    if arr.ndim == 3 and arr.shape[2] == 4:
        bgr = cv2.cvtColor(arr, cv2.COLOR_RGBA2BGRA)
    elif arr.ndim == 3:
        bgr = cv2.cvtColor(arr, cv2.COLOR_RGB2BGR)
    else:
        bgr = arr
    ok, buf = cv2.imencode(".png", bgr, [cv2.IMWRITE_PNG_COMPRESSION, 1])
    if not ok:
        raise OSError(f"PNG encoding failed for {path}")
    return write_bytes_atomic(path, buf.tobytes())


def read_png(path: Path) -> np.ndarray:
    """RGB or RGBA array of a PNG written by `write_png` (or any PNG)."""
    arr = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    if arr is None:
        raise InvalidInput(f"cannot read image {path}")
    if arr.ndim == 2:
        return cv2.cvtColor(arr, cv2.COLOR_GRAY2RGB)
    if arr.shape[2] == 4:
        return cv2.cvtColor(arr, cv2.COLOR_BGRA2RGBA)
    return cv2.cvtColor(arr, cv2.COLOR_BGR2RGB)
