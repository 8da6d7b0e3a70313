"""GIF codec: one shared palette, 1-bit alpha without halos, exact 1/100 s timing.

GIF can only say "this pixel is fully transparent or fully opaque". Cutting soft edges at a
threshold alone leaves each edge pixel with the colour it had over nothing, which reads as a
fringe; instead every kept edge pixel is blended with the chat background the emoji will be
seen on (`PlatformPreset.matte`), so on that background the edge looks anti-aliased.

The container is assembled here (rather than by Pillow's multi-frame writer, which merges
identical frames and rounds delays) so every frame we are given is written with the delay we
chose. Pillow is used only as the C LZW compressor of each frame's pixels.
"""

from __future__ import annotations

import io
import struct
from collections.abc import Sequence

import numpy as np
from PIL import Image

from popcon.domain.errors import InvalidInput
from popcon.domain.exports import RuleResult
from popcon.domain.platforms import PlatformPreset
from popcon.media.budget import PaletteCodec
from popcon.media.palette import Quantized
from popcon.media.validate import validate_gif

ALPHA_THRESHOLD = 128  # alpha at or above this is kept (opaque) in a binary-alpha GIF
DISPOSE_KEEP, DISPOSE_BACKGROUND = 1, 2
TRANSPARENT = 0  # palette entry 0 is the transparent colour (as in popcon.media.palette)


def frame_delays_cs(n: int, seconds: float, min_cs: int = 2) -> list[int]:
    """`n` delays in 1/100 s, differing by at most 1, that sum to exactly `seconds`."""
    total = round(seconds * 100)
    if n < 1 or total < n * min_cs:
        raise InvalidInput(f"cannot spread {total} cs over {n} frames at >= {min_cs} cs each")
    return [(i + 1) * total // n - i * total // n for i in range(n)]


def flatten_alpha(
    frames: Sequence[np.ndarray],
    edge_rgb: tuple[int, int, int],
    mode: str = "binary",
    threshold: int = ALPHA_THRESHOLD,
) -> list[np.ndarray]:
    """RGBA frames with alpha in {0, 255}; kept soft pixels are blended into `edge_rgb`.

    mode "binary": threshold alpha, blend the kept partial pixels into the chat background.
    mode "none": composite everything onto `edge_rgb` (an opaque GIF, e.g. Kakao's "on white").
    """
    bg = np.asarray(edge_rgb, np.float32)
    out = []
    for f in frames:
        a = f[..., 3:4].astype(np.float32) / 255.0
        rgb = f[..., :3].astype(np.float32) * a + bg * (1.0 - a)
        res = np.empty_like(f)
        res[..., :3] = np.clip(rgb + 0.5, 0, 255).astype(np.uint8)
        if mode == "none":
            res[..., 3] = 255
        else:
            keep = f[..., 3] >= threshold
            res[..., 3] = np.where(keep, 255, 0)
            res[~keep, :3] = 0
        out.append(res)
    return out


def _lzw(indices: np.ndarray, bits: int) -> bytes:
    """LZW code size byte + data sub-blocks + terminator for one frame, compressed by Pillow."""
    im = Image.fromarray(np.ascontiguousarray(indices), "P")
    im.putpalette(bytes(range(256))[: 1 << bits] * 3)
    buf = io.BytesIO()
    im.save(buf, "GIF", optimize=False, interlace=False)
    data = buf.getvalue()
    pos = 13
    if data[10] & 0x80:
        pos += 3 << ((data[10] & 7) + 1)
    while data[pos] == 0x21:  # skip extensions Pillow may add
        pos += 2
        while data[pos]:
            pos += data[pos] + 1
        pos += 1
    if data[pos] != 0x2C:
        raise RuntimeError("unexpected GIF layout from the LZW helper")
    flags = data[pos + 9]
    pos += 10
    if flags & 0x80:
        pos += 3 << ((flags & 7) + 1)
    end = pos + 1
    while data[end]:
        end += data[end] + 1
    return data[pos : end + 1]


def _bbox(mask: np.ndarray) -> tuple[int, int, int, int] | None:
    if not mask.any():
        return None
    ys = np.flatnonzero(mask.any(axis=1))
    xs = np.flatnonzero(mask.any(axis=0))
    return int(xs[0]), int(ys[0]), int(xs[-1] - xs[0] + 1), int(ys[-1] - ys[0] + 1)


def encode_gif(
    palette: np.ndarray,
    indices: Sequence[np.ndarray],
    delays_cs: Sequence[int],
    loops: int = 0,
    *,
    transparent: bool = True,
) -> bytes:
    """GIF89a bytes: global palette (K x 3 or K x 4; entry 0 transparent), NETSCAPE loop count (0 = forever).

    Frames after the first store only the rectangle that changed on screen. A frame that must
    turn visible pixels transparent makes the previous frame dispose to background, because a
    GIF frame can only paint over what is there, never erase it.
    """
    if not indices:
        raise InvalidInput("a GIF needs at least one frame")
    if len(delays_cs) != len(indices):
        raise InvalidInput("one delay per frame is required")
    if not 1 <= len(palette) <= 256 or any(not 0 < d <= 65535 for d in delays_cs):
        raise InvalidInput("palette must have 1..256 entries and delays 1..65535 cs")
    h, w = indices[0].shape
    if any(m.shape != (h, w) or m.dtype != np.uint8 for m in indices):
        raise InvalidInput("index maps must be uint8 and all the same size")
    if max(int(m.max()) for m in indices) >= len(palette):
        raise InvalidInput("index map refers past the end of the palette")
    bits = max(1, int(np.ceil(np.log2(max(2, len(palette))))))
    pal = np.zeros((1 << bits, 3), np.uint8)
    pal[: len(palette)] = np.asarray(palette, np.uint8)[:, :3]

    # Plan: what is on screen before each frame, its rectangle and the previous frame's disposal.
    plans: list[tuple[int, int, int, int, np.ndarray]] = []
    disposals: list[int] = []
    screen = np.zeros((h, w), np.uint8)  # 0 = nothing drawn (transparent)
    before_prev = screen.copy()
    for i, cur in enumerate(indices):
        if i == 0:
            rect = (0, 0, w, h)
            sub = cur.copy()
        else:
            dispose = DISPOSE_KEEP
            clear = (screen != TRANSPARENT) & (cur == TRANSPARENT) if transparent else None
            if clear is not None and clear.any():
                # Dispose the previous frame to background over a rectangle that covers every
                # pixel that must vanish (widening it if needed), then redraw what stays.
                dispose = DISPOSE_BACKGROUND
                px, py, pw, ph, _ = plans[-1]
                cx, cy, cw, ch = _bbox(clear)  # type: ignore[misc]
                x0, y0 = min(px, cx), min(py, cy)
                x1, y1 = max(px + pw, cx + cw), max(py + ph, cy + ch)
                if (x0, y0, x1, y1) != (px, py, px + pw, py + ph):
                    psub = indices[i - 1][y0:y1, x0:x1].copy()
                    if i - 1 > 0:
                        psub[before_prev[y0:y1, x0:x1] == psub] = TRANSPARENT
                    plans[-1] = (x0, y0, x1 - x0, y1 - y0, psub)
                screen[y0:y1, x0:x1] = TRANSPARENT
            disposals.append(dispose)
            rect = _bbox(screen != cur) or (0, 0, 1, 1)
            x, y, rw, rh = rect
            sub = cur[y : y + rh, x : x + rw].copy()
            if transparent:  # unchanged pixels become "see-through": longer runs for LZW
                same = screen[y : y + rh, x : x + rw] == sub
                sub[same] = TRANSPARENT
        before_prev = screen.copy()
        x, y, rw, rh = rect
        if transparent:
            drawn = sub != TRANSPARENT
            screen[y : y + rh, x : x + rw][drawn] = sub[drawn]
        else:
            screen[y : y + rh, x : x + rw] = sub
        plans.append((x, y, rw, rh, sub))
    disposals.append(DISPOSE_BACKGROUND if transparent else DISPOSE_KEEP)

    out = [b"GIF89a", struct.pack("<HHBBB", w, h, 0xF0 | (bits - 1), 0, 0), pal.tobytes()]
    out.append(b"\x21\xff\x0bNETSCAPE2.0\x03\x01" + struct.pack("<H", loops) + b"\x00")
    for (x, y, rw, rh, sub), delay, dispose in zip(plans, delays_cs, disposals, strict=True):
        packed = (dispose << 2) | (1 if transparent else 0)
        out.append(b"\x21\xf9\x04" + struct.pack("<BHB", packed, int(delay), TRANSPARENT) + b"\x00")
        out.append(b"\x2c" + struct.pack("<HHHHB", x, y, rw, rh, 0))
        out.append(_lzw(sub, bits))
    out.append(b"\x3b")
    return b"".join(out)


class GifCodec(PaletteCodec):
    """GIF (Discord/Slack emoji, Kakao): 1-bit alpha blended into the chat colour, 1/100 s delays."""

    name = "gif"

    def prepare(self, frames: list[np.ndarray], preset: PlatformPreset) -> list[np.ndarray]:
        return flatten_alpha(frames, preset.edge_colour(), preset.alpha)

    def delays_ms(self, n: int, seconds: float, preset: PlatformPreset) -> list[int]:
        return [d * 10 for d in frame_delays_cs(n, seconds, max(1, preset.timing.min_delay_ms // 10))]

    def write(self, q: Quantized, delays_ms: list[int], loops: int, preset: PlatformPreset) -> bytes:
        cs = [d // 10 for d in delays_ms]
        return encode_gif(q.palette, q.indices, cs, loops, transparent=preset.alpha != "none")

    def validate(self, data: bytes, preset: PlatformPreset) -> list[RuleResult]:
        return validate_gif(data, preset)


CODEC = GifCodec()
