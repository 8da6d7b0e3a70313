"""WebM codec: VP9 with alpha (Telegram video stickers and custom emoji) through PyAV.

FFmpeg's libvpx-vp9 encodes the alpha plane as a second VP9 stream carried in Matroska
BlockAdditions (`alpha_mode=1`), from `yuva420p` frames. The byte budget is met by searching
every integer CRF (constant quality, `b:v 0`) first, then the frame rate; the canvas stays as the
platform demands (one side 512, or 100x100).

Before encoding, alpha at or below ALPHA_FLOOR becomes 0: mattes leave faint noise there that
nobody sees but VP9 spends up to a fifth of the file on, and plays back as specks on dark chat
backgrounds. Colour under fully transparent pixels is filled from the nearby visible colour:
4:2:0 chroma is shared by 2x2 pixels, and black there would bleed a dark fringe into the edge.
"""

from __future__ import annotations

import io
import itertools
from collections.abc import Callable, Sequence
from fractions import Fraction

import cv2
import numpy as np

from popcon.domain.exports import RuleResult
from popcon.domain.platforms import PlatformPreset
from popcon.media.budget import BudgetExceeded, Fit, Knobs, budget_exceeded, frame_count_steps, select_frames
from popcon.media.interrupt import checkpoint
from popcon.media.validate import parse_webm, validate_webm

CRF_BEST, CRF_WORST = 4, 63  # the CRF range searched (lower is better quality, bigger files)
ALPHA_FLOOR = 20  # alpha at or below this (8 %) is cleared before encoding
# libvpx speed settings: the CRF search runs at realtime speed (several times faster, 15-30 % bigger
# files at the same CRF); the last few steps run at "good" quality, which is what is kept.
SEARCH_SPEED = ("realtime", 8)
FILL = 0.98  # a full-effort file this close to the budget is not worth another encode
FINAL_SPEED = ("good", 2)


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


def clamp_alpha(rgba: np.ndarray, floor: int = ALPHA_FLOOR) -> np.ndarray:
    """Copy with alpha at or below `floor` cleared (invisible matte noise, not character)."""
    out = rgba.copy()
    out[..., 3][out[..., 3] <= floor] = 0
    return out


def prepare_frames(frames: Sequence[np.ndarray]) -> list[np.ndarray]:
    """Even-sized frames, near-zero alpha cleared, colour under invisible pixels filled (once per clip)."""
    out = []
    for f in _even(frames):
        checkpoint()
        out.append(np.ascontiguousarray(bleed_colour(clamp_alpha(f))))
    return out


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
            checkpoint()  # a cancel stops the encode within a frame, not after the whole search
            vf = av.VideoFrame.from_ndarray(f, format="rgba")
            vf = vf.reformat(format="yuva420p")
            vf.pts = t
            vf.time_base = Fraction(1, 1000)
            for pkt in st.encode(vf):
                out.mux(pkt)
        for pkt in st.encode():
            out.mux(pkt)
    return buf.getvalue()


def _fit_crf(
    clip: list[np.ndarray], seconds: float, budget: int, record: Callable[[int, int], None]
) -> tuple[int, bytes] | None:
    """The lowest CRF whose full-effort encode fits `budget`, with its bytes (None: nothing fits).

    Fast encodes bisect the whole CRF range first; then two or three full-effort encodes confirm
    the prediction (see below), so the search costs about three full encodes.
    """
    fast: dict[int, int] = {}

    def fast_size(crf: int) -> int:
        if crf not in fast:
            fast[crf] = len(encode_webm(clip, seconds, crf, speed=SEARCH_SPEED, prepared=True))
            record(crf, fast[crf])
        return fast[crf]

    good: dict[int, bytes] = {}

    def good_size(crf: int) -> int:
        if crf not in good:
            good[crf] = encode_webm(clip, seconds, crf, speed=FINAL_SPEED, prepared=True)
            record(crf, len(good[crf]))
        return len(good[crf])

    lo, hi = CRF_BEST - 1, CRF_WORST  # fast: the lowest fitting CRF lies in (lo, hi]
    if fast_size(CRF_WORST) <= budget:
        while hi - lo > 1:
            mid = (lo + hi) // 2
            if fast_size(mid) <= budget:
                hi = mid
            else:
                lo = mid
    if good_size(hi) > budget:  # full effort did not fit where the fast encode did: walk up
        up = next((c for c in range(hi + 1, CRF_WORST + 1) if good_size(c) <= budget), None)
        return None if up is None else (up, good[up])
    # Full effort fits at `hi`; lower CRFs may fit too. Full effort is smaller than the fast encode
    # by a ratio that holds across nearby CRFs: bisect fast encodes against the budget over that
    # ratio (cheap) to predict the answer, then confirm it and the CRF below with full effort.
    ratio = len(good[hi]) / fast_size(hi)
    lo = max((c for c, n in fast.items() if c < hi and n * ratio > budget), default=CRF_BEST - 1)
    pred = hi
    while pred - lo > 1:
        mid = (lo + pred) // 2
        if fast_size(mid) * ratio <= budget:
            pred = mid
        else:
            lo = mid
    while pred < hi and good_size(pred) > budget:  # predicted too low: step back up
        pred += 1
    hi = pred
    # Predicted too high: step down while a finer CRF could still fit (one CRF is ~4-8 % of size).
    while hi > CRF_BEST and good_size(hi) < FILL * budget and good_size(hi - 1) <= budget:
        hi -= 1
    return hi, good[hi]


def fit_webm(
    frames: Sequence[np.ndarray],
    seconds: float,
    preset: PlatformPreset,
    *,
    max_bytes: int | None = None,
) -> Fit:
    """Best WebM within budget: the lowest CRF that fits at the most frames the fps limit allows.

    Raises BudgetExceeded with the smallest size reached when even the worst setting is too big.
    """
    budget = max_bytes or preset.max_bytes
    attempts: list[tuple[Knobs, int]] = []
    for n in frame_count_steps(len(frames), preset, seconds):
        picks = select_frames(len(frames), n)
        clip = prepare_frames([frames[i] for i in picks])

        def record(crf: int, size: int, n: int = n) -> None:
            attempts.append((Knobs(frames=n, crf=crf), size))

        found = _fit_crf(clip, seconds, budget, record)
        if found is None:
            continue
        crf, data = found
        times = [*pts_ms(n, seconds), round(seconds * 1000)]
        delays = [b - a for a, b in itertools.pairwise(times)]
        return Fit(data, Knobs(frames=n, crf=crf), picks, delays, 0, attempts)
    smallest = min(((size, k) for k, size in attempts), default=None, key=lambda t: t[0])
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
