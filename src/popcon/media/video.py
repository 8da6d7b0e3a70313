"""Video decode and encode through PyAV (FFmpeg libraries bundled in its wheels)."""

from __future__ import annotations

import itertools
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import numpy as np

from popcon.atomic import atomic_path
from popcon.domain.errors import InvalidInput

MAX_DECODE_FRAMES = 24 * 60  # a minute at 24 fps: longer imports are trimmed, not loaded whole


@dataclass(frozen=True)
class ClipInfo:
    width: int
    height: int
    fps: float
    frames: int


def probe(path: Path) -> ClipInfo:
    try:
        with av.open(str(path)) as c:
            if not c.streams.video:
                raise InvalidInput(f"{path.name} has no video stream")
            s = c.streams.video[0]
            rate = float(s.average_rate or s.guessed_rate or 24)
            n = s.frames
            if not n and s.duration and s.time_base:
                n = round(float(s.duration * s.time_base) * rate)
            return ClipInfo(s.codec_context.width, s.codec_context.height, rate, int(n or 0))
    except av.FFmpegError as e:
        raise InvalidInput(f"cannot read video {path.name}: {e}") from e


def _vp9_alpha(stream: av.VideoStream) -> bool:
    """A VP9 stream that keeps alpha in WebM BlockAdditions (`alpha_mode`), which decoders drop."""
    return stream.codec_context.name == "vp9" and stream.metadata.get("alpha_mode") == "1"


def _plane(frame: av.VideoFrame, index: int) -> np.ndarray:
    """One plane of a decoded frame as stored (no range or colour conversion)."""
    plane = frame.planes[index]
    rows = np.frombuffer(memoryview(plane), np.uint8).reshape(-1, plane.line_size)
    return rows[: frame.height, : frame.width]


def _vp9_rgba(c: av.container.InputContainer, stream: av.VideoStream) -> Iterator[np.ndarray]:
    """RGBA frames of a VP9 stream with alpha. The alpha is a second VP9 stream whose luma is the alpha,
    one frame per packet in the packet's BlockAdditional side data (8 bytes of id, then the frame):
    decoded here by a second decoder, so the alpha never depends on a decoder wrapper that keeps it.
    A packet without side data is opaque."""
    alpha_dec = av.CodecContext.create("vp9", "r")
    colours: deque[av.VideoFrame] = deque()
    alphas: deque[np.ndarray | None] = deque()
    for packet in c.demux(stream):
        if packet.size == 0:
            continue
        side = bytes(packet.get_sidedata("matroska_block_additional"))
        got = list(stream.codec_context.decode(packet))
        colours.extend(f for f in got if isinstance(f, av.VideoFrame))
        if len(side) > 8:
            for decoded in alpha_dec.decode(av.Packet(side[8:])):
                if isinstance(decoded, av.VideoFrame):
                    alphas.append(_plane(decoded, 0).copy())
        else:
            alphas.extend([None] * len(got))
        while colours and alphas:
            rgb = colours.popleft().to_ndarray(format="rgb24")
            plane = alphas.popleft()
            if plane is None or plane.shape != rgb.shape[:2]:
                plane = np.full(rgb.shape[:2], 255, np.uint8)
            yield np.dstack([rgb, plane])


def _has_alpha(frame: av.VideoFrame) -> bool:
    fmt = frame.format
    return fmt.has_palette or any(comp.is_alpha for comp in fmt.components)


def iter_frames(
    path: Path, max_frames: int = MAX_DECODE_FRAMES, *, alpha: bool = False
) -> Iterator[np.ndarray]:
    """Yield uint8 frames in display order: RGB, or RGBA (straight) when `alpha` and the stream's pixel
    format has an alpha channel or a palette (GIF transparency), or it is VP9 with alpha; an opaque
    format still gives RGB."""
    try:
        with av.open(str(path)) as c:
            if not c.streams.video:
                raise InvalidInput(f"{path.name} has no video stream")
            stream = c.streams.video[0]
            if alpha and _vp9_alpha(stream):
                yield from itertools.islice(_vp9_rgba(c, stream), max_frames)
                return
            stream.thread_type = "AUTO"
            fmt: str | None = None
            for i, frame in enumerate(c.decode(stream)):
                if i >= max_frames:
                    break
                if fmt is None:
                    fmt = "rgba" if alpha and _has_alpha(frame) else "rgb24"
                yield frame.to_ndarray(format=fmt)
    except av.FFmpegError as e:
        raise InvalidInput(f"cannot decode video {path.name}: {e}") from e


def decode_frames(
    path: Path, max_frames: int = MAX_DECODE_FRAMES, *, keep_alpha: bool = False
) -> tuple[list[np.ndarray], float]:
    """All frames and the frame rate. RGB, unless `keep_alpha` and the clip is transparent somewhere:
    then RGBA with straight alpha (a clip whose alpha channel is opaque everywhere comes as RGB, so it
    still goes through the matte)."""
    if not path.is_file():
        raise InvalidInput(f"no such video: {path}")
    info = probe(path)
    frames = list(iter_frames(path, max_frames, alpha=keep_alpha))
    if not frames:
        raise InvalidInput(f"{path.name} has no decodable frames")
    if frames[0].shape[2] == 4 and all(int(f[..., 3].min()) == 255 for f in frames):
        frames = [np.ascontiguousarray(f[..., :3]) for f in frames]
    return frames, info.fps


def _encode(
    frames: Iterable[np.ndarray],
    path: Path,
    fmt: str,
    open_stream: Callable[[av.container.OutputContainer, int, int], Any],
    to_frame: Callable[[np.ndarray, Any], av.VideoFrame],
) -> Path:
    """The encode loop both writers share: the stream is opened at the first frame's size, every frame
    muxed, the encoder flushed; written under a temporary name and renamed, so a crash never leaves a
    half file under `path`."""
    with atomic_path(path) as tmp:
        container = av.open(str(tmp), mode="w", format=fmt)
        try:
            stream = None
            for frame in frames:
                if stream is None:
                    stream = open_stream(container, frame.shape[1], frame.shape[0])
                for packet in stream.encode(to_frame(frame, stream)):
                    container.mux(packet)
            if stream is None:
                raise InvalidInput("cannot encode a clip with no frames")
            for packet in stream.encode():
                container.mux(packet)
        finally:
            container.close()
    return path


def encode_lossless(frames: Iterable[np.ndarray], path: Path, fps: float) -> Path:
    """Write RGBA frames (straight alpha) losslessly: QuickTime Animation (RLE) in MOV, every bit of
    colour and alpha kept (a clip whose provider knows the transparency never meets a key colour or a
    4:2:0 encode)."""

    def open_stream(container: av.container.OutputContainer, w: int, h: int) -> Any:
        stream = container.add_stream("qtrle", rate=Fraction(fps).limit_denominator(1001))
        stream.width, stream.height = w, h
        stream.pix_fmt = "argb"
        return stream

    def to_frame(frame: np.ndarray, _stream: Any) -> av.VideoFrame:
        if frame.shape[2] != 4:
            frame = np.dstack([frame, np.full(frame.shape[:2], 255, np.uint8)])
        return av.VideoFrame.from_ndarray(np.ascontiguousarray(frame), format="rgba")

    return _encode(frames, path, "mov", open_stream, to_frame)


def encode_mp4(frames: Iterable[np.ndarray], path: Path, fps: int, crf: int = 18) -> Path:
    """Write RGB frames as H.264 yuv420p MP4, the way video models deliver clips (even sides: 4:2:0)."""

    def open_stream(container: av.container.OutputContainer, w: int, h: int) -> Any:
        stream = container.add_stream("libx264", rate=Fraction(fps, 1))
        stream.width, stream.height = w - w % 2, h - h % 2
        stream.pix_fmt = "yuv420p"
        stream.options = {"crf": str(crf), "preset": "veryfast"}
        return stream

    def to_frame(frame: np.ndarray, stream: Any) -> av.VideoFrame:
        rgb = np.ascontiguousarray(frame[: stream.height, : stream.width, :3])
        return av.VideoFrame.from_ndarray(rgb, format="rgb24")

    return _encode(frames, path, "mp4", open_stream, to_frame)


def pack_png_sequence(folder: Path, out: Path, fps: float) -> Path:
    """An imported PNG sequence (frames in name order, one size) as one lossless clip, alpha kept."""
    from popcon.media.images import read_png

    paths = sorted(p for p in folder.glob("*.png") if not p.name.startswith("."))
    if not paths:
        raise InvalidInput(f"{folder.name} holds no PNG frames")
    if len(paths) > MAX_DECODE_FRAMES:
        raise InvalidInput(f"{folder.name} has {len(paths)} frames; at most {MAX_DECODE_FRAMES}")
    first = read_png(paths[0]).shape[:2]

    def frames() -> Iterator[np.ndarray]:
        for p in paths:
            f = read_png(p)
            if f.shape[:2] != first:
                raise InvalidInput(
                    f"{p.name} is {f.shape[1]}x{f.shape[0]}, the first frame {first[1]}x{first[0]}"
                )
            yield f

    return encode_lossless(frames(), out, fps)
