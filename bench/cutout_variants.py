"""Uploads as they arrive, made from the shared drawings and figures: the same picture re-photographed.

Why: ten pictures are too few to calibrate a confidence on, and a rule fitted to them would not hold on
the drawings users send. Each variant keeps the picture's geometry (so its hand-made mask stays the
truth) and changes what a phone photo changes: uneven light (a gradient and a vignette), paper grain
and fibres, the table past the page's edge, a soft cast shadow, JPEG artefacts; and what makes a cut
fail: ink so faint it hardly departs from the grain, a busy cloth instead of paper, a figure far too
small in the frame. `cutout_confidence.py` scores the cut and its confidence on all of them.
"""

from __future__ import annotations

from collections.abc import Callable

import cv2
import numpy as np

Array = np.ndarray
Variant = Callable[[Array, Array, np.random.Generator], tuple[Array, Array]]


def _smooth_noise(rng: np.random.Generator, h: int, w: int, cell: int) -> Array:
    n = rng.normal(0, 1, (h // cell + 2, w // cell + 2)).astype(np.float32)
    return cv2.resize(n, (w + 2 * cell, h + 2 * cell), interpolation=cv2.INTER_CUBIC)[
        cell : cell + h, cell : cell + w
    ]


def _paper_colour(rgb: Array) -> Array:
    border = np.concatenate([rgb[:3].reshape(-1, 3), rgb[-3:].reshape(-1, 3), rgb[:, :3].reshape(-1, 3)])
    return np.median(border, 0).astype(np.float32)


def gradient(rgb: Array, mask: Array, rng: np.random.Generator) -> tuple[Array, Array]:
    """Light falling off across the page (a lamp to one side) and a vignette (a phone's lens)."""
    h, w = rgb.shape[:2]
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    ang = rng.uniform(0, 2 * np.pi)
    t = ((x / w - 0.5) * np.cos(ang) + (y / h - 0.5) * np.sin(ang)) + 0.5
    r2 = ((x / w - 0.5) ** 2 + (y / h - 0.5) ** 2) * 2
    light = (1.0 - rng.uniform(0.25, 0.45) * t) * (1.0 - rng.uniform(0.1, 0.25) * r2)
    return np.clip(rgb * light[..., None], 0, 255).astype(np.uint8), mask


def grain(rgb: Array, mask: Array, rng: np.random.Generator) -> tuple[Array, Array]:
    """Paper texture: blotches, short fibres and sensor noise."""
    h, w = rgb.shape[:2]
    fib = cv2.GaussianBlur(rng.normal(0, 1, (h, w)).astype(np.float32), (0, 0), sigmaX=4, sigmaY=0.7)
    tex = 3 * _smooth_noise(rng, h, w, 40) + 4 * fib + rng.normal(0, 2.5, (h, w)).astype(np.float32)
    return np.clip(rgb + tex[..., None], 0, 255).astype(np.uint8), mask


def table(rgb: Array, mask: Array, rng: np.random.Generator) -> tuple[Array, Array]:
    """The page photographed on a table: a margin of paper, then a slanted page edge and wood beyond."""
    h, w = rgb.shape[:2]
    m = int(0.12 * max(h, w))
    # The page goes on past the picture's edge in the paper's own tone (strokes taken out, light kept):
    # no seam where the old picture ends.
    small = cv2.resize(rgb, (max(w // 4, 1), max(h // 4, 1)), interpolation=cv2.INTER_AREA)
    tone = cv2.resize(cv2.medianBlur(small, 15), (w, h), interpolation=cv2.INTER_LINEAR)
    tone = cv2.GaussianBlur(tone, (0, 0), 8)
    page = cv2.copyMakeBorder(tone, m, m, m, m, cv2.BORDER_REPLICATE).astype(np.float32)
    page += rng.normal(0, 2.0, page.shape[:2])[..., None]
    page[m : m + h, m : m + w] = rgb
    truth = np.zeros(page.shape[:2], bool)
    truth[m : m + h, m : m + w] = mask
    hh, ww = page.shape[:2]
    y, x = np.mgrid[0:hh, 0:ww].astype(np.float32)
    side = int(rng.integers(4))
    slope = rng.uniform(-0.08, 0.08)
    depth = rng.uniform(0.25, 0.7) * m
    coord = {0: x, 1: ww - 1 - x, 2: y, 3: hh - 1 - y}[side]
    along = y if side < 2 else x
    off = coord < depth + slope * (along - along.mean())
    wood = np.array(rng.choice([(96, 66, 42), (140, 110, 80), (60, 60, 64), (170, 160, 150)]), np.float32)
    streak = 10 * cv2.GaussianBlur(rng.normal(0, 1, (hh, ww)).astype(np.float32), (0, 0), 1, 12)
    page[off] = (wood + streak[..., None])[off]
    return np.clip(page, 0, 255).astype(np.uint8), truth


def shadow(rgb: Array, mask: Array, rng: np.random.Generator) -> tuple[Array, Array]:
    """A soft cast shadow (the phone or a hand) across part of the page."""
    h, w = rgb.shape[:2]
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    ang = rng.uniform(0, 2 * np.pi)
    t = (x - w / 2) * np.cos(ang) + (y - h / 2) * np.sin(ang) - rng.uniform(0.1, 0.35) * min(h, w)
    soft = rng.uniform(0.03, 0.08) * min(h, w)
    cover = 1 / (1 + np.exp(-t / soft))
    light = 1.0 - rng.uniform(0.25, 0.4) * cover
    return np.clip(rgb * light[..., None], 0, 255).astype(np.uint8), mask


def jpeg(rgb: Array, mask: Array, rng: np.random.Generator) -> tuple[Array, Array]:
    """Sent through a chat app: JPEG at low quality (blocks and ringing around strokes)."""
    q = int(rng.integers(25, 50))
    ok, buf = cv2.imencode(".jpg", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, q])
    assert ok
    return cv2.cvtColor(cv2.imdecode(buf, cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB), mask


def backdrop(rgb: Array, mask: Array, rng: np.random.Generator) -> tuple[Array, Array]:
    """On another backdrop: a grey or dark studio sweep, coloured paper, a green screen (then JPEG).
    Whatever departs from the white page is carried over with its strength as opacity."""
    paper = _paper_colour(rgb)
    f = rgb.astype(np.float32)
    a = np.clip(np.abs(f - paper).max(-1) / 40.0, 0, 1)
    if (a[mask] > 0.5).mean() > 0.6:  # a solid figure: all of it is opaque (a drawing's inside is paper)
        a[mask] = 1.0
    a = a[..., None]
    colours = [(128, 128, 128), (200, 200, 205), (52, 52, 58), (0, 177, 64), (250, 222, 120), (150, 190, 235)]
    bg = np.array(colours[int(rng.integers(len(colours)))], np.float32)
    out = np.clip(f * a + bg * (1 - a), 0, 255).astype(np.uint8)
    return jpeg(out, mask, rng)


def photo(rgb: Array, mask: Array, rng: np.random.Generator) -> tuple[Array, Array]:
    """All of it at once, as a phone photo of a page on a table comes."""
    for step in (table, gradient, grain, shadow, jpeg):
        rgb, mask = step(rgb, mask, rng)
    return rgb, mask


# ---- what should make a cut fail (and then warn) ------------------------------------------------


def faint(rgb: Array, mask: Array, rng: np.random.Generator) -> tuple[Array, Array]:
    """Ink nearly gone (a hard pencil, an over-exposed photo): strokes a few levels from the paper."""
    paper = _paper_colour(rgb)
    keep = rng.uniform(0.04, 0.08)
    out = paper + keep * (rgb.astype(np.float32) - paper)
    out += rng.normal(0, 2.5, rgb.shape[:2])[..., None]
    return np.clip(out, 0, 255).astype(np.uint8), mask


def cloth(rgb: Array, mask: Array, rng: np.random.Generator) -> tuple[Array, Array]:
    """The figure laid on a busy patterned cloth instead of paper: the backdrop is stronger than the ink."""
    h, w = rgb.shape[:2]
    paper = _paper_colour(rgb)
    back = np.abs(rgb.astype(np.float32) - paper).max(-1) < 18
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    p = rng.uniform(8, 20)
    check = ((np.floor(x / p) + np.floor(y / p)) % 2)[..., None]
    colours = rng.integers(0, 256, (2, 3)).astype(np.float32)
    pattern = colours[0] * check + colours[1] * (1 - check)
    out = np.where(back[..., None], pattern, rgb.astype(np.float32))
    return np.clip(out, 0, 255).astype(np.uint8), mask


def tiny(rgb: Array, mask: Array, rng: np.random.Generator) -> tuple[Array, Array]:
    """The figure photographed from far off: a sixth to a quarter of the page's size."""
    h, w = rgb.shape[:2]
    k = rng.uniform(0.15, 0.25)
    sh, sw = max(int(h * k), 4), max(int(w * k), 4)
    small = cv2.resize(rgb, (sw, sh), interpolation=cv2.INTER_AREA)
    small_m = cv2.resize(mask.astype(np.uint8), (sw, sh), interpolation=cv2.INTER_NEAREST) > 0
    out = np.empty_like(rgb)
    out[:] = _paper_colour(rgb).astype(np.uint8)
    truth = np.zeros(mask.shape, bool)
    y0, x0 = (h - sh) // 2, (w - sw) // 2
    out[y0 : y0 + sh, x0 : x0 + sw] = small
    truth[y0 : y0 + sh, x0 : x0 + sw] = small_m
    return grain(out, truth, rng)


CLEAN: dict[str, Variant] = {
    "gradient": gradient,
    "grain": grain,
    "table": table,
    "shadow": shadow,
    "jpeg": jpeg,
    "backdrop": backdrop,
    "photo": photo,
}
HARD: dict[str, Variant] = {"faint": faint, "cloth": cloth, "tiny": tiny}
