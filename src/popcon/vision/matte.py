"""Automatic matte: cut a character out of plain-background video frames or a single still.

Why this shape: image-to-video services return a character on a plain-ish background (white, off-white
with vignette and noise, gray, green, a floor with a soft contact shadow) after H.264 compression. The
camera is static, so one smooth background model per clip is fitted from all frames; each frame is then
segmented coarsely at half resolution (border-connected background, shadows accepted by chroma), and
the alpha is solved at full resolution only in a thin band around the edge, where the colour is also
decontaminated with I = aF + (1-a)B using the local background B.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import cv2
import numpy as np

from popcon.domain.reports import MatteReport
from popcon.vision.background import Background, border_strip, fit_background
from popcon.vision.matte_params import MatteParams
from popcon.vision.regions import drop_edgeless_parts, flood, mend_faint_bites
from popcon.vision.shadow import shadow_background
from popcon.vision.texture import smoother_than_backdrop

__all__ = [
    "LOW_CONFIDENCE",
    "LOW_CONFIDENCE_MESSAGE",
    "MatteResult",
    "matte_clip",
    "matte_frames",
    "matte_image",
    "matte_image_scored",
]

RGB = tuple[int, int, int]


P = MatteParams()
MAX_WORKERS = 4


def _block_extreme(rgb: np.ndarray, bgm: Background, sh: int, sw: int) -> np.ndarray | None:
    """Per half-res pixel, the strongest full-res departure from the background away from its brightness
    (darker on a light background): averaging 2x2 blocks hides the 1 px rim that is often all that
    separates a pale character from a white background (and lets the background flood into it)."""
    if bgm.scale != 2 or bgm.key or bgm.texture > 2.0:
        return None  # a textured background has darker fibres everywhere: no barrier there
    level = float(bgm.small_u8[::16, ::16].mean())
    if not (level > 170 or level < 85):
        return None
    op = cv2.erode if level > 170 else cv2.dilate
    ext = np.ascontiguousarray(op(rgb, np.ones((2, 2), np.uint8))[1::2, 1::2][:sh, :sw])
    if ext.shape[:2] != (sh, sw) or ext.size == 0:
        return None
    if level > 170:
        diff = cv2.subtract(bgm.small_u8, ext, dtype=cv2.CV_16S)
    else:
        diff = cv2.subtract(ext, bgm.small_u8, dtype=cv2.CV_16S)
    c0, c1, c2 = cv2.split(diff)
    return np.maximum(np.maximum(c0, c1), c2)


def _coarse_fg(
    small: np.ndarray,
    bgm: Background,
    params: MatteParams,
    block: np.ndarray | None = None,
    key: RGB | None = None,
) -> tuple[np.ndarray, tuple[float, str | None]]:
    """Foreground mask at reduced resolution (everything not border-connected to background-like pixels),
    and the frame's confidence that the background was told apart from the character (0..1)."""
    # Channel reductions through OpenCV: numpy's reduce over a last axis of 3 is ten times slower.
    c0, c1, c2 = cv2.split(cv2.subtract(small, bgm.small_u8, dtype=cv2.CV_16S))
    lo = np.minimum(np.minimum(c0, c1), c2)
    hi = np.maximum(np.maximum(c0, c1), c2)
    d = np.maximum(hi, -lo)
    strip = border_strip(*d.shape)
    # The tolerance follows the frame's own noise (grain, compression, texture the model missed).
    noise = float(np.percentile(d[strip], 90)) if not bgm.key else 0.0
    tol = float(np.clip(params.noise_gain * noise + 3.0, params.tol_min, params.tol_max))
    unknown = ~bgm.known
    smooth = None
    if bgm.texture > 2.0:
        # Texture hidden behind the character all along is modelled smoothly: allow its amplitude there.
        # Not where the frame is smoother than the backdrop's texture ever is: that is the character.
        smooth = smoother_than_backdrop(small, strip)
        relax = unknown & ~smooth
        tol_map = np.where(relax, tol + min(2.0 * bgm.texture, 2 * params.tol_max), tol).astype(np.float32)
        bgish = (d < tol_map) & ~smooth
    else:
        bgish = d < tol
    if block is not None:
        bnoise = float(np.percentile(block[strip], 90))
        bgish &= block < max(tol, bnoise) + params.block_extra
    if not bgm.key:
        # The light ring real footage leaves 2-10 px around every edge: brighter than the background by a
        # few levels, neutral, and only next to a clear edge (a pale character's body is not near one).
        strong = (d >= max(params.strong, 2 * tol)) & ~bgish
        near = cv2.dilate(strong.astype(np.uint8), params.ring_kernel) > 0
        ring = (lo > -params.ring_dark) & (hi < params.ring_max) & (hi - lo < params.ring_chroma) & near
        bgish |= ring
    rows = np.nonzero((~bgish).any(1))[0]
    if len(rows) and not bgm.key:
        bgu = shadow_background(small, bgm, bgish, d, (int(rows.min()), int(rows.max())), params, smooth)
    elif key is not None:
        # A pocket of key between thin strokes (inside a "Z") is far from the key in value (H.264 mixes
        # the strokes' colour into it) but still leans to its hue, which no character colour does.
        leaning = _key_leaning(small, key, params.key_lean)
        bgu = flood(bgish | leaning, d, bgm, params) | leaning.astype(np.uint8)
    else:
        bgu = flood(bgish, d, bgm, params)
    # Drop speckles (compression blocks, noise) that are not the character.
    fg = cv2.morphologyEx(1 - bgu, cv2.MORPH_OPEN, np.ones((3, 3), np.uint8))
    # Where the frame hardly differs from the background within a few px: no edge a cut could follow.
    no_edge = cv2.dilate(d.astype(np.float32), np.ones((5, 5), np.uint8)) < 2.0 * tol + params.faint_step
    if not bgm.key:
        fg = drop_edgeless_parts(fg, no_edge)
        fg = mend_faint_bites(fg, no_edge, params)
    return fg, _confidence(fg, d, tol, bgm, params, no_edge)


def _confidence(
    fg: np.ndarray, d: np.ndarray, tol: float, bgm: Background, params: MatteParams, no_edge: np.ndarray
) -> tuple[float, str | None]:
    """How sure the cut is that what it kept is the character, not background it could not model.

    Low when the frame's noise forced the tolerance to its cap (a busy, moving background), when the
    kept region holds many pixels that are close to the background's colour where the background was
    never seen (texture hidden behind the character: it cannot be told from the character), or when
    the kept region fills most of the frame ("busy"); or when much of the cut's outline runs where
    the character hardly differs from the background (a white ghost on off-white: "faint"), since
    there the cut follows noise rather than an edge. The reason comes with the confidence.
    """
    area = int(fg.sum())
    if area == 0:
        return 1.0, None
    conf = 1.0
    if tol >= params.tol_max:
        conf = 0.4
    if bgm.texture > 2.0:
        amb = fg.astype(bool) & ~bgm.known & (d < tol + 3.0 * bgm.texture)
        conf = min(conf, 1.0 - 2.0 * float(amb.sum()) / area)
    frac = area / fg.size
    if frac > 0.55:
        conf = min(conf, 1.0 - 2.0 * (frac - 0.55))
    outline = (fg - cv2.erode(fg, np.ones((3, 3), np.uint8))) > 0
    faint = float(no_edge[outline].mean()) if outline.any() else 0.0
    faint_conf = 1.0 - 2.0 * max(0.0, faint - params.faint_share)
    if faint_conf < conf:
        return float(np.clip(faint_conf, 0.0, 1.0)), "faint"
    return float(np.clip(conf, 0.0, 1.0)), "busy" if conf < 1.0 else None


def _masked_sums(rgb: np.ndarray, mask: np.ndarray, k: int) -> np.ndarray:
    """Per-window sums of (r, g, b, 1) over pixels where mask (uint8 0/1), k x k (k <= 15: fits uint16)."""
    rgbm = cv2.merge([*cv2.split(rgb), np.ones_like(mask)])
    masked = cv2.bitwise_and(rgbm, rgbm, mask=mask)
    return cv2.boxFilter(masked, cv2.CV_16U, (k, k), normalize=False)


def _refine(
    rgb: np.ndarray, fg: np.ndarray, bg_model: np.ndarray, params: MatteParams, key: RGB | None = None
) -> np.ndarray:
    """Soft alpha and decontaminated colour in a band around the coarse edge (crop-sized arrays).

    Only band pixels are solved: F and B are local means of the sure foreground and sure background
    next to them, alpha is the projection of I - B on F - B, and the colour is (I - (1-a) B) / a, so the
    cut-out composited on any background reproduces the frame with the old background swapped out.
    """
    b = params.band
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * b + 1, 2 * b + 1))
    sure_fg = cv2.erode(fg, kernel)
    bo = params.band_out
    near = cv2.dilate(fg, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * bo + 1, 2 * bo + 1)))
    out = np.empty((*rgb.shape[:2], 4), np.uint8)
    out[..., :3] = cv2.bitwise_and(rgb, rgb, mask=sure_fg)
    out[..., 3] = sure_fg * 255
    band = near > sure_fg
    if not band.any():
        return out
    idx = np.nonzero(band)
    # The local background is sampled just outside the edge: real footage brightens a ring there, and
    # a background taken further out would leave that ring in the decontaminated colour (a light rim).
    g = params.bg_gap
    outside = 1 - cv2.dilate(fg, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * g + 1, 2 * g + 1)))
    bs = _masked_sums(rgb, outside, params.bg_win)[idx].astype(np.float32)
    fs = _masked_sums(rgb, sure_fg, params.fg_win)[idx].astype(np.float32)
    i = rgb[idx].astype(np.float32)
    bc, fc = bs[:, 3:], fs[:, 3:]
    bl = np.where(bc > 2, bs[:, :3] / np.maximum(bc, 1), bg_model[idx])
    if (fc <= 2).any():
        # Band pixels far out (light rims below the coarse threshold): look further for the colour.
        ws = _masked_sums(rgb, sure_fg, params.fg_far)[idx].astype(np.float32)
        fs = np.where(fc > 2, fs, ws)
        fc = fs[:, 3:]
    fl = np.where(fc > 2, fs[:, :3] / np.maximum(fc, 1), i)
    fb = fl - bl
    ib = i - bl
    den = (fb * fb).sum(1)
    alpha = (ib * fb).sum(1) / np.maximum(den, 1e-6)
    # Where F and B are indistinguishable, or no foreground is near enough to know F, trust the coarse mask.
    alpha = np.where((den < params.weak**2) | (fc[:, 0] <= 2), fg[idx].astype(np.float32), alpha)
    # Compression blurs edges: steepen the solved ramp back (measured against uncompressed truth).
    alpha = np.clip(0.5 + params.alpha_gain * (alpha - 0.5), 0.0, 1.0)
    if params.geo_mix > 0:
        # Colour alone is ambiguous where the rim colour differs from the interior (rendered shading,
        # dark or light outlines): blend with a geometric ramp across the solved boundary, whose
        # width matches an anti-aliased edge.
        full = sure_fg.astype(np.float32)
        full[idx] = alpha
        m = (full > 0.5).astype(np.uint8)
        d_in = cv2.distanceTransform(m, cv2.DIST_L2, 3)[idx]
        d_out = cv2.distanceTransform(1 - m, cv2.DIST_L2, 3)[idx]
        sd = np.where(m[idx] > 0, d_in - 0.5, 0.5 - d_out)
        geo = np.clip(0.5 + sd / params.ramp, 0.0, 1.0)
        alpha = (1 - params.geo_mix) * alpha + params.geo_mix * geo
    if params.alpha_sigma > 0:
        # Compression noise (4:2:0 chroma, ringing) is per pixel; true edges are smooth ramps.
        full = sure_fg.astype(np.float32)
        full[idx] = alpha
        alpha = cv2.GaussianBlur(full, (5, 5), params.alpha_sigma)[idx]
    a = np.maximum(alpha, 1.0 / 255)[:, None]
    col = np.clip((i - (1.0 - a) * bl) / a + 0.5, 0, 255)
    a8 = (alpha * 255 + 0.5).astype(np.uint8)
    if key is not None:
        _despill(col, key)
    col[a8 == 0] = 0
    out[..., :3][idx] = col.astype(np.uint8)
    out[..., 3][idx] = a8
    return out


def _key_leaning(rgb: np.ndarray, key: RGB, share: float) -> np.ndarray:
    """Pixels whose key channels exceed their other channels by at least `share` of the key's own
    margin (on green: G - max(R, B)); a grey or white key has no hue to lean to."""
    high = np.asarray(key) >= 128
    if high.all() or not high.any():
        return np.zeros(rgb.shape[:2], bool)
    k = np.asarray(key, np.int16)
    margin = int(k[high].min() - k[~high].max())
    px = rgb.astype(np.int16)
    excess = px[..., high].min(-1) - px[..., ~high].max(-1)
    return bool(margin > 0) & (excess >= share * margin)


def _despill(col: np.ndarray, key: RGB) -> None:
    """Take the key's hue out of edge colours, in place (N x 3 float).

    H.264 stores colour at half resolution, so the key bleeds into every thin part and rim in a way
    no alpha can undo (the blend is not a linear mix). The key's bright channels may not rise above
    its dark ones near an edge: on green, G <= max(R, B); on magenta, min(R, B) <= G. Every key we
    choose is far from the character's colours, so edge colours leaning to its hue are spill."""
    high = np.asarray(key) >= 128
    if high.all() or not high.any():
        return
    excess = np.maximum(col[:, high].min(1) - col[:, ~high].max(1), 0.0)
    col[:, high] -= excess[:, None]


def _matte_one(
    rgb: np.ndarray, clip_bg: Background, params: MatteParams, key: RGB | None = None
) -> tuple[np.ndarray, tuple[float, str | None]]:
    h, w = rgb.shape[:2]
    bgm = clip_bg.for_frame(rgb)
    s = bgm.scale
    sh, sw = bgm.small.shape[:2]
    small = cv2.resize(rgb, (sw, sh), interpolation=cv2.INTER_AREA)
    fg, conf = _coarse_fg(small, bgm, params, _block_extreme(rgb, bgm, sh, sw), key)
    out = np.zeros((h, w, 4), np.uint8)
    ys, xs = np.nonzero(fg)
    if len(ys) == 0:
        return out, conf
    m = (params.band * 2 + 4) // s + 2  # margin in small pixels
    sy0, sy1 = max(int(ys.min()) - m, 0), min(int(ys.max()) + 1 + m, sh)
    sx0, sx1 = max(int(xs.min()) - m, 0), min(int(xs.max()) + 1 + m, sw)
    y0, y1, x0, x1 = sy0 * s, min(sy1 * s, h), sx0 * s, min(sx1 * s, w)
    size = ((sx1 - sx0) * s, (sy1 - sy0) * s)
    fg_full = cv2.resize(fg[sy0:sy1, sx0:sx1], size, interpolation=cv2.INTER_NEAREST)
    fg_full = np.ascontiguousarray(fg_full[: y1 - y0, : x1 - x0])
    out[y0:y1, x0:x1] = _refine(rgb[y0:y1, x0:x1], fg_full, bgm.full(y0, y1, x0, x1), params, key)
    return out, conf


@dataclass(frozen=True)
class MatteResult:
    """Cut-outs of a clip and, per frame, the confidence (0..1) that the background was separated."""

    cutouts: list[np.ndarray]
    confidence: list[float]
    reasons: list[str | None] = field(default_factory=list)  # per frame: "busy", "faint" or None

    @property
    def low_confidence(self) -> list[int]:
        """Indices of frames whose background could not be separated with confidence."""
        return [i for i, c in enumerate(self.confidence) if c < LOW_CONFIDENCE]

    @property
    def warning(self) -> str | None:
        """What to tell the user when any frame's background could not be separated."""
        low = self.low_confidence
        if not low:
            return None
        faint = sum(1 for i in low if i < len(self.reasons) and self.reasons[i] == "faint")
        return FAINT_MESSAGE if 2 * faint > len(low) else LOW_CONFIDENCE_MESSAGE

    def report(self) -> MatteReport:
        """The summary kept with the action in the job record."""
        return MatteReport(
            source="matte",
            confidence=tuple(round(c, 3) for c in self.confidence),
            min_confidence=round(min(self.confidence), 3) if self.confidence else 1.0,
            low_frames=tuple(self.low_confidence),
            warning=self.warning,
        )


LOW_CONFIDENCE = 0.75
LOW_CONFIDENCE_MESSAGE = "background is not flat; refine with clicks"
FAINT_MESSAGE = "the character's edge is faint against the background; check the cut-out, refine with clicks"


def matte_clip(frames: Sequence[np.ndarray], key_color: RGB | None = None) -> MatteResult:
    """Cut out every RGB frame of one static-camera clip, with a per-frame confidence."""
    if len(frames) == 0:
        return MatteResult([], [])
    bgm = fit_background(frames, key_color)

    def one(f: np.ndarray) -> tuple[np.ndarray, tuple[float, str | None]]:
        return _matte_one(np.ascontiguousarray(f[..., :3]), bgm, P, key_color)

    # Frames are independent once the background is known; OpenCV and most numpy kernels release the
    # GIL, so a small thread pool uses the spare cores.
    workers = min(len(frames), os.cpu_count() or 1, MAX_WORKERS)
    if workers < 2:
        res = [one(f) for f in frames]
    else:
        with ThreadPoolExecutor(workers) as pool:
            res = list(pool.map(one, frames))
    return MatteResult([r[0] for r in res], [r[1][0] for r in res], [r[1][1] for r in res])


def matte_frames(frames: Sequence[np.ndarray], key_color: RGB | None = None) -> list[np.ndarray]:
    """RGBA cut-outs (straight alpha, decontaminated colour) of every RGB frame of one static-camera clip."""
    return matte_clip(frames, key_color).cutouts


def matte_image_scored(rgb: np.ndarray, key_color: RGB | None = None) -> tuple[np.ndarray, float]:
    """RGBA cut-out of one still and the confidence that its background was separated (0..1)."""
    r = matte_clip([rgb], key_color)
    return r.cutouts[0], r.confidence[0]


def matte_image(rgb: np.ndarray, key_color: RGB | None = None) -> np.ndarray:
    """RGBA cut-out of one still (an uploaded character on a plain background, JPEG artefacts allowed)."""
    return matte_image_scored(rgb, key_color)[0]
