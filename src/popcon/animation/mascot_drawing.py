"""Drawing the offline mascot's parts with Pillow at 3x, downsampled so edges are anti-aliased and the
alpha is soft: the pen, the tail, ears, face, clothes, torso, limbs and head.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw

from popcon.animation.mascot_prompt import OUTLINE, RGB, MascotSpec, shade

SUPERSAMPLE = 3  # drawn this many times larger, then shrunk: smooth outlines; the layers share it
EYE: RGB = (42, 30, 46)
BLUSH = (255, 120, 150, 130)
_LayerFn = Callable[[ImageDraw.ImageDraw, int], None]
# ---------------------------------------------------------------- drawing helpers


class Pen:
    """Draws in unit coordinates (0..1 of the canvas) with a consistent outline width."""

    def __init__(self, im: Image.Image) -> None:
        self.im = im
        self.d = ImageDraw.Draw(im)
        self.n = im.width
        self.ow = max(2, round(self.n * 0.011))

    def p(self, x: float, y: float) -> tuple[float, float]:
        return x * self.n, y * self.n

    def ellipse(
        self,
        cx: float,
        cy: float,
        rx: float,
        ry: float,
        fill: Sequence[int] | None,
        outline: bool = True,
        angle: float = 0.0,
    ) -> None:
        pts = _ellipse_pts(cx * self.n, cy * self.n, rx * self.n, ry * self.n, angle)
        self.d.polygon(
            pts,
            fill=tuple(fill) if fill else None,
            outline=OUTLINE if outline else None,
            width=self.ow if outline else 0,
        )

    def poly(
        self, pts: Sequence[tuple[float, float]], fill: Sequence[int] | None, outline: bool = True
    ) -> None:
        self.d.polygon(
            [self.p(x, y) for x, y in pts],
            fill=tuple(fill) if fill else None,
            outline=OUTLINE if outline else None,
            width=self.ow if outline else 0,
        )

    def rrect(
        self, x0: float, y0: float, x1: float, y1: float, r: float, fill: Sequence[int], outline: bool = True
    ) -> None:
        self.d.rounded_rectangle(
            (*self.p(x0, y0), *self.p(x1, y1)),
            radius=r * self.n,
            fill=tuple(fill),
            outline=OUTLINE if outline else None,
            width=self.ow if outline else 0,
        )

    def capsule(
        self,
        a: tuple[float, float],
        b: tuple[float, float],
        w: float,
        fill: Sequence[int],
        outline_a: bool = True,
    ) -> None:
        """A limb: a thick round-capped line with an outline. `outline_a=False` leaves the outline arc
        off the `a` end, where the segment continues another one (an elbow: no seam across the arm)."""
        for width, colour in ((w * self.n + 2 * self.ow, OUTLINE), (w * self.n, tuple(fill))):
            self.d.line([self.p(*a), self.p(*b)], fill=colour, width=round(width))
            for x, y in (a, b) if outline_a or colour != OUTLINE else (b,):
                r = width / 2
                cx, cy = self.p(x, y)
                self.d.ellipse((cx - r, cy - r, cx + r, cy + r), fill=colour)

    def line(self, pts: Sequence[tuple[float, float]], w: float, fill: Sequence[int] = OUTLINE) -> None:
        self.d.line(
            [self.p(x, y) for x, y in pts], fill=tuple(fill), width=max(1, round(w * self.n)), joint="curve"
        )
        r = w * self.n / 2
        for x, y in (pts[0], pts[-1]):
            cx, cy = self.p(x, y)
            self.d.ellipse((cx - r, cy - r, cx + r, cy + r), fill=tuple(fill))

    def arc(
        self,
        cx: float,
        cy: float,
        rx: float,
        ry: float,
        start: float,
        end: float,
        w: float,
        fill: Sequence[int] = OUTLINE,
    ) -> None:
        pts = [
            (cx + rx * math.cos(math.radians(a)), cy + ry * math.sin(math.radians(a)))
            for a in np.linspace(start, end, 24)
        ]
        self.line(pts, w, fill)


def _ellipse_pts(
    cx: float, cy: float, rx: float, ry: float, angle: float, n: int = 96
) -> list[tuple[float, float]]:
    ca, sa = math.cos(math.radians(angle)), math.sin(math.radians(angle))
    out = []
    for k in range(n):
        a = 2 * math.pi * k / n
        x, y = rx * math.cos(a), ry * math.sin(a)
        out.append((cx + x * ca - y * sa, cy + x * sa + y * ca))
    return out


def draw_overlay(im: Image.Image, draw_fn: _LayerFn) -> None:
    """Draw semi-transparent shapes (blush, sheen) on their own layer and composite them."""
    layer = Image.new("RGBA", im.size, (0, 0, 0, 0))
    draw_fn(ImageDraw.Draw(layer), im.width)
    # Only where the mascot already is: the overlays never add to the silhouette.
    la = np.asarray(layer).copy()
    la[..., 3] = (la[..., 3].astype(np.uint16) * (np.asarray(im)[..., 3] > 0)).astype(np.uint8)
    im.alpha_composite(Image.fromarray(la, "RGBA"))


# ---------------------------------------------------------------- the mascot


@dataclass
class MascotGeometry:
    """Head and body ellipses of the mascot in unit coordinates; the part drawers and the joints share it."""

    hx: float = 0.5
    hy: float = 0.37
    hrx: float = 0.25
    hry: float = 0.215
    by: float = 0.705
    brx: float = 0.155
    bry: float = 0.155
    eye_dx: float = 0.095
    eye_y: float = 0.39


def draw_tail(pen: Pen, spec: MascotSpec, g: MascotGeometry, side: float) -> None:
    """The tail on its own layer, behind the body, on the `side` the prompt's seed picked."""
    c = spec.body
    a = spec.animal
    if a == "fox":
        # A plump tail sweeping up and out, its white tip peeking from the far end.
        ang = math.radians(-50)
        cx, cy, rx = 0.5 + side * 0.28, 0.7, 0.16
        tip = (cx + side * math.cos(ang) * rx * 1.02, cy + math.sin(ang) * rx * 1.02)
        pen.ellipse(tip[0], tip[1], 0.075, 0.062, (255, 250, 240), angle=side * -50)
        pen.ellipse(cx, cy, rx, 0.078, c, angle=side * -50)
    elif a in ("cat", "mouse"):
        w = 0.04 if a == "cat" else 0.018
        pts = [
            (0.5 + side * (0.12 + 0.2 * k), 0.8 - 0.25 * k * k + 0.03 * math.sin(k * 6))
            for k in np.linspace(0, 1, 12)
        ]
        pen.line(pts, w + 2 * pen.ow / pen.n)
        pen.line(pts, w, c if a == "cat" else shade(c, -0.1))


def draw_ears(
    pen: Pen, spec: MascotSpec, g: MascotGeometry, front: bool, sides: tuple[int, ...] = (-1, 1)
) -> None:
    """Ears on `pen`'s layer: those behind the head (`front` False) or those over it (a dog's, a bird's)."""
    a, c = spec.animal, spec.body
    inner = (255, 170, 185)
    if not front and a in ("cat", "fox"):
        tall = 0.17 if a == "fox" else 0.13
        for s in sides:
            tip = (g.hx + s * 0.19, g.hy - g.hry - tall + 0.07)
            base = [(g.hx + s * 0.06, g.hy - g.hry + 0.02), tip, (g.hx + s * 0.25, g.hy - 0.06)]
            pen.poly(base, c)
            inn = [
                (g.hx + s * 0.1, g.hy - g.hry + 0.04),
                (tip[0] - s * 0.01, tip[1] + 0.05),
                (g.hx + s * 0.215, g.hy - 0.08),
            ]
            pen.poly(inn, (255, 246, 236) if a == "fox" else inner, outline=False)
            if a == "fox":
                pen.poly(
                    [tip, (tip[0] - s * 0.035, tip[1] + 0.05), (tip[0] + s * 0.02, tip[1] + 0.055)],
                    (70, 50, 55),
                    outline=False,
                )
    elif not front and a in ("bear", "panda"):
        ear = (40, 38, 46) if a == "panda" else c
        for s in sides:
            pen.ellipse(g.hx + s * 0.19, g.hy - g.hry + 0.04, 0.07, 0.065, ear)
            if a == "bear":
                pen.ellipse(
                    g.hx + s * 0.19, g.hy - g.hry + 0.045, 0.035, 0.032, shade(c, 0.35), outline=False
                )
    elif not front and a == "rabbit":
        for s in sides:
            pen.ellipse(g.hx + s * 0.1, g.hy - g.hry - 0.08, 0.055, 0.15, c, angle=s * 12)
            pen.ellipse(g.hx + s * 0.1, g.hy - g.hry - 0.075, 0.026, 0.11, inner, outline=False, angle=s * 12)
    elif not front and a == "mouse":
        for s in sides:
            pen.ellipse(g.hx + s * 0.22, g.hy - g.hry + 0.03, 0.105, 0.1, c)
            pen.ellipse(g.hx + s * 0.22, g.hy - g.hry + 0.035, 0.062, 0.058, inner, outline=False)
    elif front and a == "dog":
        ear = shade(c, -0.28)
        for s in (-1, 1):
            pen.ellipse(g.hx + s * 0.235, g.hy - 0.02, 0.065, 0.13, ear, angle=-s * 18)
    elif not front and a == "frog":
        for s in (-1, 1):
            pen.ellipse(g.hx + s * 0.12, g.hy - g.hry + 0.02, 0.085, 0.08, c)
    elif front and a == "bird":
        for k, ang in ((-1, -25), (0, 0), (1, 25)):
            pen.ellipse(g.hx + k * 0.03, g.hy - g.hry - 0.025, 0.018, 0.05, shade(c, -0.1), angle=ang)
    elif not front and a == "robot":
        pen.line([(g.hx, g.hy - g.hry + 0.01), (g.hx, g.hy - g.hry - 0.07)], 0.012 + 2 * pen.ow / pen.n)
        pen.ellipse(g.hx, g.hy - g.hry - 0.075, 0.03, 0.03, (255, 90, 90))
        for s in (-1, 1):
            pen.rrect(
                g.hx + s * g.hrx - 0.03,
                g.hy - 0.05,
                g.hx + s * g.hrx + 0.03,
                g.hy + 0.05,
                0.015,
                shade(c, -0.2),
            )
    elif front and a == "blob":
        pen.line(
            [(g.hx, g.hy - g.hry + 0.01), (g.hx + 0.01, g.hy - g.hry - 0.05)], 0.012 + 2 * pen.ow / pen.n
        )
        pen.line([(g.hx, g.hy - g.hry + 0.01), (g.hx + 0.01, g.hy - g.hry - 0.05)], 0.012, (90, 170, 80))
        pen.ellipse(g.hx - 0.045, g.hy - g.hry - 0.06, 0.045, 0.022, (120, 205, 100), angle=-20)
        pen.ellipse(g.hx + 0.055, g.hy - g.hry - 0.07, 0.05, 0.024, (120, 205, 100), angle=25)


def draw_face(pen: Pen, spec: MascotSpec, g: MascotGeometry) -> None:
    """Eyes, snout, mouth and blush on the head layer, so they turn with the head."""
    a, c = spec.animal, spec.body
    snout = a in ("cat", "fox", "dog", "bear", "mouse", "rabbit", "panda")
    if a == "fox":
        pen.ellipse(g.hx - 0.09, g.hy + 0.09, 0.12, 0.08, (255, 248, 238), outline=False, angle=-15)
        pen.ellipse(g.hx + 0.09, g.hy + 0.09, 0.12, 0.08, (255, 248, 238), outline=False, angle=15)
    if a == "bear":
        pen.ellipse(g.hx, g.hy + 0.075, 0.07, 0.05, shade(c, 0.4), outline=False)
    if a == "penguin":
        pen.ellipse(g.hx - 0.085, g.hy + 0.02, 0.11, 0.13, (252, 252, 255), outline=False)
        pen.ellipse(g.hx + 0.085, g.hy + 0.02, 0.11, 0.13, (252, 252, 255), outline=False)
        pen.ellipse(g.hx, g.hy + 0.09, 0.16, 0.09, (252, 252, 255), outline=False)
    if a == "robot":
        pen.rrect(g.hx - 0.2, g.hy - 0.1, g.hx + 0.2, g.hy + 0.13, 0.06, (46, 56, 80))
    ey, edx = g.eye_y, g.eye_dx
    if a == "panda":
        for s in (-1, 1):
            pen.ellipse(g.hx + s * edx, ey + 0.005, 0.055, 0.07, (40, 38, 46), outline=False, angle=s * 25)
    big = a in ("frog",)
    for s in (-1, 1):
        ex = g.hx + s * edx
        if big:
            pen.ellipse(ex, ey, 0.05, 0.05, (255, 255, 255), outline=False)
        if a == "robot":
            pen.ellipse(ex, ey, 0.04, 0.05, (120, 230, 255), outline=False)
            pen.ellipse(ex - 0.012, ey - 0.018, 0.013, 0.013, (255, 255, 255), outline=False)
            continue
        rx, ry = (0.032, 0.044) if not big else (0.03, 0.036)
        pen.ellipse(ex, ey, rx, ry, EYE, outline=False)
        pen.ellipse(ex, ey + ry * 0.45, rx * 0.7, ry * 0.35, (96, 70, 110), outline=False)
        pen.ellipse(ex - rx * 0.3, ey - ry * 0.38, rx * 0.42, ry * 0.34, (255, 255, 255), outline=False)
        pen.ellipse(ex + rx * 0.38, ey + ry * 0.3, rx * 0.18, ry * 0.14, (255, 255, 255), outline=False)
    my = g.hy + 0.065
    w = 0.0085
    if a in ("bird", "penguin"):
        beak = (255, 160, 50)
        pen.poly([(g.hx - 0.035, my - 0.012), (g.hx + 0.035, my - 0.012), (g.hx, my + 0.025)], beak)
    elif snout:
        pen.ellipse(g.hx, my - 0.012, 0.018, 0.012, EYE, outline=False)
        pen.arc(g.hx - 0.02, my + 0.002, 0.02, 0.018, 10, 170, w)
        pen.arc(g.hx + 0.02, my + 0.002, 0.02, 0.018, 10, 170, w)
    elif a == "robot":
        pen.arc(g.hx, my - 0.005, 0.04, 0.02, 15, 165, w, (120, 230, 255))
    else:
        mouth = [
            (g.hx + 0.042 * math.cos(math.radians(t)), my - 0.008 + 0.04 * math.sin(math.radians(t)))
            for t in np.linspace(0, 180, 24)
        ]
        pen.poly(mouth, (150, 40, 60))
        pen.ellipse(g.hx, my + 0.018, 0.022, 0.012, (255, 120, 140), outline=False)
    if a != "robot":

        def blush(d: ImageDraw.ImageDraw, n: int) -> None:
            for s in (-1, 1):
                cx, cy = (g.hx + s * 0.165) * n, (g.hy + 0.075) * n
                d.ellipse((cx - 0.036 * n, cy - 0.019 * n, cx + 0.036 * n, cy + 0.019 * n), fill=BLUSH)

        draw_overlay(pen.im, blush)


def draw_clothes_top(pen: Pen, spec: MascotSpec, g: MascotGeometry, rng: random.Random) -> None:
    """Hat, crown, bow or glasses, drawn last on the head layer so they sit on top and turn with it."""
    cl = spec.clothes
    top = g.hy - g.hry
    if "hat" in cl:
        c = cl["hat"]
        pts = [
            (g.hx + 0.215 * math.cos(math.radians(t)), top + 0.12 + 0.17 * math.sin(math.radians(t)))
            for t in np.linspace(180, 360, 40)
        ]
        pen.poly(pts, c)
        pen.rrect(g.hx - 0.235, top + 0.09, g.hx + 0.235, top + 0.145, 0.025, shade(c, 0.35))
        pen.ellipse(g.hx, top - 0.055, 0.042, 0.04, shade(c, 0.6))
    if "crown" in cl:
        c = cl["crown"]
        b = top + 0.035
        pts = [
            (g.hx - 0.11, b),
            (g.hx - 0.12, b - 0.09),
            (g.hx - 0.06, b - 0.04),
            (g.hx, b - 0.11),
            (g.hx + 0.06, b - 0.04),
            (g.hx + 0.12, b - 0.09),
            (g.hx + 0.11, b),
        ]
        pen.poly(pts, c)
        pen.ellipse(g.hx, b - 0.03, 0.016, 0.016, (240, 70, 90))
    if "bow" in cl:
        c = cl["bow"]
        side = -1 if rng.random() < 0.5 else 1
        bx, by = g.hx + side * 0.16, top + 0.04
        pen.poly([(bx, by), (bx - 0.075, by - 0.05), (bx - 0.075, by + 0.05)], c)
        pen.poly([(bx, by), (bx + 0.075, by - 0.05), (bx + 0.075, by + 0.05)], c)
        pen.ellipse(bx, by, 0.024, 0.024, shade(c, -0.15))
    if "glasses" in cl:
        c = cl["glasses"]
        for s in (-1, 1):
            ex = g.hx + s * g.eye_dx
            pen.arc(ex, g.eye_y, 0.058, 0.058, 0, 360, 0.011, c)
        pen.arc(g.hx, g.eye_y + 0.005, 0.04, 0.02, 200, 340, 0.01, c)


def draw_torso(pen: Pen, spec: MascotSpec, g: MascotGeometry) -> None:
    """The body (and a shirt or hoodie on it) on the torso layer."""
    a, c = spec.animal, spec.body
    cl = spec.clothes
    shirt = cl.get("hoodie") or cl.get("shirt")
    if a == "ghost":
        pts = [(g.hx - g.brx - 0.03, g.hy + 0.05)]
        for k in np.linspace(0, 1, 60):
            x = g.hx - g.brx - 0.05 + k * (2 * g.brx + 0.1)
            pts.append((x, 0.86 + 0.025 * math.sin(k * math.pi * 6)))
        pts.append((g.hx + g.brx + 0.03, g.hy + 0.05))
        pen.poly(pts, shirt or c)
        for s in (-1, 1):
            pen.ellipse(g.hx + s * (g.brx + 0.04), 0.66, 0.045, 0.03, shirt or c, angle=s * 30)
        return
    body = shirt or c
    if a == "robot":
        pen.rrect(g.hx - g.brx, g.by - g.bry, g.hx + g.brx, g.by + g.bry, 0.06, body)
    else:
        pen.ellipse(g.hx, g.by, g.brx, g.bry, body)
    if shirt is None and a in (
        "penguin",
        "bird",
        "fox",
        "cat",
        "dog",
        "bear",
        "rabbit",
        "mouse",
        "blob",
        "frog",
    ):
        belly = (252, 252, 255) if a == "penguin" else shade(c, 0.55)
        pen.ellipse(g.hx, g.by + 0.02, g.brx * 0.62, g.bry * 0.72, belly, outline=False)
    if a == "robot" and shirt is None:
        pen.rrect(g.hx - 0.06, g.by - 0.05, g.hx + 0.06, g.by + 0.04, 0.02, (46, 56, 80))
        pen.ellipse(g.hx, g.by - 0.005, 0.02, 0.02, (255, 90, 90), outline=False)
    if "hoodie" in cl:
        h = cl["hoodie"]
        pen.rrect(g.hx - 0.085, g.by + 0.02, g.hx + 0.085, g.by + 0.1, 0.03, shade(h, -0.12))
        for s in (-1, 1):
            pen.line(
                [(g.hx + s * 0.035, g.by - g.bry + 0.02), (g.hx + s * 0.04, g.by - 0.03)],
                0.009,
                (250, 250, 250),
            )


def leg_joints(g: MascotGeometry, s: int) -> tuple[tuple[float, float], ...]:
    """Hip, knee and foot of one short leg: the thigh hides behind the body, the foot shows below it."""
    x = g.hx + s * 0.075
    return (x, 0.79), (x, 0.835), (x, 0.872)


def draw_leg(thigh: Pen, shin: Pen, spec: MascotSpec, g: MascotGeometry, s: int) -> None:
    """One leg split at the knee onto the thigh and shin layers, so the animator can bend it."""
    a, c = spec.animal, spec.body
    foot = (255, 160, 50) if a in ("bird", "penguin") else ((40, 38, 46) if a == "panda" else shade(c, -0.12))
    if a == "robot":
        foot = shade(c, -0.3)
    hip, knee, ft = leg_joints(g, s)
    thigh.capsule(hip, knee, 0.075, foot)
    shin.capsule(knee, ft, 0.075, foot, outline_a=False)
    shin.ellipse(ft[0], ft[1], 0.072, 0.045, foot)


def arm_joints(spec: MascotSpec, g: MascotGeometry, s: int) -> tuple[tuple[float, float], ...]:
    """Shoulder, elbow and hand of one arm (a wing or flipper is one piece: the elbow is its middle)."""
    if spec.animal == "penguin":
        sh, hd = (g.hx + s * (g.brx - 0.015), g.by - 0.085), (g.hx + s * (g.brx + 0.05), g.by + 0.085)
    elif spec.animal == "bird":
        sh, hd = (g.hx + s * (g.brx - 0.025), g.by - 0.07), (g.hx + s * (g.brx + 0.05), g.by + 0.05)
    else:
        sh, hd = (g.hx + s * (g.brx - 0.03), g.by - g.bry + 0.05), (g.hx + s * (g.brx + 0.05), g.by + 0.04)
    return sh, ((sh[0] + hd[0]) / 2, (sh[1] + hd[1]) / 2), hd


def draw_arm(upper: Pen, fore: Pen, spec: MascotSpec, g: MascotGeometry, s: int) -> None:
    """One arm split at the elbow onto the upper-arm and forearm layers (a wing or flipper is one piece)."""
    a, c = spec.animal, spec.body
    shirt = spec.clothes.get("hoodie") or spec.clothes.get("shirt")
    if a == "penguin":
        upper.ellipse(g.hx + s * (g.brx + 0.01), g.by, 0.04, 0.1, c, angle=-s * 25)
        return
    if a == "bird":
        upper.ellipse(g.hx + s * (g.brx + 0.005), g.by - 0.01, 0.035, 0.075, shade(c, -0.08), angle=-s * 35)
        return
    sleeve = shirt or c
    hand = c if a not in ("panda",) else (40, 38, 46)
    arm = sleeve if a != "panda" or shirt else (40, 38, 46)
    sh, el, hd = arm_joints(spec, g, s)
    upper.capsule(sh, el, 0.068, arm)
    fore.capsule(el, hd, 0.068, arm, outline_a=False)
    fore.ellipse(hd[0], hd[1] + 0.005, 0.038, 0.036, hand if shirt else arm)


def draw_head(pen: Pen, spec: MascotSpec, g: MascotGeometry) -> None:
    """The head shape on the head layer (a hoodie's hood first, behind it)."""
    a, c = spec.animal, spec.body
    if "hoodie" in spec.clothes:
        h = spec.clothes["hoodie"]
        pen.ellipse(g.hx, g.hy + 0.025, g.hrx + 0.035, g.hry + 0.03, h)
    if a == "robot":
        pen.rrect(g.hx - g.hrx, g.hy - g.hry, g.hx + g.hrx, g.hy + g.hry, 0.09, c)
    else:
        pen.ellipse(g.hx, g.hy, g.hrx, g.hry, c)


def draw_neckwear(pen: Pen, spec: MascotSpec, g: MascotGeometry) -> None:
    """Scarf and bow tie sit over the chin line, so they are drawn after the head."""
    cl = spec.clothes
    neck = g.hy + g.hry
    if "scarf" in cl:
        sc = cl["scarf"]
        pen.rrect(g.hx + 0.05, neck - 0.01, g.hx + 0.11, neck + 0.13, 0.02, shade(sc, -0.1))
        pen.rrect(g.hx - 0.15, neck - 0.03, g.hx + 0.15, neck + 0.03, 0.028, sc)
        for k in range(-2, 3):
            x = g.hx + k * 0.05
            pen.line([(x, neck - 0.018), (x, neck + 0.018)], 0.006, shade(sc, -0.25))
    if "bowtie" in cl:
        bt = cl["bowtie"]
        y = neck + 0.025
        pen.poly([(g.hx, y), (g.hx - 0.06, y - 0.035), (g.hx - 0.06, y + 0.035)], bt)
        pen.poly([(g.hx, y), (g.hx + 0.06, y - 0.035), (g.hx + 0.06, y + 0.035)], bt)
        pen.ellipse(g.hx, y, 0.018, 0.018, shade(bt, -0.15))


def sheen(g: MascotGeometry) -> _LayerFn:
    """A soft highlight on the head, drawn with `draw_overlay` so it never widens the silhouette."""

    def draw(d: ImageDraw.ImageDraw, n: int) -> None:
        cx, cy = (g.hx - g.hrx * 0.45) * n, (g.hy - g.hry * 0.55) * n
        d.ellipse((cx - 0.06 * n, cy - 0.03 * n, cx + 0.06 * n, cy + 0.03 * n), fill=(255, 255, 255, 70))

    return draw
