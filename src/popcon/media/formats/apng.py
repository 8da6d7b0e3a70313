"""APNG codec: an in-memory writer for palette (indexed) animations with full alpha.

Written by hand rather than through Pillow because the platforms count frames AFTER encoding
and check timing exactly: Pillow merges identical neighbouring frames and rounds delays,
while here every frame we are given is written, each delay is an exact number of
milliseconds, and the delays sum to the loop length exactly. Frames after the first are
stored as the smallest rectangle that changed (dispose NONE, blend SOURCE), which is
lossless and is where most of the byte savings of an animation come from.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Sequence

import numpy as np

from popcon.domain.errors import InvalidInput
from popcon.domain.exports import RuleResult
from popcon.domain.platforms import PlatformPreset
from popcon.media.budget import PaletteCodec
from popcon.media.palette import Quantized
from popcon.media.validate import validate_apng

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
COLOUR_INDEXED = 3
DISPOSE_NONE, BLEND_SOURCE = 0, 0


def chunk(kind: bytes, data: bytes) -> bytes:
    """One PNG chunk: length, type, data, CRC over type + data."""
    crc = zlib.crc32(kind + data) & 0xFFFFFFFF
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)


def frame_delays_ms(n: int, seconds: float) -> list[int]:
    """`n` whole-millisecond delays that differ by at most 1 ms and sum to exactly `seconds`."""
    total = round(seconds * 1000)
    if n < 1 or total < n:
        raise InvalidInput(f"cannot spread {total} ms over {n} frames")
    return [(i + 1) * total // n - i * total // n for i in range(n)]


def _compress(rows: np.ndarray) -> bytes:
    """zlib stream of scanlines; tries filter None and Up and keeps the smaller.

    For palette images the PNG spec recommends filter None; Up sometimes wins on flat
    vertical structure, so both are cheap to try at this size.
    """
    h, w = rows.shape
    none = np.zeros((h, w + 1), np.uint8)
    none[:, 1:] = rows
    best = zlib.compress(none.tobytes(), 9)
    if h > 1:
        up = np.empty_like(none)
        up[:, 0] = 2
        up[0, 1:] = rows[0]
        up[1:, 1:] = rows[1:] - rows[:-1]  # uint8 wraps, as PNG filter arithmetic does
        cand = zlib.compress(up.tobytes(), 9)
        if len(cand) < len(best):
            best = cand
    return best


def _changed_box(prev: np.ndarray, cur: np.ndarray) -> tuple[int, int, int, int]:
    """(x, y, w, h) of the pixels that differ; a 1x1 box when nothing changed."""
    diff = prev != cur
    if not diff.any():
        return 0, 0, 1, 1
    ys = np.flatnonzero(diff.any(axis=1))
    xs = np.flatnonzero(diff.any(axis=0))
    return int(xs[0]), int(ys[0]), int(xs[-1] - xs[0] + 1), int(ys[-1] - ys[0] + 1)


def encode_apng(
    palette: np.ndarray,
    indices: Sequence[np.ndarray],
    delays_ms: Sequence[int],
    loops: int,
    *,
    delta: bool = True,
) -> bytes:
    """Indexed-colour APNG bytes. `palette`: K x 4 RGBA (K <= 256); `loops`: acTL num_plays (0 = forever)."""
    if not indices:
        raise InvalidInput("an APNG needs at least one frame")
    if len(delays_ms) != len(indices):
        raise InvalidInput("one delay per frame is required")
    if not 1 <= len(palette) <= 256:
        raise InvalidInput("palette must have 1..256 entries")
    if any(not 0 < d <= 65535 for d in delays_ms):
        raise InvalidInput("frame delays must be 1..65535 ms")
    h, w = indices[0].shape
    if any(m.shape != (h, w) or m.dtype != np.uint8 for m in indices):
        raise InvalidInput("index maps must be uint8 and all the same size")
    if int(max(int(m.max()) for m in indices)) >= len(palette):
        raise InvalidInput("index map refers past the end of the palette")
    pal = np.asarray(palette, np.uint8)
    alpha = pal[:, 3]
    last_transparent = int(np.flatnonzero(alpha < 255)[-1]) + 1 if (alpha < 255).any() else 0

    out = [PNG_SIGNATURE, chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, COLOUR_INDEXED, 0, 0, 0))]
    out.append(chunk(b"acTL", struct.pack(">II", len(indices), loops)))
    out.append(chunk(b"PLTE", pal[:, :3].tobytes()))
    if last_transparent:
        out.append(chunk(b"tRNS", alpha[:last_transparent].tobytes()))
    seq = 0
    prev: np.ndarray | None = None
    for i, (cur, delay) in enumerate(zip(indices, delays_ms, strict=True)):
        x, y, fw, fh = (0, 0, w, h) if prev is None or not delta else _changed_box(prev, cur)
        fctl = struct.pack(">IIIIIHHBB", seq, fw, fh, x, y, int(delay), 1000, DISPOSE_NONE, BLEND_SOURCE)
        out.append(chunk(b"fcTL", fctl))
        seq += 1
        data = _compress(np.ascontiguousarray(cur[y : y + fh, x : x + fw]))
        if i == 0:
            out.append(chunk(b"IDAT", data))
        else:
            out.append(chunk(b"fdAT", struct.pack(">I", seq) + data))
            seq += 1
        prev = cur
    out.append(chunk(b"IEND", b""))
    return b"".join(out)


class ApngCodec(PaletteCodec):
    """APNG (LINE, Discord stickers): indexed colour with per-entry alpha, fitted by the palette search."""

    name = "apng"

    def prepare(self, frames: list[np.ndarray], preset: PlatformPreset) -> list[np.ndarray]:
        return frames

    def delays_ms(self, n: int, seconds: float, preset: PlatformPreset) -> list[int]:
        return frame_delays_ms(n, seconds)

    def write(self, q: Quantized, delays_ms: list[int], loops: int, preset: PlatformPreset) -> bytes:
        return encode_apng(q.palette, q.indices, delays_ms, loops)

    def validate(self, data: bytes, preset: PlatformPreset) -> list[RuleResult]:
        return validate_apng(data, preset)


CODEC = ApngCodec()
