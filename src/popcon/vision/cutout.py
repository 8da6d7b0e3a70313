"""Cut the character out of one uploaded picture, and say honestly how sure the cut is.

Why two paths: a figure on a backdrop (a 3D emoji on white, a mascot on grey) is a solid shape whose
colour differs from the backdrop, which the clip matte (`matte.py`) separates well, soft edges included.
A drawing on paper is thin strokes whose inside has the paper's colour: only the strokes' topology says
what is inside (`drawing.py`). The picture itself says which it is: the strokes of a line drawing are thin
against the figure's size (a pen line is a few per cent of it at most); a solid figure's "strokes" are its
whole body.

The confidence is not a promise of quality but a calibrated warning: it falls with the signs that a cut
went wrong, measured on drawings and figures we hold and on variants of them (light gradients, paper
texture, a table past the page's edge, JPEG artefacts, shadows); `bench/cutout_confidence.py` prints the
table it was calibrated on.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from popcon.domain.reports import CUTOUT_LOW_CONFIDENCE
from popcon.vision.drawing import DrawingCut, cut_drawing
from popcon.vision.paper import field_without

__all__ = ["CUTOUT_WARNING", "Cutout", "cut_out", "judge_kept"]

LINE_WIDTH = 0.06  # 90th percentile stroke width / figure size: below this the picture is a line drawing
FRINGE = 0.03  # unseen bands thinner than twice this share of the figure's size are not the figure
EDGE_RUN = 0.35  # a cut-out along more than this share of one side of the picture is doubtful
MISSED = 0.3  # a sure matte doubts once the page's cut sees this share more figure than it kept
BACKED = 0.3  # ... or once the page's cut sees less than this share of what it kept
FAINT = 6.0  # strokes whose median departure is under this many noise units are too faint to trust
UNEXPLAINED = 0.3  # left-out departures from the page, per figure area, beyond which a drawing warns
AGREE = 0.65  # the matte and the page's cut overlap at least this much on a figure they both see
PAPER_WHITE = 250.0  # the paper's colour after the illumination is divided out
WORK_SIDE = 1024  # drawings are cut at most this large (strokes stay several px wide), then scaled back
LOW = 0.75  # below this confidence the cut-out comes with a warning (the matte's own threshold)
CUTOUT_WARNING = (
    "the cut-out may be wrong: check it and refine it with clicks, keep the background (--keep-bg), "
    "or use a cleaner photo"
)
EMPTY_HINT = (
    "refine it with clicks in the web app, keep the background (--keep-bg), "
    "or use a cleaner photo (even light, the drawing filling most of the frame)"
)


@dataclass(frozen=True)
class Cutout:
    """RGBA cut-out (uint8, the image's size), the confidence (0..1), what kind of picture, the warning."""

    rgba: np.ndarray
    confidence: float
    kind: str  # "drawing" or "figure"
    reasons: tuple[str, ...] = ()
    message: str | None = None  # what to tell the user when the confidence is low (else a general one)

    @property
    def warning_code(self) -> str | None:
        """The warning's stable code (the web UI words it in the user's language)."""
        return CUTOUT_LOW_CONFIDENCE if self.confidence < LOW else None

    @property
    def warning(self) -> str | None:
        if self.confidence >= LOW:
            return None
        if self.message:
            return self.message
        why = f" ({', '.join(self.reasons)})" if self.reasons else ""
        return f"{CUTOUT_WARNING}{why}"


def judge_kept(alpha: np.ndarray) -> str | None:
    """Why a cut-out is unusable (near-empty, or scattered fragments) and what to do instead, or None
    when it can be used."""
    problem = kept_problem(alpha)
    return problem[1] if problem else None


def kept_problem(alpha: np.ndarray) -> tuple[str, str] | None:
    """`judge_kept` with the problem's stable code first ("cutout_empty", "cutout_fragments")."""
    kept = (alpha > 127).astype(np.uint8)
    share = float(kept.mean())
    if share < 0.001 or kept.sum() < 256:  # a figure 16 px square is no sticker
        why = f"the cut-out keeps almost nothing ({100 * share:.2f}% of the picture); {EMPTY_HINT}"
        return "cutout_empty", why
    _, _, stats, _ = cv2.connectedComponentsWithStats(kept, connectivity=8)
    areas = np.sort(stats[1:, cv2.CC_STAT_AREA])[::-1]
    if len(areas) >= 4 and areas[0] < 0.5 * areas.sum():
        return (
            "cutout_fragments",
            f"the cut-out is {len(areas)} scattered fragments, none of them most of the picture; "
            + EMPTY_HINT,
        )
    return None


def _is_line_drawing(cut: DrawingCut) -> bool:
    if not cut.strokes.any() or not cut.mask.any():
        return False
    dist = cv2.distanceTransform(cut.strokes.astype(np.uint8), cv2.DIST_L2, 3)
    ys, xs = np.nonzero(cut.mask)
    size = max(int(np.ptp(ys)), int(np.ptp(xs)), 1)
    return bool(2 * np.percentile(dist[cut.strokes], 90) / size < LINE_WIDTH)


def _drawing_alpha(cut: DrawingCut) -> np.ndarray:
    """Soft edges on the strokes' outer side: alpha from the ink's strength there (float32, 0..1)."""
    page = cut.page
    inside = cut.mask.astype(np.uint8)
    core = cv2.erode(inside, np.ones((3, 3), np.uint8))
    rim = (cv2.dilate(inside, np.ones((3, 3), np.uint8)) > 0) & (core == 0)
    soft = np.clip(page.ink / max(7.0 * page.noise, 0.10), 0.0, 1.0)
    alpha = core.astype(np.float32)
    alpha[rim] = np.where(cut.mask[rim], np.maximum(soft[rim], 0.5), soft[rim] * 0.5)
    return alpha


def _drawing_rgba(rgb: np.ndarray, light: np.ndarray, alpha: np.ndarray, dark_ink: bool) -> np.ndarray:
    """The picture's own pixels (full size) under the alpha, colour freed of the paper at soft edges.

    The colours are divided by the page's illumination field, as a scanner would see them: the paper
    inside the figure becomes evenly white and a shadow across it goes, instead of becoming part of
    every sticker. Dark-ground drawings keep their colours."""
    base = rgb.astype(np.float32)
    paper = light
    if dark_ink:
        base = np.clip(base * (PAPER_WHITE / light), 0, 255)
        paper = np.full_like(light, PAPER_WHITE)
    a = np.maximum(alpha, 1 / 255)[..., None]
    soft = ((alpha > 0) & (alpha < 1))[..., None]
    col = np.where(soft, (base - (1 - a) * paper) / a, base)
    out = np.dstack([np.clip(col + 0.5, 0, 255), alpha * 255 + 0.5]).astype(np.uint8)
    out[alpha <= 0] = 0
    return out


def _drawing_confidence(cut: DrawingCut) -> tuple[float, tuple[str, ...]]:
    """How sure a drawing's cut is, from signs measured on the page, and the reasons it is not."""
    conf = 1.0
    why: list[str] = []
    share = float(cut.mask.mean())
    if cut.contrast < FAINT:  # strokes hardly above the paper's grain: faint pencil, or no drawing
        conf = min(conf, cut.contrast / (2 * FAINT))
        why.append("faint strokes")
    if cut.fragments > 1:
        conf = min(conf, 0.6 / (cut.fragments - 1))
        why.append(f"{cut.fragments} separate pieces")
    if cut.unexplained > UNEXPLAINED:
        conf = min(conf, 0.5)
        why.append("parts of the picture that are not paper were left out")
    if cut.at_edge:  # the drawing runs into the table: where the page ends was guessed
        conf = min(conf, 0.6)
        why.append("the drawing meets the page's edge")
    if share > 0.75:
        conf = min(conf, 0.4)
        why.append("kept most of the picture")
    busy = 1.0 - float(cut.page.paper_cells.mean())
    if busy > 0.5:
        conf = min(conf, 1.0 - busy)
        why.append("the page is uneven")
    return max(0.0, conf), tuple(why)


def _doubts(alpha: np.ndarray) -> tuple[float, list[str]]:
    """Signs in the kept shape itself that a cut of either kind went wrong: it runs along a long stretch
    of the picture's edge (a table, the page's edge, a pocket shut by them; a figure cut off by the
    frame touches it at a limb or two)."""
    kept = alpha > 127
    conf, why = 1.0, []
    runs = max(
        float(kept[0].mean()), float(kept[-1].mean()), float(kept[:, 0].mean()), float(kept[:, -1].mean())
    )
    if runs > EDGE_RUN:
        conf = 0.6
        why.append("it runs along the picture's edge")
    return conf, why


def cut_out(rgb: np.ndarray) -> Cutout:
    """Cut the character out of an RGB picture (uint8) that has no transparency of its own."""

    rgb = np.ascontiguousarray(rgb[..., :3])
    h, w = rgb.shape[:2]
    scale = min(1.0, WORK_SIDE / max(h, w))
    work = (
        rgb
        if scale == 1.0
        else cv2.resize(rgb, (round(w * scale), round(h * scale)), interpolation=cv2.INTER_AREA)
    )
    cut = cut_drawing(work)
    if _is_line_drawing(cut):
        conf, why = _drawing_confidence(cut)
        alpha, light = _drawing_alpha(cut), cut.page.light
        if scale != 1.0:  # found on the smaller copy; the colours come from every pixel of the picture
            alpha = cv2.resize(alpha, (w, h), interpolation=cv2.INTER_LINEAR)
            light = cv2.resize(light, (w, h), interpolation=cv2.INTER_LINEAR)
        rgba = _drawing_rgba(rgb, light, alpha, cut.page.dark_ink)
        return _checked(Cutout(rgba, conf, "drawing", why))
    return _checked(_cut_figure(rgb, work, cut, scale))


def _checked(c: Cutout) -> Cutout:
    conf, why = _doubts(c.rgba[..., 3])
    if conf >= c.confidence:
        return c
    return Cutout(c.rgba, conf, c.kind, (*c.reasons, *why), None)


def _relit(rgb: np.ndarray, cut: DrawingCut, figure: np.ndarray) -> np.ndarray:
    """The picture (work size) as if evenly lit and on nothing but its page: divided by the page's
    illumination field fitted around the figure (to the field's brightest level, so a figure rendered
    on white is left as it is), with the surfaces past the page's edge painted in the page's colour."""
    light = field_without(cut.page, figure)
    level = np.percentile(light.reshape(-1, 3), 95, axis=0).astype(np.float32)
    out = np.clip(rgb.astype(np.float32) * (level / light), 0, 255)
    if cut.surfaces.any():
        out[cv2.dilate(cut.surfaces.astype(np.uint8), np.ones((5, 5), np.uint8)) > 0] = level
    return (out + 0.5).astype(np.uint8)


def _agreement(fg: np.ndarray, seen: np.ndarray) -> float:
    return float((fg & seen).sum() / max((fg | seen).sum(), 1))


def _cut_figure(rgb: np.ndarray, work: np.ndarray, cut: DrawingCut, scale: float) -> Cutout:
    """A figure on a backdrop: the matte, as for a clip's frame. When the matte is unsure (uneven light,
    a shadow, a table in the photo), it cuts again on the picture relit and cleared of the table, and
    parts the page's cut does not see at all (a shadow's edge) go; then the two cuts' agreement is part
    of the confidence, since they fail in different ways. A sure matte is kept as it is, and only what
    the page's cut sees and the matte left out (a faint figure, an outline's inside) makes it doubt:
    white parts on a white page are the matte's to keep, not the page's to see."""
    from popcon.vision.matte import matte_clip

    h, w = rgb.shape[:2]
    seen = cut.mask
    if scale != 1.0:
        seen = cv2.resize(cut.mask.astype(np.uint8), (w, h), interpolation=cv2.INTER_NEAREST) > 0
    res = matte_clip([rgb])
    rgba = res.cutouts[0]
    if res.confidence[0] >= LOW:
        kept = rgba[..., 3] > 127
        missed = float((seen & ~kept).sum() / max((seen | kept).sum(), 1))
        # ... or when the page's cut hardly sees what the matte kept: a figure too faint to stand out
        # from the page, whose edge the matte followed through noise.
        backed = float((seen & kept).sum() / max(int(kept.sum()), 1))
        if missed <= MISSED and backed >= BACKED:
            return Cutout(rgba, float(res.confidence[0]), "figure")
        return Cutout(rgba, min(float(res.confidence[0]), 0.5), "figure", ("two ways of cutting disagree",))
    small = rgba[..., 3]
    if scale != 1.0:
        small = cv2.resize(small, work.shape[1::-1], interpolation=cv2.INTER_AREA)
    relit = _relit(work, cut, (small > 0) | cut.mask) if cut.page.dark_ink else work
    if scale != 1.0:
        relit = cv2.resize(relit, (w, h), interpolation=cv2.INTER_LINEAR)
    res = matte_clip([relit])
    rgba = _drop_unseen(res.cutouts[0], seen)
    agree = _agreement(rgba[..., 3] > 127, seen)
    conf = float(res.confidence[0])
    reasons = [r for r in res.reasons[:1] if r]
    message = res.warning
    if agree < AGREE:
        conf = min(conf, agree)
        reasons.append("two ways of cutting disagree")
        message = None
    return Cutout(rgba, conf, "figure", tuple(reasons), message)


def _drop_unseen(rgba: np.ndarray, seen: np.ndarray) -> np.ndarray:
    """Kept pieces that the page's cut does not see at all (under a fifth of them): a shadow's edge,
    the rest of a table."""
    kept = (rgba[..., 3] > 0).astype(np.uint8)
    n, lab = cv2.connectedComponents(kept, connectivity=8)
    if n <= 1:
        return rgba
    area = np.bincount(lab.ravel(), minlength=n)
    overlap = np.bincount(lab.ravel(), weights=seen.ravel().astype(np.float64), minlength=n)
    stray = overlap < 0.2 * area
    stray[0] = False
    out = rgba.copy()
    out[stray[lab]] = 0
    # Thin bands the page's cut does not see along the figure's edge are a shadow's or the light's edge
    # left over; a wide unseen part (a pale belly the page took for paper) is the figure's own.
    ys, xs = np.nonzero(seen)
    if len(ys):
        r = max(2, round(FRINGE * max(int(np.ptp(ys)), int(np.ptp(xs)))))
        extra = (out[..., 3] > 0) & ~(cv2.dilate(seen.astype(np.uint8), np.ones((5, 5), np.uint8)) > 0)
        wide = cv2.morphologyEx(extra.astype(np.uint8), cv2.MORPH_OPEN, _disk(r)) > 0
        wide = cv2.dilate(wide.astype(np.uint8), np.ones((3, 3), np.uint8)) > 0
        out[extra & ~wide] = 0
    return out


def _disk(r: int) -> np.ndarray:
    return cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * r + 1, 2 * r + 1))
