"""WebM codec: VP9 with alpha (Telegram video stickers and custom emoji) through PyAV.

FFmpeg's libvpx-vp9 encodes the alpha plane as a second VP9 stream carried in Matroska
BlockAdditions (`alpha_mode=1`), from `yuva420p` frames. The byte budget is met by searching
CRF (constant quality, `b:v 0`) first, then the frame rate; the canvas stays as the platform
demands (one side 512, or 100x100). Colour under fully transparent pixels is filled from the
nearby visible colour: 4:2:0 chroma is shared by 2x2 pixels, and black there would bleed a
dark fringe into the edge.
"""

from __future__ import annotations

import io
import itertools
from collections.abc import Sequence
from fractions import Fraction

import cv2
import numpy as np

from popcon.domain.exports import RuleResult
from popcon.domain.platforms import PlatformPreset
from popcon.media.budget import BudgetExceeded, Fit, Knobs, budget_exceeded, frame_count_steps, select_frames
from popcon.media.validate import parse_webm, validate_webm

CRF_STEPS: tuple[int, ...] = (10, 14, 18, 24, 30, 36, 42, 50, 58, 63)  # best quality first
# libvpx speed settings: the CRF search runs at realtime speed (3x faster, ~15 % bigger files at the
# same CRF); the chosen CRF is then encoded once at "good" quality, which is smaller still.
SEARCH_SPEED = ("realtime", 8)
FINAL_SPEED = ("good", 4)


def bleed_colour(rgba: np.ndarray, radius: int = 4) -> np.ndarray:
    """Copy with the RGB of invisible pixels replaced by the average of the visible colour nearby."""
    a = rgba[..., 3:4].astype(np.float32) / 255.0
    pre = rgba[..., :3].astype(np.float32) * a
    k = (2 * radius + 1, 2 * radius + 1)
    num = cv2.blur(pre, k)
    den = cv2.blur(a, k)[..., None]
    fill = np.where(den > 1e-4, num / np.maximum(den, 1e-4), 0.0)
    out = rgba.copy()
    hidden = rgba[..., 3] == 0
    out[hidden, :3] = np.clip(fill[hidden] + 0.5, 0, 255).astype(np.uint8)
    return out


def pts_ms(n: int, seconds: float) -> list[int]:
    """Presentation times (ms) of `n` evenly spaced frames in a loop of `seconds`."""
    total = round(seconds * 1000)
    return [i * total // n for i in range(n)]


def _even(frames: Sequence[np.ndarray]) -> list[np.ndarray]:
    """Pad odd sizes by one transparent row/column (4:2:0 wants even sizes; the content is untouched)."""
    h, w = frames[0].shape[:2]
    ph, pw = h % 2, w % 2
    if not (ph or pw):
        return list(frames)
    return [np.pad(f, ((0, ph), (0, pw), (0, 0))) for f in frames]


def prepare_frames(frames: Sequence[np.ndarray]) -> list[np.ndarray]:
    """Even-sized frames with the colour under invisible pixels filled (done once per clip)."""
    return [np.ascontiguousarray(bleed_colour(f)) for f in _even(frames)]


def encode_webm(
    frames: Sequence[np.ndarray],
    seconds: float,
    crf: int,
    *,
    speed: tuple[str, int] = FINAL_SPEED,
    prepared: bool = False,
) -> bytes:
    """RGBA frames (one loop of `seconds`) -> VP9 + alpha WebM bytes, video only."""
    import av

    frames = list(frames) if prepared else prepare_frames(frames)
    h, w = frames[0].shape[:2]
    n = len(frames)
    times = pts_ms(n, seconds)
    buf = io.BytesIO()
    with av.open(buf, "w", format="webm") as out:
        rate = Fraction(n * 1000, round(seconds * 1000))
        st = out.add_stream("libvpx-vp9", rate=rate)
        st.width, st.height = w, h
        st.pix_fmt = "yuva420p"
        st.codec_context.time_base = Fraction(1, 1000)
        st.options = {
            "crf": str(crf),
            "b": "0",
            "deadline": speed[0],
            "cpu-used": str(speed[1]),
            "row-mt": "1",
            "auto-alt-ref": "0",  # alt-ref frames with alpha upset some players
            "lag-in-frames": "0",
        }
        for f, t in zip(frames, times, strict=True):
            vf = av.VideoFrame.from_ndarray(f, format="rgba")
            vf = vf.reformat(format="yuva420p")
            vf.pts = t
            vf.time_base = Fraction(1, 1000)
            for pkt in st.encode(vf):
                out.mux(pkt)
        for pkt in st.encode():
            out.mux(pkt)
    return buf.getvalue()


def fit_webm(
    frames: Sequence[np.ndarray],
    seconds: float,
    preset: PlatformPreset,
    *,
    max_bytes: int | None = None,
    crf_steps: Sequence[int] = CRF_STEPS,
) -> Fit:
    """Best WebM within budget: lowest CRF that fits at the most frames the fps limit allows.

    CRF is binary-searched with fast encodes, then the winner is re-encoded at full effort (kept
    only if it still fits, which it does in practice: slower libvpx is smaller at equal CRF).
    Raises BudgetExceeded with the smallest size reached when even the worst setting is too big.
    """
    budget = max_bytes or preset.max_bytes
    steps = sorted(set(crf_steps))
    attempts: list[tuple[Knobs, int]] = []
    smallest: tuple[int, Knobs] | None = None
    for n in frame_count_steps(len(frames), preset, seconds):
        picks = select_frames(len(frames), n)
        clip = prepare_frames([frames[i] for i in picks])
        cache: dict[int, bytes] = {}

        def encode(
            crf: int, clip: list[np.ndarray] = clip, cache: dict[int, bytes] = cache, n: int = n
        ) -> int:
            nonlocal smallest
            if crf not in cache:
                cache[crf] = encode_webm(clip, seconds, crf, speed=SEARCH_SPEED, prepared=True)
            size = len(cache[crf])
            attempts.append((Knobs(frames=n, crf=crf), size))
            if smallest is None or size < smallest[0]:
                smallest = (size, Knobs(frames=n, crf=crf))
            return size

        lo, hi = -1, len(steps)  # smallest index that fits lies in (lo, hi]; hi = len: none fits
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if encode(steps[mid]) <= budget:
                hi = mid
            else:
                lo = mid
        if hi == len(steps):
            continue
        best = steps[hi]
        data = cache[best]
        final = encode_webm(clip, seconds, best, speed=FINAL_SPEED, prepared=True)
        attempts.append((Knobs(frames=n, crf=best), len(final)))
        if len(final) <= budget:
            data = final
            if hi > 0 and len(final) < 0.8 * budget:  # full effort left room: one step better
                better = encode_webm(clip, seconds, steps[hi - 1], speed=FINAL_SPEED, prepared=True)
                attempts.append((Knobs(frames=n, crf=steps[hi - 1]), len(better)))
                if len(better) <= budget:
                    data, best = better, steps[hi - 1]
        times = [*pts_ms(n, seconds), round(seconds * 1000)]
        delays = [b - a for a, b in itertools.pairwise(times)]
        return Fit(data, Knobs(frames=n, crf=best), picks, delays, 0, attempts)
    raise budget_exceeded(
        preset, budget, smallest, "simplify the animation (less detail or motion) or shorten it"
    )


def decode_webm(data: bytes) -> tuple[list[np.ndarray], float]:
    """RGBA frames (alpha kept: libvpx-vp9 decoder) and the duration in seconds."""
    p = parse_webm(data)
    return p.frames, p.duration or 0.0


class WebmCodec:
    """WebM (Telegram video stickers and emoji): VP9 + alpha, fitted by CRF then frame count."""

    name = "webm"

    def fit(
        self,
        frames: Sequence[np.ndarray],
        seconds: float,
        preset: PlatformPreset,
        *,
        max_bytes: int | None = None,
        loops: int | None = None,
    ) -> Fit:
        return fit_webm(frames, seconds, preset, max_bytes=max_bytes)

    def validate(self, data: bytes, preset: PlatformPreset) -> list[RuleResult]:
        return validate_webm(data, preset)

    def decode(self, data: bytes, preset: PlatformPreset) -> tuple[list[np.ndarray], float]:
        frames, duration = decode_webm(data)
        if not frames:
            raise BudgetExceeded("the WebM could not be decoded; nothing to re-encode")
        limit = preset.timing.max_total_seconds or duration
        return frames, min(duration or limit, limit)


CODEC = WebmCodec()
