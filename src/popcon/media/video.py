"""Video decode and encode through PyAV (FFmpeg libraries bundled in its wheels)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

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


def iter_frames(path: Path, max_frames: int = MAX_DECODE_FRAMES) -> Iterator[np.ndarray]:
    """Yield RGB uint8 frames in display order."""
    try:
        with av.open(str(path)) as c:
            if not c.streams.video:
                raise InvalidInput(f"{path.name} has no video stream")
            stream = c.streams.video[0]
            stream.thread_type = "AUTO"
            for i, frame in enumerate(c.decode(stream)):
                if i >= max_frames:
                    break
                yield frame.to_ndarray(format="rgb24")
    except av.FFmpegError as e:
        raise InvalidInput(f"cannot decode video {path.name}: {e}") from e


def decode_frames(path: Path, max_frames: int = MAX_DECODE_FRAMES) -> tuple[list[np.ndarray], float]:
    """All frames (RGB uint8) and the frame rate."""
    if not path.is_file():
        raise InvalidInput(f"no such video: {path}")
    info = probe(path)
    frames = list(iter_frames(path, max_frames))
    if not frames:
        raise InvalidInput(f"{path.name} has no decodable frames")
    return frames, info.fps


def encode_mp4(frames: Iterable[np.ndarray], path: Path, fps: int, crf: int = 18) -> Path:
    """Write RGB frames as H.264 yuv420p MP4, the way video models deliver clips.

    Writes to a temporary name and renames, so a crash never leaves a half file under `path`.
    """
    with atomic_path(path) as tmp:
        container = av.open(str(tmp), mode="w", format="mp4")
        try:
            stream = None
            for frame in frames:
                if stream is None:
                    h, w = frame.shape[:2]
                    stream = container.add_stream("libx264", rate=Fraction(fps, 1))
                    stream.width, stream.height = w - w % 2, h - h % 2
                    stream.pix_fmt = "yuv420p"
                    stream.options = {"crf": str(crf), "preset": "veryfast"}
                rgb = np.ascontiguousarray(frame[: stream.height, : stream.width, :3])
                for packet in stream.encode(av.VideoFrame.from_ndarray(rgb, format="rgb24")):
                    container.mux(packet)
            if stream is None:
                raise InvalidInput("cannot encode a clip with no frames")
            for packet in stream.encode():
                container.mux(packet)
        finally:
            container.close()
    return path
