"""Put a caption on a clip: make room for it beside the character's head, keep it inside the safe
area, animate it, and composite it onto the canvas frames before the byte budget is fitted.

Layout, in canvas pixels. The safe area is the canvas inset by the preset's margin or by the style's
share of the short side, whichever is larger (chat apps round corners and crop edges). The caption
goes in a band at the bottom or the top of the safe area, on the side that leaves the character
larger. The character may reach under the caption but its head may not: the protected part of the
character's box is the head's span from the rig where the job has one (widened to every height the
head takes while the clip moves), else the whole box, so the caption then sits in free space above or
below the character's cut-out. The caption's animation (a pop or a bounce) is sized into its box, so
every frame stays inside the safe area, and frame 0 (the store's still preview) shows it at rest.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from popcon.domain.captions import Caption, caption_data
from popcon.domain.errors import InvalidInput
from popcon.domain.platforms import CanvasRule
from popcon.media.canvas import resize_premultiplied, target_size, union_bbox
from popcon.media.caption_text import TextBlock, fit_text, line_width

Box = tuple[int, int, int, int]  # x0, y0, x1, y1 (exclusive)


@dataclass(frozen=True)
class CaptionLayout:
    size: tuple[int, int]  # canvas W, H
    safe: Box  # the caption never leaves this
    band: Box  # the caption's box at its largest (animation included), inside `safe`
    character: Box  # where the character's union box is drawn
    head: tuple[int, int]  # rows the head may take on the canvas (protected from the caption)
    side: str  # "top" | "bottom"
    block: TextBlock


def head_span(frames: Sequence[np.ndarray], head: tuple[float, float] | None) -> tuple[float, float]:
    """The head's rows as fractions of the clip's union box, over every frame.

    `head` is measured on the character at rest. A clip that jumps or squats moves the head inside the
    taller union box, so the span runs from the highest the head can be (the character at the top of
    the box) to the lowest (at the bottom), with the character's height taken as the median frame's.
    """
    if head is None:
        return 0.0, 1.0
    box = union_bbox(frames)
    if box is None:
        return 0.0, 1.0
    union_h = box[3] - box[1]
    heights = []
    for f in frames:
        rows = np.flatnonzero((f[:, :, 3] > 8).any(axis=1))
        if rows.size:
            heights.append(rows[-1] + 1 - rows[0])
    h = float(np.median(heights)) if heights else float(union_h)
    top, bottom = sorted((min(max(head[0], 0.0), 1.0), min(max(head[1], 0.0), 1.0)))
    slack = max(0.0, union_h - h)
    return (top * h) / union_h, min(1.0, (bottom * h + slack) / union_h)


def _safe_box(w: int, h: int, margin_px: int, safe_fraction: float) -> Box:
    inset = max(margin_px, math.ceil(safe_fraction * min(w, h)))
    return inset, inset, w - inset, h - inset


def _grow(caption: Caption) -> float:
    """How much larger than at rest the caption gets while it moves (pop: scale; bounce: lift)."""
    return 1.0 + caption_data().style.amplitude if caption.motion != "none" else 1.0


def _place(
    size: tuple[int, int],
    cw: int,
    ch: int,
    margin_px: int,
    block: TextBlock,
    span: tuple[float, float],
    caption: Caption,
) -> list[CaptionLayout]:
    """Both sides' layouts for a rendered caption on a canvas of `size` (each with the character's box)."""
    style = caption_data().style
    W, H = size
    safe = _safe_box(W, H, margin_px, style.safe_fraction)
    bh, bw = block.image.shape[:2]
    grow = _grow(caption)
    env_w = math.ceil(bw * grow) if caption.motion == "pop" else bw
    env_h = math.ceil(bh * grow)
    gap = max(1, round(style.gap_fraction * min(W, H)))
    mx0, my0, mx1, my1 = margin_px, margin_px, W - margin_px, H - margin_px
    bx0 = (W - env_w) // 2
    out = []
    for side in ("bottom", "top"):
        if side == "bottom":
            band = (bx0, safe[3] - env_h, bx0 + env_w, safe[3])
            room = band[1] - gap - my0  # from the top margin down to the caption, for the head's end
            s = min((mx1 - mx0) / cw, (my1 - my0) / ch, room / max(ch * span[1], 1e-6))
        else:
            band = (bx0, safe[1], bx0 + env_w, safe[1] + env_h)
            room = my1 - band[3] - gap
            s = min((mx1 - mx0) / cw, (my1 - my0) / ch, room / max(ch * (1.0 - span[0]), 1e-6))
        if s <= 0:
            continue
        nw, nh = max(1, round(cw * s)), max(1, round(ch * s))
        centred = (my0 + my1 - nh) // 2
        if side == "bottom":
            y = max(my0, min(centred, math.floor(band[1] - gap - nh * span[1])))
        else:
            y = min(my1 - nh, max(centred, math.ceil(band[3] + gap - nh * span[0])))
        x = (W - nw) // 2
        head = (y + math.floor(nh * span[0]), y + math.ceil(nh * span[1]))
        out.append(CaptionLayout(size, safe, band, (x, y, x + nw, y + nh), head, side, block))
    return out


def plan_caption(
    frames: Sequence[np.ndarray], rule: CanvasRule, margin_px: int, caption: Caption
) -> CaptionLayout:
    """Where the character and the caption go on the preset's canvas (InvalidInput if it cannot fit)."""
    box = union_bbox(frames)
    if box is None:
        raise InvalidInput("every frame is fully transparent: nothing to export")
    cw, ch = box[2] - box[0], box[3] - box[1]
    span = head_span(frames, caption.head)
    style = caption_data().style
    grow = _grow(caption)
    # One text size for every sticker of a set: from the preset's largest canvas, not this clip's
    # fitted one (a tall character would otherwise get a narrow canvas and a small caption).
    start = max(style.min_size_px, round(style.size_fraction * min(rule.width, rule.height)))
    pop = grow if caption.motion == "pop" else 1.0
    natural = line_width(caption.text, caption.lang, start, style) * pop * 1.04 + 2  # + rounding slack
    size = target_size(rule, cw, ch)
    best: CaptionLayout | None = None
    for _ in range(4):  # a fitted canvas follows the content's aspect, caption included
        W, H = size
        safe = _safe_box(W, H, margin_px, style.safe_fraction)
        max_w = int((safe[2] - safe[0]) / (grow if caption.motion == "pop" else 1.0))
        max_h = int((safe[3] - safe[1]) * 0.4 / grow)
        block = fit_text(caption.text, caption.lang, caption.fill, style, max_w, max_h, start)
        if block is None:
            raise InvalidInput(
                f"the caption {caption.text!r} does not fit a {W}x{H} canvas even at "
                f"{style.min_size_px} px; shorten it"
            )
        layouts = _place(size, cw, ch, margin_px, block, span, caption)
        if not layouts:
            raise InvalidInput(f"the caption {caption.text!r} leaves no room for the character on {W}x{H}")
        best = max(layouts, key=lambda lay: (lay.character[3] - lay.character[1], lay.side == "bottom"))
        if rule.mode == "exact" or rule.square:
            break
        scale = (best.character[3] - best.character[1]) / ch  # canvas pixels per source pixel
        inset = W - (safe[2] - safe[0])
        # wide enough for the character within its margins and for the caption on one line
        content_w = max(cw + 2 * margin_px / scale, min(natural + inset, rule.width) / scale)
        new = target_size(rule, round(content_w), round(H / scale))
        if new == size:
            break
        size = new
    assert best is not None
    return best


def caption_frame(layout: CaptionLayout, motion: str, t: float) -> tuple[np.ndarray, tuple[int, int]]:
    """The caption's pixels at loop phase `t` (0..1) and their top-left on the canvas.

    Both motions are at rest at t = 0 and return there at t = 1, so the loop and the still agree.
    """
    img = layout.block.image
    bh, bw = img.shape[:2]
    x0, y0, x1, y1 = layout.band
    cx = (x0 + x1) / 2
    amp = caption_data().style.amplitude
    if motion == "pop":
        s = 1.0 + amp * math.sin(math.pi * t) ** 2
        w, h = max(1, round(bw * s)), max(1, round(bh * s))
        w, h = min(w, x1 - x0), min(h, y1 - y0)
        pix = resize_premultiplied(img, (w, h)) if (w, h) != (bw, bh) else img
        anchor_y = y1 - h if layout.side == "bottom" else y0  # grows away from the edge it sits on
        return pix, (round(cx - w / 2), anchor_y)
    lift = round(amp * bh * abs(math.sin(2 * math.pi * t))) if motion == "bounce" else 0
    top = y1 - bh - lift if layout.side == "bottom" else y0 + (y1 - y0 - bh) - lift
    return img, (round(cx - bw / 2), max(y0, top))


def _over(dst: np.ndarray, src: np.ndarray, x: int, y: int) -> None:
    """Alpha-composite `src` over `dst` in place (straight alpha, uint8)."""
    h, w = src.shape[:2]
    region = dst[y : y + h, x : x + w].astype(np.float32) / 255.0
    s = src.astype(np.float32) / 255.0
    sa, da = s[:, :, 3:4], region[:, :, 3:4]
    out_a = sa + da * (1.0 - sa)
    rgb = (s[:, :, :3] * sa + region[:, :, :3] * da * (1.0 - sa)) / np.maximum(out_a, 1e-6)
    dst[y : y + h, x : x + w] = (np.concatenate([rgb, out_a], axis=2) * 255.0 + 0.5).astype(np.uint8)


def caption_layers(layout: CaptionLayout, n: int, motion: str) -> list[np.ndarray]:
    """The caption alone on transparent canvases, one per frame (what tests check against the safe area)."""
    W, H = layout.size
    layers = []
    for i in range(n):
        pix, (x, y) = caption_frame(layout, motion, i / n)
        layer = np.zeros((H, W, 4), np.uint8)
        _over(layer, pix, x, y)
        layers.append(layer)
    return layers


def fit_captioned(
    frames: Sequence[np.ndarray], rule: CanvasRule, margin_px: int, caption: Caption
) -> list[np.ndarray]:
    """`fit_frames` with a caption: the character placed by the plan, the caption drawn over it."""
    layout = plan_caption(frames, rule, margin_px, caption)
    box = union_bbox(frames)
    assert box is not None
    x0, y0, x1, y1 = box
    cx0, cy0, cx1, cy1 = layout.character
    W, H = layout.size
    out = []
    n = len(frames)
    for i, f in enumerate(frames):
        canvas = np.zeros((H, W, 4), np.uint8)
        canvas[cy0:cy1, cx0:cx1] = resize_premultiplied(f[y0:y1, x0:x1], (cx1 - cx0, cy1 - cy0))
        pix, (x, y) = caption_frame(layout, caption.motion, i / n)
        _over(canvas, pix, x, y)
        out.append(canvas)
    return out
