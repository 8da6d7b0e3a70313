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


def load_image(
    source: Path | bytes, *, max_bytes: int = 30 * 1024 * 1024, max_pixels: int = 40_000_000
) -> Image.Image:
    """Open an uploaded image as RGBA (first frame of an animation), or say clearly why not."""
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
            im.load()
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning) as e:
        if isinstance(e, UnidentifiedImageError):
            raise UnsupportedFormat(f"{name} is not an image we can read") from e
        raise TooLarge(f"{name} is too large to decode safely") from e
    except (OSError, SyntaxError, ValueError) as e:
        raise InvalidInput(f"{name} is damaged or truncated: {e}") from e
    # A phone photo stores its rotation in EXIF: show it the way the camera held it. A damaged EXIF
    # block is no reason to refuse the pixels.
    with contextlib.suppress(OSError, ValueError, KeyError, TypeError):
        im = ImageOps.exif_transpose(im) or im
    if im.mode in ("I;16", "I", "F"):
        arr = np.asarray(im, dtype=np.float32)
        im = Image.fromarray((255 * arr / max(float(arr.max()), 1.0)).astype(np.uint8))
    return im.convert("RGBA")


MIN_CHARACTER_SIDE = 32
MAX_CHARACTER_ASPECT = 6.0


def check_character_image(im: Image.Image, name: str = "the image") -> None:
    """Refuse, before any work starts, an image no character can come out of.

    An 8000x10 strip or a blank canvas would run every stage and fail only at export; the rules
    here are the ones no emoji can pass: too small, too thin, nothing visible, one flat colour.
    """
    w, h = im.size
    if min(w, h) < MIN_CHARACTER_SIDE:
        raise InvalidInput(
            f"{name} is {w}x{h}; a character needs at least {MIN_CHARACTER_SIDE} px on each side"
        )
    if max(w, h) / min(w, h) > MAX_CHARACTER_ASPECT:
        raise InvalidInput(
            f"{name} is {w}x{h}, over {MAX_CHARACTER_ASPECT:g}:1; crop it closer to the character"
        )
    small = np.asarray(im.convert("RGBA").resize((min(w, 256), min(h, 256)), Image.Resampling.BOX))
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
