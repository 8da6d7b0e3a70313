"""Image preparation shared by the cloud clients: flat key background, no alpha, bounded size."""

from __future__ import annotations

import base64
import io

from PIL import Image

from popcon.providers.cloud.http import ProviderError

MIN_SIDE = 360  # DashScope: each side 360-2000 px
MAX_SIDE = 2000
MAX_DATA_BYTES = 10 * 1024 * 1024


def flatten_on_key(
    im: Image.Image, key: tuple[int, int, int], *, min_side: int = 512, max_side: int = 1280
) -> Image.Image:
    """The image composited on the flat key colour, padded to a square, side within the bounds.

    Why square and padded: the clip takes the start image's aspect; a square keeps the character
    centred with room to move, and padding (never cropping) keeps the feet in frame.
    """
    if not MIN_SIDE <= min_side <= max_side <= MAX_SIDE:
        raise ValueError("sides must satisfy 360 <= min_side <= max_side <= 2000")
    rgba = im.convert("RGBA")
    side = max(rgba.size)
    canvas = Image.new("RGBA", (side, side), (*key, 255))
    canvas.alpha_composite(rgba, ((side - rgba.width) // 2, (side - rgba.height) // 2))
    target = min(max(side, min_side), max_side)
    out = canvas.convert("RGB")
    if target != side:
        out = out.resize((target, target), Image.Resampling.LANCZOS)
    return out


def data_uri(im: Image.Image) -> str:
    """PNG data URI (JPEG if the PNG is over the 10 MB input limit); never with alpha."""
    rgb = im.convert("RGB")
    buf = io.BytesIO()
    rgb.save(buf, format="PNG", compress_level=3)
    mime = "image/png"
    if buf.tell() > MAX_DATA_BYTES * 3 // 4:
        buf = io.BytesIO()
        rgb.save(buf, format="JPEG", quality=92)
        mime = "image/jpeg"
    return f"data:{mime};base64,{base64.b64encode(buf.getvalue()).decode('ascii')}"


def png_b64(im: Image.Image) -> str:
    buf = io.BytesIO()
    im.convert("RGB").save(buf, format="PNG", compress_level=3)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def decode_image(data: bytes, provider: str) -> Image.Image:
    """Bytes from a service into a loaded RGB image, or a clear error."""
    try:
        with Image.open(io.BytesIO(data)) as im:
            im.load()
            return im.convert("RGB")
    except Exception as e:  # PIL raises many types for bad data
        raise ProviderError(f"{provider} returned an image that cannot be read ({type(e).__name__})") from e


def square_on_key(im: Image.Image, key: tuple[int, int, int]) -> Image.Image:
    """Models asked for 1:1 may still answer 4:3: pad with the key, never crop the feet."""
    if im.width == im.height:
        return im.convert("RGB")
    side = max(im.size)
    canvas = Image.new("RGB", (side, side), key)
    canvas.paste(im.convert("RGB"), ((side - im.width) // 2, (side - im.height) // 2))
    return canvas
