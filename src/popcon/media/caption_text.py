"""Draw a caption in sticker style: bold text, a dark ring that reads on light chats and a light rim
around it that reads on dark ones, as one tight RGBA image.

Each run of the caption is drawn by the font that has its characters (popcon.media.fonts), on a
shared baseline, through Pillow's complex-text layout (HarfBuzz via raqm) where Pillow has it, so Thai
marks and Korean syllables are shaped; the basic layout is the fallback.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont, features

from popcon.domain.captions import CaptionStyle
from popcon.domain.platforms import parse_colour
from popcon.media.fonts import FontRef, font_runs


@lru_cache(maxsize=64)
def _font(path: Path, index: int, size: int) -> ImageFont.FreeTypeFont:
    layout = ImageFont.Layout.RAQM if features.check("raqm") else ImageFont.Layout.BASIC
    return ImageFont.truetype(str(path), size, index=index, layout_engine=layout)


@dataclass(frozen=True)
class TextBlock:
    """A rendered caption: RGBA pixels, tight to the outermost ring, and the lines it holds."""

    image: np.ndarray
    lines: tuple[str, ...]
    size_px: int


def _rings(style: CaptionStyle, size: int) -> tuple[int, int]:
    """(dark ring, dark + light rim) stroke widths in pixels: at least 1 each, so both chats read."""
    dark = max(1, round(style.outline_fraction * size))
    return dark, dark + max(1, round(style.rim_fraction * size))


def line_width(text: str, lang: str, size: int, style: CaptionStyle) -> int:
    """Width of one line, rings included."""
    runs = font_runs(text, lang)
    return (
        round(sum(_font(r.path, r.index, size).getlength(piece) for r, piece in runs))
        + 2 * _rings(style, size)[1]
    )


def _line_masks(text: str, lang: str, size: int, style: CaptionStyle) -> tuple[np.ndarray, ...]:
    """(rim, dark ring, fill) coverage masks of one line, same size, float 0..1."""
    runs = font_runs(text, lang)
    dark, outer = _rings(style, size)
    fonts: list[tuple[ImageFont.FreeTypeFont, str]] = [(_font(r.path, r.index, size), p) for r, p in runs]
    ascent = max((f.getmetrics()[0] for f, _ in fonts), default=size)
    descent = max((f.getmetrics()[1] for f, _ in fonts), default=0)
    width = round(sum(f.getlength(p) for f, p in fonts)) + 2 * outer + 2
    height = ascent + descent + 2 * outer + 2
    masks = []
    for stroke in (outer, dark, 0):
        im = Image.new("L", (width, height), 0)
        draw = ImageDraw.Draw(im)
        x = float(outer + 1)
        for font, piece in fonts:
            draw.text(
                (x, outer + 1 + ascent),
                piece,
                font=font,
                anchor="ls",
                fill=255,
                stroke_width=stroke,
                stroke_fill=255,
            )
            x += font.getlength(piece)
        masks.append(np.asarray(im, np.float32) / 255.0)
    return tuple(masks)


def render_lines(lines: tuple[str, ...], lang: str, size: int, style: CaptionStyle, fill: str) -> TextBlock:
    """The caption's lines centred under each other, coloured and cropped to the visible pixels."""
    per_line = [_line_masks(line, lang, size, style) for line in lines]
    width = max(m[0].shape[1] for m in per_line)
    lead = -round(0.12 * size)  # CJK fonts' line boxes are tall: pull the lines together
    height = sum(m[0].shape[0] for m in per_line) + lead * (len(per_line) - 1)
    stack = np.zeros((3, height, width), np.float32)
    y = 0
    for masks in per_line:
        h, w = masks[0].shape
        x = (width - w) // 2
        for k in range(3):
            region = stack[k, y : y + h, x : x + w]
            np.maximum(region, masks[k], out=region)
        y += h + lead
    rim, ring, body = stack
    out = np.zeros((height, width, 4), np.float32)  # premultiplied, then made straight
    for colour, cover in ((style.rim, rim), (style.outline, ring), (fill, body)):
        rgb = np.asarray(parse_colour(colour), np.float32) / 255.0
        a = cover[:, :, None]
        out[:, :, :3] = rgb * a + out[:, :, :3] * (1.0 - a)
        out[:, :, 3:] = a + out[:, :, 3:] * (1.0 - a)
    alpha = out[:, :, 3:]
    out[:, :, :3] = np.where(alpha > 1e-6, out[:, :, :3] / np.maximum(alpha, 1e-6), 0.0)
    pixels = (np.clip(out, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)
    ys, xs = np.nonzero(pixels[:, :, 3])
    if ys.size == 0:
        return TextBlock(pixels[:1, :1], lines, size)
    return TextBlock(pixels[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1].copy(), lines, size)


def _break_points(text: str) -> list[int]:
    """Where a line may break: after spaces; in a text without spaces (CJK, Thai) between any two
    characters that are not a mark bound to the one before."""
    spaces = [i for i, c in enumerate(text) if c == " " and 0 < i < len(text) - 1]
    if spaces:
        return spaces
    return [
        i for i in range(1, len(text)) if unicodedata.category(text[i]) not in {"Mn", "Mc", "Me", "Cf", "Po"}
    ]


def _candidates(text: str, max_lines: int) -> list[tuple[str, ...]]:
    """One line first, then two-line splits, most even first (three lines only where allowed)."""
    out: list[tuple[str, ...]] = [(text,)]
    if max_lines >= 2:
        cuts = sorted(_break_points(text), key=lambda i: abs(len(text) / 2 - i))
        out += [(text[:i].strip(), text[i:].strip()) for i in cuts[:6]]
    return out


def fit_text(
    text: str, lang: str, fill: str, style: CaptionStyle, max_w: int, max_h: int, start_size: int
) -> TextBlock | None:
    """The largest rendering of `text` within max_w x max_h, from `start_size` down to the style's
    minimum; None when even the minimum does not fit (the caller says so)."""
    size = start_size
    while size >= style.min_size_px:
        wrap = size <= 0.8 * start_size or size == style.min_size_px  # shrink a little before wrapping
        for lines in _candidates(text, style.max_lines if wrap else 1):
            if max(line_width(line, lang, size, style) for line in lines) > max_w:
                continue
            block = render_lines(lines, lang, size, style, fill)
            if block.image.shape[1] <= max_w and block.image.shape[0] <= max_h:
                return block
        size = max(style.min_size_px, min(size - 1, int(size * 0.92))) if size > style.min_size_px else 0
    return None


def font_of(text: str, lang: str) -> list[FontRef]:
    """The faces that draw `text` (for reports and tests)."""
    return list(dict.fromkeys(r for r, _ in font_runs(text, lang)))
