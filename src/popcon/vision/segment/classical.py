"""Weight-free click segmentation: GrabCut seeded by the clicks and the prior, refined at full resolution.

Why this shape: characters sit on plain-ish backgrounds, so colour models separate them well, and a
graph cut adds the smoothness a per-pixel key lacks. The cut runs on a copy scaled to ~360 px (tens of
ms on two cores); prepare() learns the colour models once from a default labelling (image border as
background, or the prior) so each click only re-runs two cut iterations. Clicks are hard constraints in
a disc; the prior (the current matte) is the probable region. The low-resolution labels are then
upsampled and alpha is solved in a thin edge band at full resolution from the local foreground and
background colours (alpha = projection of I - B onto F - B), so edges are soft and sub-pixel accurate.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import cv2
import numpy as np

from popcon.domain.errors import InvalidInput
from popcon.settings import Settings
from popcon.vision.segment.base import (
    Click,
    LRUCache,
    Prepared,
    check_image,
    click_arrays,
    normalize_prior,
)
from popcon.vision.segment.parts import Structure, frame_choices, frame_structure
from popcon.vision.segment.registry import SEGMENTERS

__all__ = ["ClassicalSegmenter"]


@dataclass
class _Frame:
    rgb: np.ndarray  # full-res RGB uint8
    small: np.ndarray  # BGR uint8 at working scale
    scale: float
    key_tol: float
    priors: LRUCache = field(default_factory=lambda: LRUCache(6))  # GMMs, structures of recent priors
    _defaults: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def defaults(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The default GrabCut labels (border = background) at working scale and the colour models
        learnt from them, made on first use: a click on a part of the cut-out never needs them."""
        with self._lock:
            if self._defaults is None:
                labels = np.where(_bg_distance(self.small) > self.key_tol, cv2.GC_PR_FGD, cv2.GC_PR_BGD)
                labels = labels.astype(np.uint8)
                _border(labels, cv2.GC_BGD, 2)
                bgd, fgd = np.zeros((1, 65), np.float64), np.zeros((1, 65), np.float64)
                cv2.grabCut(self.small, labels, None, bgd, fgd, 2, cv2.GC_INIT_WITH_MASK)  # type: ignore[call-overload]  # OpenCV takes None for an output array; its stubs do not
                self._defaults = (labels, bgd, fgd)
            return self._defaults


@SEGMENTERS.register("classical")
class ClassicalSegmenter:
    """GrabCut + edge-band alpha. Thread-safe: predict only adds to the prepared frame's (locked) cache of
    prior models."""

    name = "classical"

    @classmethod
    def from_settings(cls, settings: Settings) -> ClassicalSegmenter:
        return cls()

    def __init__(
        self,
        max_side: int = 360,
        disc: float = 9.0,
        iterations: int = 1,
        cache_size: int = 16,
        key_tol: float = 14.0,
        flood_tol: int = 14,
    ) -> None:
        self.max_side = max_side
        self.disc = disc  # hard-constraint radius around a click, in full-res px
        self.iterations = iterations
        self.key_tol = key_tol
        self.flood_tol = flood_tol
        self._cache = LRUCache(cache_size)

    # -- prepare -------------------------------------------------------------------------------
    def prepare(self, image: np.ndarray, key: str | None = None) -> Prepared:
        rgb = check_image(image)
        h, w = rgb.shape[:2]

        def make() -> Prepared:
            t0 = time.perf_counter()
            scale = min(1.0, self.max_side / max(h, w))
            sw, sh = max(8, round(w * scale)), max(8, round(h * scale))
            small = cv2.cvtColor(cv2.resize(rgb, (sw, sh), interpolation=cv2.INTER_AREA), cv2.COLOR_RGB2BGR)
            small = cv2.GaussianBlur(small, (3, 3), 0.8)  # compression grain and noise make the cut ragged
            frame = _Frame(rgb.copy(), small, scale, self.key_tol)
            return Prepared(self.name, (h, w), frame, time.perf_counter() - t0)

        return self._cache.get_or_make(key, make)

    @staticmethod
    def _prior_models(f: _Frame, p_small: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Colour models learnt from the prior (its inside as probable foreground, the border as
        background). Learning them is most of a click's cost (~30 ms of ~70 at 720p) and the prior
        stays the same over the clicks of one edit: learnt once per (frame, prior labelling)."""
        base = np.where(p_small > 0.5, cv2.GC_PR_FGD, cv2.GC_PR_BGD).astype(np.uint8)
        _border(base, cv2.GC_BGD, 2)

        def make() -> tuple[np.ndarray, np.ndarray]:
            bgd, fgd = np.zeros((1, 65), np.float64), np.zeros((1, 65), np.float64)
            cv2.grabCut(f.small, base.copy(), None, bgd, fgd, 0, cv2.GC_INIT_WITH_MASK)  # type: ignore[call-overload]  # 0 passes: only learn the models
            return bgd, fgd

        models: tuple[np.ndarray, np.ndarray] = f.priors.get_or_make(
            hashlib.blake2b(base.tobytes(), digest_size=16).hexdigest(), make
        )
        return models

    def learn(self, prepared: Prepared) -> None:
        """Learn the frame's default colour models now (ahead of a click off the cut-out)."""
        prepared.data.defaults()

    # -- choices ------------------------------------------------------------------------------
    def structure(self, prepared: Prepared, prior: np.ndarray | None) -> Structure | None:
        """The cut-out's part structure (regions, their grouping), learnt once per (frame, prior):
        the page asks for it ahead of the first click."""
        if prior is None:
            return None
        f: _Frame = prepared.data
        raw = _alpha_plane(prior, prepared.shape)
        key = f"parts:{raw.dtype}:" + hashlib.blake2b(raw.tobytes(), digest_size=16).hexdigest()

        def make() -> Structure | None:
            return frame_structure(f.rgb, normalize_prior(raw, prepared.shape))  # type: ignore[arg-type]

        st: Structure | None = f.priors.get_or_make(key, make)
        return st

    def choices(
        self, prepared: Prepared, points: Sequence[Click], prior: np.ndarray | None = None
    ) -> list[np.ndarray]:
        """Nested masks the clicks may mean, smallest first (the part, bigger parts, the whole piece).

        Built from the prior's structure when every positive click lands on the prior; otherwise (a
        click on the background, something the cut-out lost) the one colour-model cut of `predict`.
        Only the cut-out's box is read at full resolution: a click costs tens of ms, not a frame copy."""
        h, w = prepared.shape
        xy, pos = click_arrays(points, (h, w))
        if prior is not None and pos.any():
            raw = _alpha_plane(prior, (h, w))
            ix, iy = xy[pos, 0].round().astype(int), xy[pos, 1].round().astype(int)
            solid = 127 if raw.dtype == np.uint8 else 0.5
            if (raw[iy, ix] > solid).all():
                st = self.structure(prepared, raw)
                if st is not None:
                    x0, y0, x1, y1 = st.box
                    crop = normalize_prior(raw[y0:y1, x0:x1], (y1 - y0, x1 - x0))
                    masks = frame_choices(st, crop, (h, w), xy, pos)  # type: ignore[arg-type]
                    if masks:
                        return masks
        return [self.predict(prepared, points, prior)]

    # -- predict -------------------------------------------------------------------------------
    def predict(
        self, prepared: Prepared, points: Sequence[Click], prior: np.ndarray | None = None
    ) -> np.ndarray:
        f: _Frame = prepared.data
        h, w = prepared.shape
        p = normalize_prior(prior, (h, w))
        xy, pos = click_arrays(points, (h, w))
        if len(xy) == 0:
            return p.copy() if p is not None else np.zeros((h, w), np.float32)

        sh, sw = f.small.shape[:2]
        sxy = xy * np.float32(f.scale)
        if p is None:
            labels = f.defaults()[0].copy()
            labels[labels == cv2.GC_FGD] = cv2.GC_PR_FGD
            _border(labels, cv2.GC_BGD, 2)
            p_small = None
        else:
            p_small = cv2.resize(p, (sw, sh), interpolation=cv2.INTER_AREA)
            labels = np.where(p_small > 0.5, cv2.GC_PR_FGD, cv2.GC_PR_BGD).astype(np.uint8)
            _add_default_regions(labels, f.defaults()[0], sxy, pos, p_small)
        _flood_negatives(f.small, labels, sxy, pos, self.flood_tol)
        r = max(1, round(self.disc * f.scale))
        for (x, y), positive in zip(sxy, pos, strict=True):
            cv2.circle(
                labels, (round(float(x)), round(float(y))), r, cv2.GC_FGD if positive else cv2.GC_BGD, -1
            )
        if not (labels == cv2.GC_BGD).any() and not (labels == cv2.GC_PR_BGD).any():
            _border(labels, cv2.GC_PR_BGD, 2)  # GrabCut needs some background to learn from
        if not ((labels == cv2.GC_FGD) | (labels == cv2.GC_PR_FGD)).any():
            return np.zeros((h, w), np.float32)
        if p_small is None:
            bgd, fgd = (m.copy() for m in f.defaults()[1:])
        else:
            bgd, fgd = (m.copy() for m in self._prior_models(f, p_small))
        cv2.grabCut(f.small, labels, None, bgd, fgd, self.iterations, cv2.GC_EVAL)  # type: ignore[call-overload]  # OpenCV takes None for an output array; its stubs do not
        fg = ((labels == cv2.GC_FGD) | (labels == cv2.GC_PR_FGD)).astype(np.uint8)
        fg, from_prior = _select(fg, sxy, pos, p_small)
        alpha = _refine(f.rgb, f.small, fg)
        if p is not None and from_prior.any():  # untouched parts of the prior keep their own soft edges
            keep = cv2.resize(from_prior, (w, h), interpolation=cv2.INTER_NEAREST) > 0
            keep = cv2.dilate(keep.astype(np.uint8), np.ones((5, 5), np.uint8)) > 0
            alpha = np.where(keep, np.maximum(p, alpha), alpha)
        return alpha


def _alpha_plane(prior: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """The prior's alpha plane as given (no copy, no conversion), checked against the frame size."""
    p = np.asarray(prior)
    if p.ndim == 3:
        p = p[..., -1]
    if p.shape != shape:
        raise InvalidInput(f"prior mask is {p.shape[1]}x{p.shape[0]}, image is {shape[1]}x{shape[0]}")
    return p


def _bg_distance(small_bgr: np.ndarray) -> np.ndarray:
    """How far each pixel is from a smooth background fitted to the image border.

    Why: the default labelling decides what GrabCut's colour models learn from. A quadratic surface
    fitted to the border follows vignettes and gradients; darkening without a hue change (contact
    shadows) counts for little, so shadows start on the background side.
    """
    h, w = small_bgr.shape[:2]
    img = small_bgr.astype(np.float32)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    yy, xx = yy / h - 0.5, xx / w - 0.5
    design = np.stack([np.ones_like(xx), xx, yy, xx * xx, yy * yy, xx * yy], -1)
    edge = np.zeros((h, w), bool)
    b = max(2, min(h, w) // 50)
    edge[:b], edge[-b:], edge[:, :b], edge[:, -b:] = True, True, True, True
    a, y = design[edge], img[edge]
    coef = np.linalg.lstsq(a, y, rcond=None)[0]
    res = np.abs(a @ coef - y).max(-1)  # refit without outliers (the object may touch the border)
    keep = res <= max(3.0 * float(np.median(res)), 4.0)
    if keep.sum() > 12:
        coef = np.linalg.lstsq(a[keep], y[keep], rcond=None)[0]
    diff = img - design @ coef
    lum = diff.mean(-1, keepdims=True)
    chroma = np.abs(diff - lum).max(-1)
    return 2.0 * chroma + np.maximum(lum[..., 0], 0.0) + 0.25 * np.maximum(-lum[..., 0], 0.0)


def _add_default_regions(
    labels: np.ndarray, default: np.ndarray, sxy: np.ndarray, pos: np.ndarray, p_small: np.ndarray
) -> None:
    """A positive click outside the prior adds a new part: seed it from the default labelling.

    Why: the prior says nothing about an object it does not contain, so the cut would only keep the
    click's disc; the default segmentation's component under the click is the best guess of that part.
    """
    fg = ((default == cv2.GC_FGD) | (default == cv2.GC_PR_FGD)).astype(np.uint8)
    h, w = fg.shape
    outside = [
        (int(y), int(x))
        for (x, y), p in zip(sxy.round().astype(int), pos, strict=True)
        if p and 0 <= y < h and 0 <= x < w and p_small[y, x] <= 0.5 and fg[y, x]
    ]
    if not outside:
        return
    _, lab = cv2.connectedComponents(fg, connectivity=8)
    ids = [lab[y, x] for y, x in outside]
    labels[np.isin(lab, ids)] = cv2.GC_PR_FGD


def _flood_negatives(
    small: np.ndarray, labels: np.ndarray, sxy: np.ndarray, pos: np.ndarray, tol: int
) -> None:
    """A negative click marks the whole same-coloured region around it as probable background.

    Why: otherwise the foreground colour model keeps that region's colour (it was foreground before the
    click) and only the hard disc flips; a region-level seed removes a prop or a shadow in one click.
    """
    h, w = labels.shape
    for (x, y), p in zip(sxy, pos, strict=True):
        if p:
            continue
        ff = np.zeros((h + 2, w + 2), np.uint8)
        flags = 4 | cv2.FLOODFILL_FIXED_RANGE | cv2.FLOODFILL_MASK_ONLY | (255 << 8)
        seed = (int(np.clip(round(float(x)), 0, w - 1)), int(np.clip(round(float(y)), 0, h - 1)))
        cv2.floodFill(small, ff, seed, (0, 0, 0), (tol,) * 3, (tol,) * 3, flags)
        region = ff[1:-1, 1:-1] > 0
        labels[region & (labels != cv2.GC_FGD)] = cv2.GC_PR_BGD


def _border(labels: np.ndarray, value: int, width: int) -> None:
    labels[:width] = value
    labels[-width:] = value
    labels[:, :width] = value
    labels[:, -width:] = value


def _select(
    fg: np.ndarray, sxy: np.ndarray, pos: np.ndarray, p_small: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray]:
    """Keep what the clicks point at: components holding a positive click, plus untouched prior parts.

    Why: a colour model also lights up look-alike pixels elsewhere (props, shadows); a click means
    "this object", so unrelated blobs stay as the prior had them.
    """
    n, lab = cv2.connectedComponents(fg, connectivity=8)
    h, w = fg.shape
    ix = sxy[:, 0].round().astype(int).clip(0, w - 1)
    iy = sxy[:, 1].round().astype(int).clip(0, h - 1)
    hit = lab[iy, ix]
    neg_ids = set(hit[~pos].tolist()) - {0}
    keep_ids = set(hit[pos].tolist()) - {0} if pos.any() else set(range(1, n)) - neg_ids
    out = np.isin(lab, list(keep_ids)) if keep_ids else np.zeros_like(fg, bool)
    from_prior = np.zeros_like(out)
    if p_small is not None:
        pk = (p_small > 0.5).astype(np.uint8)
        pn, plab = cv2.connectedComponents(pk, connectivity=8)
        touched = set(np.unique(plab[out]).tolist()) | set(plab[iy, ix].tolist())
        untouched = set(range(1, pn)) - touched
        if untouched:
            from_prior = np.isin(plab, list(untouched)) & ~out
            out |= from_prior
    return out.astype(np.uint8), from_prior.astype(np.uint8)


def _refine(rgb: np.ndarray, small_bgr: np.ndarray, fg_small: np.ndarray) -> np.ndarray:
    """Upsample the hard labels and solve alpha in a thin edge band from local fg/bg colours.

    Why at two scales: the local mean colours F and B vary slowly, so they are estimated on the small
    image (cheap) and sampled at the band's full-resolution pixels, where alpha is the projection of
    I - B onto F - B. Where F and B are too alike to tell apart, the upsampled label is kept. Only the
    band's bounding box is touched at full resolution.
    """
    h, w = rgb.shape[:2]
    sh, sw = fg_small.shape
    alpha = cv2.resize(fg_small, (w, h), interpolation=cv2.INTER_NEAREST).astype(np.float32)
    ker = np.ones((5, 5), np.uint8)
    inner = cv2.erode(fg_small, ker)
    outer = cv2.dilate(fg_small, ker)
    band_s = (outer > inner).astype(np.uint8)
    if not band_s.any():
        return alpha
    img_s = small_bgr[..., ::-1].astype(np.float32)
    fw, bw = inner.astype(np.float32), 1.0 - outer.astype(np.float32)
    k = (9, 9)
    fn = cv2.boxFilter(fw, -1, k, normalize=False)
    bn = cv2.boxFilter(bw, -1, k, normalize=False)
    F = cv2.boxFilter(img_s * fw[..., None], -1, k, normalize=False) / np.maximum(fn, 1e-3)[..., None]
    B = cv2.boxFilter(img_s * bw[..., None], -1, k, normalize=False) / np.maximum(bn, 1e-3)[..., None]
    bys, bxs = np.nonzero(band_s)
    sy0, sy1 = max(0, bys.min() - 2), min(sh, bys.max() + 3)
    sx0, sx1 = max(0, bxs.min() - 2), min(sw, bxs.max() + 3)
    y0, y1 = int(sy0 * h / sh), min(h, int(np.ceil(sy1 * h / sh)))
    x0, x1 = int(sx0 * w / sw), min(w, int(np.ceil(sx1 * w / sw)))
    # linear upsampling of the crop, with sample positions matching a resize of the whole image
    gy = ((np.arange(y0, y1, dtype=np.float32) + 0.5) * (sh / h) - 0.5).clip(0, sh - 1)
    gx = ((np.arange(x0, x1, dtype=np.float32) + 0.5) * (sw / w) - 0.5).clip(0, sw - 1)
    mx, my = np.meshgrid(gx, gy)
    soft = cv2.remap(fg_small.astype(np.float32), mx, my, cv2.INTER_LINEAR)
    crop = alpha[y0:y1, x0:x1]
    crop[:] = soft > 0.5
    ys, xs = np.nonzero(band_s[my.round().astype(np.intp), mx.round().astype(np.intp)])
    sy, sx = my[ys, xs].round().astype(np.intp), mx[ys, xs].round().astype(np.intp)
    f, b = F[sy, sx], B[sy, sx]
    d = f - b
    dd = (d * d).sum(-1)
    pix = rgb[y0 + ys, x0 + xs].astype(np.float32)
    a = np.clip(((pix - b) * d).sum(-1) / np.maximum(dd, 1e-3), 0.0, 1.0)
    ok = (dd > 30.0**2) & (fn[sy, sx] > 0.5) & (bn[sy, sx] > 0.5)
    crop[ys, xs] = np.where(ok, a, soft[ys, xs])
    return alpha
