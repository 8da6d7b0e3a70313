"""Independent checker of an exported APNG against a platform preset.

It reads the bytes itself (it does not trust our writer, nor Pillow's leniency): signature,
every chunk CRC, IHDR size and colour type, acTL frame/play counts, every fcTL delay and
region, sequence numbers. Pillow is used only to composite the frames for the
"frames not all identical" and "first frame ~ last frame" checks.
"""

from __future__ import annotations

import io
import struct
import zlib
from dataclasses import asdict, dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any, Literal

import numpy as np
from PIL import Image

from popcon.domain.errors import PopconError
from popcon.domain.platforms import PlatformPreset

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
COLOUR_TYPES = {0: "gray", 2: "rgb", 3: "indexed", 4: "gray_alpha", 6: "rgba"}
FIRST_LAST_MAX_RATIO = 2.0  # last->first change vs the median neighbour change: above, the loop jumps


@dataclass(frozen=True)
class RuleResult:
    rule: str
    passed: bool
    measured: Any
    limit: Any
    severity: Literal["error", "warning"] = "error"
    message: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class InvalidExport(PopconError):
    """An exported file breaks a platform rule; the message names the file and the rule."""


@dataclass
class _Frame:
    seq: int
    width: int
    height: int
    x: int
    y: int
    delay: Fraction
    dispose: int
    blend: int


@dataclass
class ParsedApng:
    width: int = 0
    height: int = 0
    bit_depth: int = 0
    colour_type: int = -1
    num_frames: int | None = None  # from acTL
    num_plays: int | None = None
    frames: list[_Frame] = field(default_factory=list)
    bad_crc: list[str] = field(default_factory=list)
    sequence_ok: bool = True
    has_iend: bool = False
    idat_count: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def loop_seconds(self) -> Fraction:
        return sum((f.delay for f in self.frames), Fraction(0))


def parse_apng(data: bytes) -> ParsedApng:
    """Walk the chunks; structural problems are collected, not raised, so every rule can report."""
    p = ParsedApng()
    if not data.startswith(PNG_SIGNATURE):
        p.problems.append("not a PNG signature")
        return p
    pos, expected_seq = len(PNG_SIGNATURE), 0
    while pos + 12 <= len(data):
        (length,) = struct.unpack_from(">I", data, pos)
        kind = data[pos + 4 : pos + 8]
        body = data[pos + 8 : pos + 8 + length]
        if len(body) != length or pos + 12 + length > len(data):
            p.problems.append(f"chunk {kind!r} truncated")
            break
        (crc,) = struct.unpack_from(">I", data, pos + 8 + length)
        if zlib.crc32(kind + body) & 0xFFFFFFFF != crc:
            p.bad_crc.append(kind.decode("latin-1"))
        pos += 12 + length
        if kind == b"IHDR" and length == 13:
            p.width, p.height, p.bit_depth, p.colour_type = struct.unpack(">IIBB", body[:10])
        elif kind == b"acTL" and length == 8:
            p.num_frames, p.num_plays = struct.unpack(">II", body)
        elif kind == b"fcTL" and length == 26:
            seq, w, h, x, y, num, den, dispose, blend = struct.unpack(">IIIIIHHBB", body)
            p.sequence_ok &= seq == expected_seq
            expected_seq = seq + 1
            p.frames.append(_Frame(seq, w, h, x, y, Fraction(num, den or 100), dispose, blend))
        elif kind == b"fdAT" and length >= 4:
            (seq,) = struct.unpack(">I", body[:4])
            p.sequence_ok &= seq == expected_seq
            expected_seq = seq + 1
        elif kind == b"IDAT":
            p.idat_count += 1
        elif kind == b"IEND":
            p.has_iend = True
            break
    if not p.has_iend:
        p.problems.append("no IEND chunk")
    return p


def _decoded_frames(data: bytes) -> list[np.ndarray]:
    with Image.open(io.BytesIO(data)) as im:
        out = []
        for i in range(getattr(im, "n_frames", 1)):
            im.seek(i)
            out.append(np.asarray(im.convert("RGBA")).copy())
        return out


def _premult(a: np.ndarray) -> np.ndarray:
    f = a.astype(np.float32)
    f[..., :3] *= f[..., 3:4] / 255.0
    return f


def _mean_change(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.abs(_premult(a) - _premult(b)).mean())


def _premult_psnr(a: np.ndarray, b: np.ndarray) -> float:
    fa, fb = a.astype(np.float64), b.astype(np.float64)
    fa[..., :3] *= fa[..., 3:4] / 255.0
    fb[..., :3] *= fb[..., 3:4] / 255.0
    mse = float(((fa - fb) ** 2).mean())
    return 99.0 if mse == 0 else round(float(10.0 * np.log10(255.0**2 / mse)), 2)


def _size_rule(p: ParsedApng, preset: PlatformPreset) -> RuleResult:
    c = preset.canvas
    measured = f"{p.width}x{p.height}"
    if c.mode == "exact":
        ok = (p.width, p.height) == (c.width, c.height)
        return RuleResult("canvas_size", ok, measured, f"exactly {c.width}x{c.height}")
    ok = 0 < p.width <= c.width and 0 < p.height <= c.height and max(p.width, p.height) >= c.min_long_side
    if c.square:
        ok &= p.width == p.height
    return RuleResult("canvas_size", ok, measured, f"<= {c.width}x{c.height}, long side >= {c.min_long_side}")


def validate_apng(data: bytes, preset: PlatformPreset) -> list[RuleResult]:
    """Every rule of `preset` that applies to an APNG file, as pass/fail results with the measured values."""
    p = parse_apng(data)
    r: list[RuleResult] = []
    r.append(RuleResult("png_signature", data.startswith(PNG_SIGNATURE), len(data) >= 8, "PNG signature"))
    r.append(RuleResult("chunk_crc", not p.bad_crc, p.bad_crc or "all ok", "every CRC matches"))
    structure_ok = not p.problems and p.idat_count > 0
    r.append(RuleResult("structure", structure_ok, p.problems or "ok", "IHDR..IDAT..IEND"))
    r.append(_size_rule(p, preset))
    ctype = COLOUR_TYPES.get(p.colour_type, f"unknown({p.colour_type})")
    r.append(RuleResult("colour_type", ctype in preset.colour_types, ctype, preset.colour_types))
    r.append(RuleResult("animated", p.num_frames is not None, "acTL" if p.num_frames else "no acTL", "APNG"))
    n = len(p.frames)
    fr = preset.frames
    r.append(RuleResult("frame_count", fr.min <= n <= fr.max, n, f"{fr.min}..{fr.max}"))
    r.append(RuleResult("actl_matches_fctl", p.num_frames == n, p.num_frames, n))
    r.append(RuleResult("sequence_numbers", p.sequence_ok, p.sequence_ok, "0, 1, 2, ... in order"))
    f0 = p.frames[0] if p.frames else None
    first_ok = f0 is not None and (f0.x, f0.y, f0.width, f0.height) == (0, 0, p.width, p.height)
    inside = all(
        f.width and f.height and f.x + f.width <= p.width and f.y + f.height <= p.height for f in p.frames
    )
    regions_ok = bool(first_ok and inside)
    r.append(RuleResult("frame_regions", regions_ok, "ok" if regions_ok else "bad", "inside the canvas"))
    t = preset.timing
    delays_ms = [float(f.delay * 1000) for f in p.frames]
    r.append(RuleResult("frame_delays", all(d > 0 for d in delays_ms), delays_ms, "> 0 ms each"))
    loop = p.loop_seconds
    loop_s: float | str = float(loop) if loop.denominator != 1 else int(loop)
    if t.loop_seconds:
        allowed = {Fraction(s) for s in t.loop_seconds}
        r.append(RuleResult("loop_seconds", loop in allowed, loop_s, t.loop_seconds))
    plays = p.num_plays
    if t.loops_max > 0:
        ok = plays is not None and t.loops_min <= plays <= t.loops_max
        r.append(RuleResult("loop_count", ok, plays, f"{t.loops_min}..{t.loops_max} (0 = infinite refused)"))
    if t.max_total_seconds is not None:
        total = loop * (plays or 1) if t.loops_max > 0 else loop
        ok = plays != 0 or t.loops_max == 0
        ok = ok and total <= Fraction(t.max_total_seconds).limit_denominator()
        r.append(RuleResult("total_playback", ok, float(total), t.max_total_seconds))
    if t.max_fps and loop > 0:
        fps = n / float(loop)
        r.append(RuleResult("fps", fps <= t.max_fps + 1e-9, round(fps, 3), t.max_fps))
    r.append(RuleResult("file_size", len(data) <= preset.max_bytes, len(data), preset.max_bytes))
    try:
        frames = _decoded_frames(data)
    except Exception as e:  # any decoder failure is a verdict, not a crash
        r.append(RuleResult("decodes", False, str(e), "Pillow decodes every frame"))
        return r
    r.append(RuleResult("decodes", len(frames) == n, len(frames), n))
    distinct = any(not np.array_equal(frames[0], f) for f in frames[1:])
    r.append(RuleResult("frames_not_identical", distinct, distinct, "at least two frames differ"))
    if preset.first_last_similarity_warn and len(frames) > 2 and distinct:
        # A seamless loop changes as much from last to first as between any two neighbours; a
        # literal "last == first" would flag every good loop, which never repeats frame 0.
        steps = [_mean_change(frames[i], frames[i + 1]) for i in range(len(frames) - 1)]
        typical = max(float(np.median(steps)), 1e-3)
        ratio = round(_mean_change(frames[-1], frames[0]) / typical, 2)
        r.append(
            RuleResult(
                "first_last_similar",
                ratio <= FIRST_LAST_MAX_RATIO,
                {"seam_ratio": ratio, "psnr_db": _premult_psnr(frames[0], frames[-1])},
                f"last->first change <= {FIRST_LAST_MAX_RATIO} x the median frame change",
                "warning",
                "reviewers prefer the last frame to lead back to the first",
            )
        )
    return r


def validate_file(path: Path, preset: PlatformPreset) -> list[RuleResult]:
    return validate_apng(Path(path).read_bytes(), preset)


def failures(results: list[RuleResult]) -> list[RuleResult]:
    """The results that block submission (errors that did not pass)."""
    return [x for x in results if not x.passed and x.severity == "error"]


def require_valid(results: list[RuleResult], name: str) -> None:
    """Raise InvalidExport naming the file and every broken rule."""
    bad = failures(results)
    if bad:
        detail = "; ".join(f"{x.rule}: measured {x.measured!r}, limit {x.limit!r}" for x in bad)
        raise InvalidExport(f"{name} breaks the platform rules: {detail}")
