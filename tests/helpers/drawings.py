"""Drawings made up for tests: a figure drawn in pen on paper and photographed, with the hand-made
mask a person would draw (the figure with its inside filled)."""

from __future__ import annotations

import cv2
import numpy as np
from PIL import Image, ImageDraw

PENCIL = (120, 113, 103)  # a pencil grey


def paper(h: int, w: int, *, gradient: float = 0.0, grain: float = 2.0, seed: int = 0) -> np.ndarray:
    """Off-white paper under light that falls off by `gradient` (share of the level) across the page."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    light = 1.0 - gradient * (0.6 * x / w + 0.4 * y / h)
    base = np.array([238, 236, 228], np.float32)
    img = base * light[..., None] + rng.normal(0, grain, (h, w, 1)).astype(np.float32)
    return np.clip(img, 0, 255).astype(np.uint8)


def stick_figure(
    h: int = 360,
    w: int = 300,
    *,
    gap: int = 0,
    gradient: float = 0.0,
    stroke: int = 3,
    table: bool = False,
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """A round head and a body drawn as closed outlines (the body's outline with a `gap` px break),
    thin single-stroke arms and legs; returns (rgb, truth mask)."""
    img = paper(h, w, gradient=gradient, seed=seed)
    ink = (40, 40, 120)
    truth = np.zeros((h, w), np.uint8)
    cx = w // 2
    cv2.circle(truth, (cx, 70), 40, 1, -1)
    cv2.circle(img, (cx, 70), 40, ink, stroke, cv2.LINE_AA)
    body = np.array([[cx - 45, 115], [cx + 45, 115], [cx + 55, 230], [cx - 55, 230]], np.int32)
    cv2.fillPoly(truth, [body], 1)
    for i in range(4):
        p, q = body[i], body[(i + 1) % 4]
        if i == 1 and gap:  # the right side is drawn in two strokes that do not quite meet
            mid = (p + q) // 2
            d = (q - p) / np.linalg.norm(q - p)
            cv2.line(
                img,
                tuple(int(v) for v in p),
                tuple(int(v) for v in mid - d * gap / 2),
                ink,
                stroke,
                cv2.LINE_AA,
            )
            cv2.line(
                img,
                tuple(int(v) for v in mid + d * gap / 2),
                tuple(int(v) for v in q),
                ink,
                stroke,
                cv2.LINE_AA,
            )
        else:
            cv2.line(img, tuple(int(v) for v in p), tuple(int(v) for v in q), ink, stroke, cv2.LINE_AA)
    limbs = [
        ((cx - 45, 130), (cx - 120, 190)),
        ((cx + 45, 130), (cx + 120, 190)),
        ((cx - 30, 230), (cx - 60, 330)),
        ((cx + 30, 230), (cx + 60, 330)),
    ]
    for a, b in limbs:
        cv2.line(img, a, b, ink, stroke, cv2.LINE_AA)
        cv2.line(truth, a, b, 1, stroke + 2)
    if table:  # the photo shows the table past the page's bottom-left corner
        pts = np.array([[0, h - 40], [w // 3, h], [0, h]], np.int32)
        cv2.fillPoly(img, [pts], (92, 64, 40))
    return img, truth.astype(bool)


def iou(a: np.ndarray, b: np.ndarray) -> float:
    return float((a & b).sum() / max((a | b).sum(), 1))


def two_figures() -> np.ndarray:
    """Two stick figures side by side on one page: a cut-out of two separate pieces, which a user
    should check before every emoji is made from it."""
    left, _ = stick_figure(seed=1)
    right, _ = stick_figure(seed=2)
    return np.hstack([left, right])


SKIN = (90, 60, 50)
SHIRT = (240, 110, 40)


def arms_at_sides(
    arms: tuple[int, int, int] = SKIN, *, tunic: bool = False, shade: float = 0.0
) -> np.ndarray:
    """A standing 3D-emoji-like figure (RGBA) whose arms hang against its shirt with no gap in the
    silhouette: skin-coloured arms beside an orange shirt, grey trousers. With `tunic`, the shirt is
    as wide as the arms reach and runs down past them (no arms at all); `shade` darkens the shirt
    towards its sides as a render's lighting does."""
    a = np.zeros((400, 300, 4), np.uint8)
    cv2.circle(a, (150, 70), 42, (*SKIN, 255), -1)
    cv2.rectangle(a, (118, 108), (182, 125), (*SKIN, 255), -1)  # neck
    cv2.rectangle(a, (110, 250), (146, 380), (150, 150, 160, 255), -1)  # trouser legs
    cv2.rectangle(a, (154, 250), (190, 380), (150, 150, 160, 255), -1)
    if tunic:
        cv2.rectangle(a, (83, 120), (217, 290), (*SHIRT, 255), -1)
    else:
        cv2.rectangle(a, (105, 120), (195, 250), (*SHIRT, 255), -1)
        for x0 in (83, 195):  # arms flush against the shirt, hands beside the trousers
            cv2.rectangle(a, (x0, 125), (x0 + 22, 280), (*arms, 255), -1)
            cv2.circle(a, (x0 + 11, 280), 11, (*arms, 255), -1)
    if shade:
        xs = np.abs(np.arange(300) - 150) / 67.0
        shirt = np.all(a[..., :3] == SHIRT, axis=2)
        k = np.clip(1.0 - shade * xs**2, 0.0, 1.0)[None, :, None]
        a[..., :3] = np.where(shirt[..., None], (a[..., :3] * k).astype(np.uint8), a[..., :3])
    return a


def open_jacket(hem: int = 250) -> np.ndarray:
    """A figure (RGBA) in an open dark jacket over a white shirt, trousers flush with the jacket's
    sides below its hem: a colour edge runs down each side like an arm's, but nothing hangs there."""
    a = np.zeros((400, 300, 4), np.uint8)
    cv2.circle(a, (150, 70), 42, (230, 190, 160, 255), -1)
    cv2.rectangle(a, (118, 108), (182, 125), (230, 190, 160, 255), -1)
    cv2.rectangle(a, (100, 120), (200, hem), (40, 50, 90, 255), -1)  # the jacket
    cv2.rectangle(a, (128, 120), (172, hem), (240, 240, 235, 255), -1)  # the shirt between its sides
    cv2.rectangle(a, (100, hem), (146, 380), (150, 150, 160, 255), -1)
    cv2.rectangle(a, (154, hem), (200, 380), (150, 150, 160, 255), -1)
    return a


def pencil_stick_figure(side: int = 640, width: int = 5) -> Image.Image:
    """A thin-lined drawing with true alpha: grey strokes, anti-aliased edges, nothing else."""
    ss = 4
    big = Image.new("L", (side * ss, side * ss), 0)
    d = ImageDraw.Draw(big)
    w = width * ss
    s = side * ss / 640

    def line(*pts: float) -> None:
        d.line([(x * s, y * s) for x, y in zip(pts[::2], pts[1::2], strict=True)], fill=255, width=w)

    d.ellipse([(250 * s, 60 * s), (390 * s, 200 * s)], outline=255, width=w)  # head
    line(320, 200, 320, 420)  # body
    line(320, 260, 230, 330, 200, 260)  # arms
    line(320, 260, 410, 330, 440, 260)
    line(320, 420, 260, 580)  # legs
    line(320, 420, 380, 580)
    alpha = big.resize((side, side), Image.Resampling.LANCZOS)
    im = Image.new("RGBA", (side, side), (*PENCIL, 0))
    im.putalpha(alpha)
    return im
