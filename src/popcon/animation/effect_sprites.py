"""The sprites of the cartoon overlays: hearts, drops, stars, anger mark, "!", "?", Zzz, notes, bursts.

Drawn once with Pillow at 4x and downsampled (anti-aliased), cached per pixel size, then alpha-blended
onto a frame. All carry the dark outline the characters have, which keeps them apart from a key colour.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from functools import lru_cache

import cv2
import numpy as np
from PIL import Image, ImageDraw

from popcon.animation.motion import ease_out_back, smoothstep

OUTLINE = (48, 36, 52)
HEART = (255, 92, 138)
TEAR = (120, 200, 255)
SWEAT = (150, 215, 255)
SPARKLE = (255, 222, 70)
ANGER = (232, 48, 62)
EXCLAIM = (255, 86, 64)
QUESTION = (84, 140, 255)
NOTE = (150, 96, 230)
BURST = (255, 196, 52)
ZZZ = (255, 255, 255)
LINES = (70, 66, 84)

# Colours drawn over clips: pass them to choose_key_color(..., extra_colors=...) when effects are used.
EFFECT_COLORS: tuple[tuple[int, int, int], ...] = (
    OUTLINE,
    HEART,
    TEAR,
    SWEAT,
    SPARKLE,
    ANGER,
    EXCLAIM,
    QUESTION,
    NOTE,
    BURST,
    ZZZ,
    LINES,
)

_SS = 4  # supersampling factor of sprites
LEGIBLE = 0.5  # a particle shown below this share of its size reads as a speck of dirt
STAR_LEGIBLE = 0.75  # a star is mostly thin points: it needs more of its size to read
_SIZE = 1.5  # overall overlay size: emoji are tiny on screen, overlays must read at 128 px


# ---------------------------------------------------------------- sprites


def _stroke_width(n: int, frac: float) -> int:
    return max(1, round(n * frac))


def _draw_heart(d: ImageDraw.ImageDraw, n: int) -> None:
    ow = _stroke_width(n, 0.06)
    for grow, colour in ((ow, OUTLINE), (0, HEART)):
        r = n * 0.22 + grow
        for cx in (0.29, 0.71):
            d.ellipse((n * cx - r, n * 0.34 - r, n * cx + r, n * 0.34 + r), fill=colour)
        d.polygon(
            [(n * 0.085 - grow, n * 0.43), (n * 0.915 + grow, n * 0.43), (n * 0.5, n * 0.9 + grow)],
            fill=colour,
        )
    d.ellipse((n * 0.2, n * 0.22, n * 0.32, n * 0.34), fill=(255, 255, 255))


def _draw_drop(colour: tuple[int, int, int]) -> Callable[[ImageDraw.ImageDraw, int], None]:
    def draw(d: ImageDraw.ImageDraw, n: int) -> None:
        ow = _stroke_width(n, 0.07)
        for grow, c in ((ow, OUTLINE), (0, colour)):
            r = n * 0.3 + grow
            cx, cy = n * 0.5, n * 0.66
            d.ellipse((cx - r, cy - r, cx + r, cy + r), fill=c)
            d.polygon(
                [(cx, n * 0.06 - grow * 1.3), (cx - r * 0.93, cy - r * 0.3), (cx + r * 0.93, cy - r * 0.3)],
                fill=c,
            )
        d.ellipse((n * 0.36, n * 0.56, n * 0.46, n * 0.72), fill=(255, 255, 255))

    return draw


def _draw_star(d: ImageDraw.ImageDraw, n: int) -> None:
    ow = _stroke_width(n, 0.06)
    c = n / 2
    for grow, colour in ((ow, OUTLINE), (0, SPARKLE)):
        pts = []
        for k in range(8):
            ang = math.pi / 4 * k - math.pi / 2
            rad = (n * 0.46 + grow) if k % 2 == 0 else (n * 0.13 + grow * 0.6)
            pts.append((c + rad * math.cos(ang), c + rad * math.sin(ang)))
        d.polygon(pts, fill=colour)


def _polyline(
    d: ImageDraw.ImageDraw, pts: Sequence[tuple[float, float]], width: float, colour: tuple[int, ...]
) -> None:
    """A centred thick stroke with round joints and caps (Pillow's arcs grow inwards, not centred)."""
    d.line(list(pts), fill=colour, width=max(1, round(width)), joint="curve")
    r = width / 2
    for x, y in (pts[0], pts[-1]):
        d.ellipse((x - r, y - r, x + r, y + r), fill=colour)


def _arc_pts(
    cx: float, cy: float, r: float, start: float, end: float, n: int = 32
) -> list[tuple[float, float]]:
    return [
        (cx + r * math.cos(math.radians(a)), cy + r * math.sin(math.radians(a)))
        for a in np.linspace(start, end, n)
    ]


def _draw_anger(d: ImageDraw.ImageDraw, n: int) -> None:
    w = n * 0.11
    ow = _stroke_width(n, 0.05)
    rad = n * 0.27
    arcs = []
    for sx, sy, start in ((-1, -1, 0), (1, -1, 90), (1, 1, 180), (-1, 1, 270)):
        cx, cy = n / 2 + sx * n * 0.4, n / 2 + sy * n * 0.4
        arcs.append(_arc_pts(cx, cy, rad, start + 12, start + 78))
    for width, colour in ((w + 2 * ow, OUTLINE), (w, ANGER)):
        for pts in arcs:
            _polyline(d, pts, width, colour)


def _draw_exclaim(d: ImageDraw.ImageDraw, n: int) -> None:
    ow = _stroke_width(n, 0.06)
    for grow, colour in ((ow, OUTLINE), (0, EXCLAIM)):
        d.polygon(
            [
                (n * 0.32 - grow, n * 0.04 - grow),
                (n * 0.68 + grow, n * 0.04 - grow),
                (n * 0.57 + grow, n * 0.66 + grow),
                (n * 0.43 - grow, n * 0.66 + grow),
            ],
            fill=colour,
        )
        d.ellipse((n * 0.37 - grow, n * 0.76 - grow, n * 0.63 + grow, n * 0.98 + grow), fill=colour)


def _draw_question(d: ImageDraw.ImageDraw, n: int) -> None:
    ow = _stroke_width(n, 0.05)
    w = n * 0.13
    hook = [*_arc_pts(n * 0.5, n * 0.3, n * 0.2, 190, 400), (n * 0.5, n * 0.5), (n * 0.5, n * 0.64)]
    for width, colour in ((w + 2 * ow, OUTLINE), (w, QUESTION)):
        _polyline(d, hook, width, colour)
    for grow, colour in ((ow, OUTLINE), (0, QUESTION)):
        r = n * 0.09 + grow
        d.ellipse((n * 0.5 - r, n * 0.86 - r, n * 0.5 + r, n * 0.86 + r), fill=colour)


def _draw_z(d: ImageDraw.ImageDraw, n: int) -> None:
    ow = _stroke_width(n, 0.07)
    top = [(0.12, 0.1), (0.88, 0.1), (0.88, 0.3), (0.4, 0.7), (0.88, 0.7)]
    pts = [*top, (0.88, 0.9), (0.12, 0.9), (0.12, 0.7), (0.6, 0.3), (0.12, 0.3)]
    poly = [(x * n, y * n) for x, y in pts]
    d.polygon(poly, fill=OUTLINE, outline=OUTLINE, width=ow * 2)
    d.polygon(poly, fill=ZZZ)


def _draw_note(d: ImageDraw.ImageDraw, n: int) -> None:
    ow = _stroke_width(n, 0.06)
    for grow, colour in ((ow, OUTLINE), (0, NOTE)):
        d.ellipse((n * 0.1 - grow, n * 0.62 - grow, n * 0.5 + grow, n * 0.92 + grow), fill=colour)
        d.rectangle((n * 0.4 - grow, n * 0.1 - grow, n * 0.5 + grow, n * 0.78), fill=colour)
        d.polygon(
            [
                (n * 0.4 - grow, n * 0.08 - grow),
                (n * 0.85 + grow, n * 0.22 - grow),
                (n * 0.85 + grow, n * 0.42 + grow),
                (n * 0.5, n * 0.3 + grow),
            ],
            fill=colour,
        )


def _draw_burst(d: ImageDraw.ImageDraw, n: int) -> None:
    ow = _stroke_width(n, 0.05)
    w = _stroke_width(n, 0.08)
    c = n / 2
    for grow, colour in ((ow, OUTLINE), (0, BURST)):
        for k in range(8):
            ang = math.pi / 4 * k + math.pi / 8
            r0, r1 = n * 0.22, n * (0.46 if k % 2 == 0 else 0.38)
            d.line(
                [
                    (c + r0 * math.cos(ang), c + r0 * math.sin(ang)),
                    (c + r1 * math.cos(ang), c + r1 * math.sin(ang)),
                ],
                fill=colour,
                width=w + 2 * grow,
            )
            for r in (r0, r1):
                x, y = c + r * math.cos(ang), c + r * math.sin(ang)
                h = (w + 2 * grow) / 2
                d.ellipse((x - h, y - h, x + h, y + h), fill=colour)


_SPRITES: dict[str, Callable[[ImageDraw.ImageDraw, int], None]] = {
    "heart": _draw_heart,
    "tear": _draw_drop(TEAR),
    "sweat": _draw_drop(SWEAT),
    "star": _draw_star,
    "anger": _draw_anger,
    "exclaim": _draw_exclaim,
    "question": _draw_question,
    "z": _draw_z,
    "note": _draw_note,
    "burst": _draw_burst,
}


@lru_cache(maxsize=1024)
def sprite(name: str, px: int) -> np.ndarray:
    """A premultiplied RGBA float32 sprite (values 0..1) of about px x px, anti-aliased."""
    px = max(4, px)
    big = px * _SS
    im = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    _SPRITES[name](ImageDraw.Draw(im), big)
    arr = np.asarray(im.convert("RGBa"), dtype=np.float32) / 255.0
    return cv2.resize(arr, (px, px), interpolation=cv2.INTER_AREA)


def _q(px: float) -> int:
    """Quantise sprite sizes so the cache stays small while animation stays smooth."""
    return max(4, round(px / 2.0) * 2)


def blit(frame: np.ndarray, spr: np.ndarray, cx: float, cy: float, opacity: float = 1.0) -> None:
    """Blend a premultiplied sprite centred at (cx, cy) onto an RGB uint8 frame, in place."""
    if opacity <= 0.003:
        return
    h, w = spr.shape[:2]
    x0, y0 = round(cx - w / 2), round(cy - h / 2)
    fx0, fy0 = max(0, x0), max(0, y0)
    fx1, fy1 = min(frame.shape[1], x0 + w), min(frame.shape[0], y0 + h)
    if fx1 <= fx0 or fy1 <= fy0:
        return
    s = spr[fy0 - y0 : fy1 - y0, fx0 - x0 : fx1 - x0]
    region = frame[fy0:fy1, fx0:fx1].astype(np.float32)
    a = s[..., 3:4] * opacity
    out = s[..., :3] * (255.0 * opacity) + region * (1.0 - a)
    frame[fy0:fy1, fx0:fx1] = np.clip(out + 0.5, 0, 255).astype(np.uint8)


def put_sprite(frame: np.ndarray, name: str, size: float, x: float, y: float, visible: float = 1.0) -> None:
    """Draw a sprite; `visible` below 1 shrinks it (never fades it, see `particle_life`)."""
    size *= _SIZE * min(1.0, max(0.0, visible))
    # Below this a sprite is a speck, not a heart or a star: it pops in and out instead of
    # shrinking through sizes that read as dirt beside the character once cut out and shrunk.
    if size < max(4.0, frame.shape[0] * 0.035):
        return
    spr = sprite(name, _q(size))
    half = spr.shape[0] / 2 + 2
    # Keep overlays inside the top and the sides (a "?" above a tall character); falling ones may leave.
    x = min(max(x, half), frame.shape[1] - half)
    y = max(y, half)
    blit(frame, spr, x, y)


def particle_life(p: float, pop: float = 0.2, fade: float = 0.3) -> tuple[float, float]:
    """(scale, opacity) of a particle over its life p in [0, 1): pops in, shrinks away.

    Particles vanish by shrinking rather than by fading: a half-transparent overlay would mix
    with the key colour and leave a tinted fringe after the matte.
    """
    scale = ease_out_back(min(1.0, p / pop)) if p < pop else 1.0
    if p > 1.0 - fade:
        scale *= smoothstep((1.0 - p) / fade)
    # Under half its size a particle is a crumb, not a heart or a tear: it pops instead.
    return (scale if scale >= LEGIBLE else 0.0), 1.0
