"""Which characters a font file has: its `cmap` table read straight from the OpenType/TrueType file.

Pillow draws a missing character as the font's .notdef box without saying so, so coverage is read
from the font itself: a character is present when the cmap maps it to a glyph other than 0. Handles
single fonts (.ttf/.otf) and collections (.ttc, one face by index), cmap subtables of format 4 (the
Basic Multilingual Plane) and 12 (all planes). No dependency beyond the standard library.
"""

from __future__ import annotations

import struct
from functools import lru_cache
from pathlib import Path

from popcon.domain.errors import InvalidInput

# (platform, encoding) of the Unicode cmap subtables, best first: full repertoire before BMP only.
_UNICODE_SUBTABLES = ((3, 10), (0, 6), (0, 4), (3, 1), (0, 3), (0, 2), (0, 1), (0, 0))


def _u16(b: bytes, at: int) -> int:
    return int(struct.unpack_from(">H", b, at)[0])


def _u32(b: bytes, at: int) -> int:
    return int(struct.unpack_from(">I", b, at)[0])


def _face_offset(data: bytes, index: int, name: str) -> int:
    if data[:4] != b"ttcf":
        if index != 0:
            raise InvalidInput(f"{name} holds one face; face {index} was asked for")
        return 0
    count = _u32(data, 8)
    if not 0 <= index < count:
        raise InvalidInput(f"{name} holds {count} faces; face {index} was asked for")
    return _u32(data, 12 + 4 * index)


def _table(data: bytes, face: int, tag: bytes, name: str) -> int:
    num = _u16(data, face + 4)
    for k in range(num):
        rec = face + 12 + 16 * k
        if data[rec : rec + 4] == tag:
            return _u32(data, rec + 8)
    raise InvalidInput(f"{name} has no {tag.decode()} table: not a usable font")


def _format4(data: bytes, at: int) -> set[int]:
    seg2 = _u16(data, at + 6)
    ends, starts = at + 14, at + 16 + seg2
    deltas, ranges = starts + seg2, starts + 2 * seg2
    out: set[int] = set()
    for s in range(0, seg2, 2):
        end, start = _u16(data, ends + s), _u16(data, starts + s)
        delta, roff = _u16(data, deltas + s), _u16(data, ranges + s)
        for c in range(start, min(end, 0xFFFE) + 1):
            if roff == 0:
                glyph = (c + delta) & 0xFFFF
            else:
                g = _u16(data, ranges + s + roff + 2 * (c - start))
                glyph = (g + delta) & 0xFFFF if g else 0
            if glyph:
                out.add(c)
    return out


def _format12(data: bytes, at: int) -> set[int]:
    groups = _u32(data, at + 12)
    out: set[int] = set()
    for k in range(groups):
        g = at + 16 + 12 * k
        start, end, first = _u32(data, g), _u32(data, g + 4), _u32(data, g + 8)
        out.update(range(start if first else start + 1, end + 1))  # glyph 0 is .notdef: missing
    return out


@lru_cache(maxsize=32)
def font_charset(path: Path, index: int = 0) -> frozenset[int]:
    """Every code point the face maps to a real glyph (cached per file and face)."""
    name = Path(path).name
    try:
        data = Path(path).read_bytes()
        face = _face_offset(data, index, name)
        cmap = _table(data, face, b"cmap", name)
        subtables = {
            (_u16(data, cmap + 4 + 8 * k), _u16(data, cmap + 6 + 8 * k)): cmap + _u32(data, cmap + 8 + 8 * k)
            for k in range(_u16(data, cmap + 2))
        }
        for key in _UNICODE_SUBTABLES:
            if key in subtables:
                at = subtables[key]
                fmt = _u16(data, at)
                if fmt == 12:
                    return frozenset(_format12(data, at))
                if fmt == 4:
                    return frozenset(_format4(data, at))
    except (OSError, struct.error, IndexError) as e:
        raise InvalidInput(f"cannot read the font {name}: {e}") from e
    raise InvalidInput(f"{name} has no Unicode character map (format 4 or 12)")
