"""Independent checker of an exported APNG, GIF or WebM against a platform preset.

It reads the bytes itself (it does not trust our writers, nor Pillow's leniency). APNG:
signature, every chunk CRC, IHDR size and colour type, acTL frame/play counts, every fcTL delay
and region, sequence numbers. GIF: logical screen, every block, per-frame delay and disposal,
the NETSCAPE loop extension. WebM: the EBML doctype, then PyAV (FFmpeg) for streams, codec,
alpha, duration and frame rate, decoding every frame with libvpx so alpha is really there.
Decoders are used only to composite frames for the "frames not all identical" and "first frame
~ last frame" checks. Which checker applies is the codec's choice (popcon.media.formats).
"""

from __future__ import annotations

import io
import struct
import zlib
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, ClassVar, cast

import numpy as np
from PIL import Image

from popcon.domain.errors import PopconError
from popcon.domain.exports import RuleResult
from popcon.domain.platforms import PlatformPreset

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
COLOUR_TYPES = {0: "gray", 2: "rgb", 3: "indexed", 4: "gray_alpha", 6: "rgba"}
LOSSY_NOISE, LOSSY_CHANGED_SHARE = 32, 0.02  # WebM: a real change moves > 2 % of pixels by > 32
FIRST_LAST_MAX_RATIO = 2.0  # last->first change vs the median neighbour change: above, the loop jumps


class InvalidExport(PopconError):
    """An exported file breaks a platform rule; the message names the file and the rule."""

    code: ClassVar[str] = "invalid_export"


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


def _changed_share(a: np.ndarray, b: np.ndarray) -> float:
    """Share of pixels that differ by more than codec noise (premultiplied, any channel)."""
    return float((np.abs(_premult(a) - _premult(b)).max(axis=-1) > LOSSY_NOISE).mean())


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


def _png_rules(data: bytes, p: ParsedApng, preset: PlatformPreset) -> list[RuleResult]:
    """The rules every PNG (animated or still) must pass: signature, CRCs, chunk order, canvas size."""
    structure_ok = not p.problems and p.idat_count > 0
    return [
        RuleResult("png_signature", data.startswith(PNG_SIGNATURE), len(data) >= 8, "PNG signature"),
        RuleResult("chunk_crc", not p.bad_crc, p.bad_crc or "all ok", "every CRC matches"),
        RuleResult("structure", structure_ok, p.problems or "ok", "IHDR..IDAT..IEND"),
        _size_rule(p, preset),
    ]


def validate_apng(data: bytes, preset: PlatformPreset) -> list[RuleResult]:
    """Every rule of `preset` that applies to an APNG file, as pass/fail results with the measured values."""
    p = parse_apng(data)
    r = _png_rules(data, p, preset)
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


@dataclass
class _GifFrame:
    x: int
    y: int
    width: int
    height: int
    delay_cs: int
    dispose: int
    transparent: bool


@dataclass
class ParsedGif:
    version: str = ""
    width: int = 0
    height: int = 0
    loops: int | None = None  # NETSCAPE2.0 loop count; None = no loop extension (plays once)
    frames: list[_GifFrame] = field(default_factory=list)
    has_trailer: bool = False
    problems: list[str] = field(default_factory=list)


_LOOP_EXTENSIONS = (b"\x0bNETSCAPE2.0\x03\x01", b"\x0bANIMEXTS1.0\x03\x01")


def _skip_sub_blocks(data: bytes, pos: int) -> int:
    while pos < len(data) and data[pos]:
        pos += data[pos] + 1
    if pos >= len(data):
        raise IndexError("sub-blocks run past the end")
    return pos + 1


def parse_gif(data: bytes) -> ParsedGif:
    """Walk the GIF blocks; problems are collected, not raised, so every rule can report."""
    p = ParsedGif()
    if data[:6] not in (b"GIF87a", b"GIF89a"):
        p.problems.append("not a GIF signature")
        return p
    p.version = data[3:6].decode("ascii")
    try:
        p.width, p.height, flags = struct.unpack_from("<HHB", data, 6)
        pos = 13 + ((3 << ((flags & 7) + 1)) if flags & 0x80 else 0)
        gce: tuple[int, int, bool] = (0, 0, False)
        while pos < len(data):
            b = data[pos]
            if b == 0x3B:
                p.has_trailer = True
                break
            if b == 0x21:
                label = data[pos + 1]
                if label == 0xF9 and data[pos + 2] == 4:
                    packed, delay, _ = struct.unpack_from("<BHB", data, pos + 3)
                    gce = (delay, (packed >> 2) & 7, bool(packed & 1))
                elif label == 0xFF and data[pos + 2 : pos + 16] in _LOOP_EXTENSIONS:
                    (p.loops,) = struct.unpack_from("<H", data, pos + 16)
                pos = _skip_sub_blocks(data, pos + 2)
            elif b == 0x2C:
                x, y, w, h, fl = struct.unpack_from("<HHHHB", data, pos + 1)
                pos += 10 + ((3 << ((fl & 7) + 1)) if fl & 0x80 else 0)
                pos = _skip_sub_blocks(data, pos + 1)  # LZW minimum code size, then the data
                p.frames.append(_GifFrame(x, y, w, h, gce[0], gce[1], gce[2]))
                gce = (0, 0, False)
            else:
                p.problems.append(f"unknown block 0x{b:02x} at byte {pos}")
                break
    except (IndexError, struct.error):
        p.problems.append("truncated")
    if not p.has_trailer and not p.problems:
        p.problems.append("no trailer")
    return p


def validate_png(data: bytes, preset: PlatformPreset) -> list[RuleResult]:
    """The rules of a still PNG (tab images): a sound PNG at the exact size, within the byte limit."""
    p = parse_apng(data)
    r = _png_rules(data, p, preset)
    r.append(RuleResult("file_size", len(data) <= preset.max_bytes, len(data), preset.max_bytes))
    return r


def _pil_frames(data: bytes) -> list[np.ndarray]:
    return _decoded_frames(data)


def _common_tail(
    r: list[RuleResult], frames: list[np.ndarray], n: int, preset: PlatformPreset, lossy: bool = False
) -> list[RuleResult]:
    r.append(RuleResult("decodes", len(frames) == n, len(frames), n))
    if lossy:
        # A lossy codec never decodes two frames bit-identically, and VP9 at high CRF shifts
        # edge blocks between frames of a still clip: the check is approximate, so a warning.
        change = max((_changed_share(frames[0], f) for f in frames[1:]), default=0.0)
        distinct = change > LOSSY_CHANGED_SHARE
        limit = f"> {LOSSY_CHANGED_SHARE:.0%} of pixels change by > {LOSSY_NOISE} levels"
        r.append(
            RuleResult(
                "frames_not_identical", distinct, f"{change:.2%}", limit, "warning", "the clip looks still"
            )
        )
        return r
    distinct = any(not np.array_equal(frames[0], f) for f in frames[1:])
    r.append(RuleResult("frames_not_identical", distinct, distinct, "at least two frames differ"))
    return r


def _loop_rule(plays: int | None, preset: PlatformPreset) -> RuleResult:
    t = preset.timing
    if t.loops_max == 0:
        return RuleResult("loop_count", plays == 0, plays, "0 (loops forever)")
    ok = plays is not None and t.loops_min <= plays <= t.loops_max
    return RuleResult("loop_count", ok, plays, f"{t.loops_min}..{t.loops_max}")


def validate_gif(data: bytes, preset: PlatformPreset) -> list[RuleResult]:
    """Every rule of `preset` that applies to an animated GIF, with the measured values."""
    p = parse_gif(data)
    r: list[RuleResult] = []
    r.append(RuleResult("gif_signature", p.version == "89a", p.version or "none", "GIF89a"))
    r.append(RuleResult("structure", not p.problems, p.problems or "ok", "blocks .. trailer"))
    r.append(_size_rule(ParsedApng(width=p.width, height=p.height), preset))
    n = len(p.frames)
    fr = preset.frames
    r.append(RuleResult("frame_count", fr.min <= n <= fr.max, n, f"{fr.min}..{fr.max}"))
    inside = n > 0 and all(
        f.width and f.height and f.x + f.width <= p.width and f.y + f.height <= p.height for f in p.frames
    )
    r.append(RuleResult("frame_regions", inside, "ok" if inside else "bad", "inside the logical screen"))
    t = preset.timing
    delays = [f.delay_cs * 10 for f in p.frames]
    min_ms = max(10, t.min_delay_ms)
    r.append(
        RuleResult("frame_delays", bool(delays) and min(delays) >= min_ms, delays, f">= {min_ms} ms each")
    )
    r.append(_loop_rule(p.loops, preset))
    loop = Fraction(sum(delays), 1000)
    if t.loop_seconds:
        r.append(
            RuleResult(
                "loop_seconds", loop in {Fraction(s) for s in t.loop_seconds}, float(loop), t.loop_seconds
            )
        )
    if t.max_total_seconds is not None:
        ok = loop <= Fraction(t.max_total_seconds).limit_denominator()
        r.append(RuleResult("total_playback", ok, float(loop), t.max_total_seconds))
    if t.max_fps and loop > 0:
        fps = n / float(loop)
        r.append(RuleResult("fps", fps <= t.max_fps + 1e-9, round(fps, 3), t.max_fps))
    if preset.alpha == "binary":
        ok = n > 0 and p.frames[0].transparent
        r.append(RuleResult("transparency", ok, ok, "transparent background (GCE transparency index)"))
    r.append(RuleResult("file_size", len(data) <= preset.max_bytes, len(data), preset.max_bytes))
    try:
        frames = _pil_frames(data)
    except Exception as e:  # any decoder failure is a verdict, not a crash
        r.append(RuleResult("decodes", False, str(e), "Pillow decodes every frame"))
        return r
    return _common_tail(r, frames, n, preset)


@dataclass
class ParsedWebm:
    doctype: str = ""
    video_streams: int = 0
    other_streams: list[str] = field(default_factory=list)
    codec: str = ""
    width: int = 0
    height: int = 0
    alpha_mode: str = ""
    duration: float | None = None
    frames: list[np.ndarray] = field(default_factory=list)
    pts_seconds: list[float] = field(default_factory=list)
    pix_fmt: str = ""
    problems: list[str] = field(default_factory=list)


def _ebml_doctype(data: bytes) -> str:
    """The EBML header's DocType ("webm" vs "matroska"); FFmpeg reports both as one format."""
    i = data.find(b"\x42\x82", 0, 64)
    if not data.startswith(b"\x1a\x45\xdf\xa3") or i < 0 or i + 3 > len(data):
        return ""
    size_byte = data[i + 2]
    if not size_byte & 0x80:
        return ""
    n = size_byte & 0x7F
    return data[i + 3 : i + 3 + n].decode("ascii", "replace")


def frame_rgba(frame: Any) -> np.ndarray:
    """RGBA array of a decoded PyAV frame, alpha read straight from the yuva420p A plane.

    swscale's yuva420p -> rgba conversion garbles the alpha of the last pixels of some rows
    (seen at 100x100); the A plane itself is exact.
    """
    rgba = frame.to_ndarray(format="rgba")
    if frame.format.name == "yuva420p":
        plane = frame.planes[3]
        a = np.frombuffer(plane, np.uint8).reshape(-1, plane.line_size)[: frame.height, : frame.width]
        rgba[..., 3] = a
    return rgba


def parse_webm(data: bytes, decode: bool = True) -> ParsedWebm:
    """Streams and timing through PyAV; every frame decoded with libvpx-vp9 (it keeps alpha)."""
    import av
    from av.video.codeccontext import VideoCodecContext
    from av.video.stream import VideoStream

    p = ParsedWebm(doctype=_ebml_doctype(data))
    try:
        with av.open(io.BytesIO(data), mode="r") as c:
            if c.duration is not None:
                p.duration = c.duration / 1_000_000
            video: VideoStream | None = None
            for st in c.streams:
                if isinstance(st, VideoStream):
                    p.video_streams += 1
                    video = video or st
                else:
                    p.other_streams.append(f"{st.type}:{st.codec_context.name}")
            if video is None:
                p.problems.append("no video stream")
                return p
            p.codec = video.codec_context.name
            p.width, p.height = video.codec_context.width, video.codec_context.height
            p.alpha_mode = str(video.metadata.get("alpha_mode", ""))
            if not decode:
                return p
            dec = cast(
                VideoCodecContext, av.CodecContext.create("libvpx-vp9" if p.codec == "vp9" else p.codec, "r")
            )
            tb = video.time_base
            for pkt in c.demux(video):
                for fr in dec.decode(pkt if pkt.size else None):
                    p.pix_fmt = p.pix_fmt or fr.format.name
                    p.frames.append(frame_rgba(fr))
                    if pkt.pts is not None and tb is not None:
                        p.pts_seconds.append(float(pkt.pts * tb))
    except Exception as e:  # any demux/decoder failure is a verdict, not a crash
        p.problems.append(f"{type(e).__name__}: {e}")
    return p


def validate_webm(data: bytes, preset: PlatformPreset) -> list[RuleResult]:
    """Every rule of `preset` that applies to a WebM video sticker/emoji, with the measured values."""
    p = parse_webm(data)
    r: list[RuleResult] = []
    r.append(RuleResult("container", p.doctype == "webm", p.doctype or "not EBML", "webm"))
    r.append(RuleResult("structure", not p.problems, p.problems or "ok", "demuxes and decodes"))
    want = preset.codec or "vp9"
    r.append(RuleResult("codec", p.codec == want, p.codec or "none", want))
    r.append(RuleResult("single_video_stream", p.video_streams == 1, p.video_streams, 1))
    r.append(
        RuleResult("no_audio", not p.other_streams, p.other_streams or "none", "no audio or other stream")
    )
    r.append(_size_rule(ParsedApng(width=p.width, height=p.height), preset))
    if preset.alpha == "full":
        ok = p.alpha_mode == "1" and p.pix_fmt == "yuva420p"
        r.append(
            RuleResult("alpha", ok, f"alpha_mode={p.alpha_mode or '-'} {p.pix_fmt}", "yuva420p, alpha_mode=1")
        )
    n = len(p.frames)
    fr = preset.frames
    r.append(RuleResult("frame_count", fr.min <= n <= fr.max, n, f"{fr.min}..{fr.max}"))
    t = preset.timing
    dur = p.duration or 0.0
    if t.max_total_seconds is not None:
        ok = 0 < dur <= t.max_total_seconds + 1e-6
        r.append(RuleResult("duration", ok, round(dur, 3), f"<= {t.max_total_seconds} s"))
    if t.max_fps:
        fps = n / dur if dur > 0 else float("inf")
        steps = np.diff(p.pts_seconds) if len(p.pts_seconds) > 1 else np.array([1.0])
        peak = 1.0 / float(steps.min()) if float(steps.min()) > 0 else float("inf")
        ok = fps <= t.max_fps + 1e-6 and peak <= t.max_fps * 1.05
        r.append(RuleResult("fps", ok, {"average": round(fps, 3), "peak": round(peak, 3)}, t.max_fps))
    r.append(RuleResult("file_size", len(data) <= preset.max_bytes, len(data), preset.max_bytes))
    if not p.frames:
        r.append(RuleResult("decodes", False, 0, "libvpx decodes every frame"))
        return r
    return _common_tail(r, p.frames, n, preset, lossy=True)


def failures(results: list[RuleResult]) -> list[RuleResult]:
    """The results that block submission (errors that did not pass)."""
    return [x for x in results if not x.passed and x.severity == "error"]


def require_valid(results: list[RuleResult], name: str) -> None:
    """Raise InvalidExport naming the file and every broken rule."""
    bad = failures(results)
    if bad:
        detail = "; ".join(f"{x.rule}: measured {x.measured!r}, limit {x.limit!r}" for x in bad)
        raise InvalidExport(f"{name} breaks the platform rules: {detail}")
