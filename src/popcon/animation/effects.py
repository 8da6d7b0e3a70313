"""Cartoon overlays over the character: hearts, tears, sweat, Zzz, sparkles, anger mark, "!", "?",
music notes, impact bursts and motion lines, placed at the character's anchors each frame.

Every effect is a function of the loop phase and is invisible at t = 0 and t = 1, so the first frame
stays the plain start pose and loops stay seamless; a frame costs a few small sprite blends
(`effect_sprites`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from popcon.animation.effect_sprites import (
    ANGER,
    BURST,
    EXCLAIM,
    HEART,
    LINES,
    NOTE,
    OUTLINE,
    QUESTION,
    SPARKLE,
    STAR_LEGIBLE,
    SWEAT,
    TEAR,
    ZZZ,
    particle_life,
    put_sprite,
)
from popcon.animation.motion import ease_out_back, envelope, smoothstep


@dataclass(frozen=True)
class Anchors:
    """Where the character is in this frame (pixels): effects attach to these points."""

    head: tuple[float, float]  # centre of the head
    head_r: float  # rough head radius
    top: tuple[float, float]  # top of the head
    left: tuple[float, float]  # left edge at chest height
    right: tuple[float, float]  # right edge at chest height
    chest: tuple[float, float]
    feet: tuple[float, float]
    height: float  # character height in px
    # Where the rigged animator knows them (else None): tears start at the eyes, sparkles at the hands.
    eyes: tuple[tuple[float, float], tuple[float, float]] | None = None  # (right, left): image left first
    hands: tuple[tuple[float, float], tuple[float, float]] | None = None


# ---------------------------------------------------------------- effects


def _hearts(frame: np.ndarray, t: float, a: Anchors, env: float, _: float) -> None:
    hx, hy, r = a.head[0], a.head[1], a.head_r
    for i in range(4):
        p = (t * 2.0 + i / 4.0) % 1.0
        side = -1.0 if i % 2 == 0 else 1.0
        scale, op = particle_life(p)
        x = hx + side * r * (0.95 + 0.2 * p) + 0.12 * r * math.sin(2 * math.pi * (p * 1.5 + i * 0.3))
        y = hy - r * (0.2 + 1.1 * p)
        put_sprite(frame, "heart", r * (0.42 - 0.08 * (i % 3 == 2)) * scale, x, y, op * env)


def _tears(frame: np.ndarray, t: float, a: Anchors, env: float, _: float) -> None:
    hx, hy, r = a.head[0], a.head[1], a.head_r
    for k, side in enumerate((-1.0, 1.0)):
        ex, ey = (hx + side * r * 0.42, hy + r * 0.15) if a.eyes is None else a.eyes[k]
        for i in range(5):
            p = (t * 4.0 + i / 5.0 + (0.1 if side > 0 else 0.0)) % 1.0
            x = ex + side * r * (0.15 + 0.75 * p)
            y = ey + r * (-0.45 * p + 1.6 * p * p)
            scale, op = particle_life(p, 0.15, 0.35)
            put_sprite(frame, "tear", r * 0.2 * scale * (1.0 - 0.3 * p), x, y, op * env)


def _sweat(frame: np.ndarray, t: float, a: Anchors, env: float, _: float) -> None:
    hx, hy, r = a.head[0], a.head[1], a.head_r
    pop = ease_out_back(smoothstep((t - 0.05) / 0.15)) if t < 0.2 else 1.0
    fade = 1.0 - smoothstep((t - 0.82) / 0.12)
    slide = r * 0.3 * smoothstep((t - 0.2) / 0.6)
    put_sprite(frame, "sweat", r * 0.42 * pop, hx + r * 0.88, hy - r * 0.5 + slide, fade * min(1.0, env * 3))


def _zzz(frame: np.ndarray, t: float, a: Anchors, env: float, _: float) -> None:
    hx, r = a.head[0], a.head_r
    ty = a.top[1]
    for i in range(3):
        p = (t * 2.0 + i / 3.0) % 1.0
        scale, op = particle_life(p, 0.25, 0.35)
        x = hx + r * (0.55 + 0.6 * p) + 0.08 * r * math.sin(2 * math.pi * p * 2)
        y = ty + r * (0.15 - 0.9 * p)
        put_sprite(frame, "z", r * (0.22 + 0.25 * p) * scale, x, y, op * env)


_SPARKLE_SPOTS = (
    (-1.05, 0.25, 0.0),
    (1.1, 0.4, 0.35),
    (-0.85, 0.7, 0.6),
    (0.95, 0.85, 0.15),
    (0.1, -0.1, 0.8),
)


def _sparkles(frame: np.ndarray, t: float, a: Anchors, env: float, _: float) -> None:
    if a.hands is not None:  # a few stars twinkle around each hand
        for k, (x, y) in enumerate(a.hands):
            for fx, fy, off in _SPARKLE_SPOTS[k::2]:
                tw = math.sin(2 * math.pi * (t * 2.0 + off))
                if tw > 0 and tw**0.7 >= STAR_LEGIBLE:
                    put_sprite(
                        frame,
                        "star",
                        a.head_r * 0.36 * tw**0.7,
                        x + fx * a.head_r * 0.5,
                        y - fy * a.head_r * 0.6,
                        env,
                    )
        return
    cx = (a.left[0] + a.right[0]) / 2
    half = max(abs(a.right[0] - a.left[0]) / 2, a.head_r)
    for fx, fy, off in _SPARKLE_SPOTS:
        tw = math.sin(2 * math.pi * (t * 2.0 + off))
        if tw <= 0 or tw**0.7 < STAR_LEGIBLE:
            continue
        x = cx + fx * half * 1.05
        y = a.top[1] + fy * a.height * 0.75 - a.head_r * 0.2
        put_sprite(frame, "star", a.head_r * 0.42 * tw**0.7, x, y, env)


def _anger(frame: np.ndarray, t: float, a: Anchors, env: float, accent: float) -> None:
    hx, hy, r = a.head[0], a.head[1], a.head_r
    pulse = 1.0 + 0.18 * max(0.0, math.sin(2 * math.pi * t * 4.0)) + 0.15 * accent
    pop = ease_out_back(smoothstep(t / 0.15)) if t < 0.15 else 1.0
    put_sprite(frame, "anger", r * 0.48 * pulse * pop, hx + r * 0.8, hy - r * 0.65, min(1.0, env * 2))


def _exclaim(frame: np.ndarray, t: float, a: Anchors, env: float, _: float) -> None:
    k = (t - 0.14) / 0.14
    if k <= 0:
        return
    pop = ease_out_back(min(1.0, k), 3.0)
    fade = 1.0 - smoothstep((t - 0.8) / 0.12)
    jitter = a.head_r * 0.03 * math.sin(2 * math.pi * t * 12) * (1.0 - min(1.0, k))
    put_sprite(
        frame,
        "exclaim",
        a.head_r * 0.7 * pop,
        a.head[0] + a.head_r * 0.75 + jitter,
        a.top[1] - a.head_r * 0.3,
        fade,
    )


def _question(frame: np.ndarray, t: float, a: Anchors, env: float, _: float) -> None:
    k = (t - 0.2) / 0.15
    if k <= 0:
        return
    pop = ease_out_back(min(1.0, k), 2.5)
    fade = 1.0 - smoothstep((t - 0.82) / 0.12)
    bob = a.head_r * 0.08 * math.sin(2 * math.pi * t * 2)
    put_sprite(
        frame,
        "question",
        a.head_r * 0.7 * pop,
        a.head[0] + a.head_r * 0.85,
        a.top[1] - a.head_r * 0.25 + bob,
        fade,
    )


def _notes(frame: np.ndarray, t: float, a: Anchors, env: float, _: float) -> None:
    hx, hy, r = a.head[0], a.head[1], a.head_r
    for i in range(3):
        p = (t * 2.0 + i / 3.0) % 1.0
        side = -1.0 if i % 2 == 0 else 1.0
        scale, op = particle_life(p, 0.2, 0.3)
        x = hx + side * r * (1.05 + 0.25 * math.sin(2 * math.pi * p))
        y = hy - r * (0.1 + 1.0 * p)
        put_sprite(frame, "note", r * 0.4 * scale, x, y, op * env)


def _burst(frame: np.ndarray, t: float, a: Anchors, env: float, accent: float) -> None:
    if accent <= 0.05:
        return
    put_sprite(
        frame, "burst", a.head_r * (0.7 + 0.5 * accent), a.chest[0], a.chest[1], min(1.0, accent * 1.5)
    )


EffectFn = Callable[[np.ndarray, float, Anchors, float, float], None]

EFFECTS: dict[str, EffectFn] = {
    "hearts": _hearts,
    "tears": _tears,
    "sweat": _sweat,
    "zzz": _zzz,
    "sparkles": _sparkles,
    "anger": _anger,
    "exclaim": _exclaim,
    "question": _question,
    "notes": _notes,
    "burst": _burst,
}
ALIASES = {
    "heart": "hearts",
    "tear": "tears",
    "z": "zzz",
    "sparkle": "sparkles",
    "stars": "sparkles",
    "!": "exclaim",
    "?": "question",
    "music": "notes",
    "motion_lines": "lines",
    "speed": "lines",
}
KNOWN_EFFECTS = frozenset([*EFFECTS, "lines"])


def _silhouette(frame: np.ndarray, a: Anchors) -> tuple[np.ndarray, int, int]:
    """The character's pixels in a box around it (what differs from the flat background the clip is
    drawn on, read at the frame's corner), with the box's offset (x0, y0)."""
    h, w = frame.shape[:2]
    reach = a.height * 0.6 + a.head_r
    x0, x1 = max(0, int(a.chest[0] - reach)), min(w, int(a.chest[0] + reach) + 1)
    y0, y1 = max(0, int(a.top[1] - a.head_r)), min(h, int(a.feet[1] + a.head_r) + 1)
    bg = frame[0, 0].astype(np.int16)
    box = frame[y0:y1, x0:x1].astype(np.int16)
    return np.abs(box - bg).max(-1) > 24, x0, y0


def _motion_lines(frame: np.ndarray, a: Anchors, prev: Anchors | None, env: float) -> None:
    """Speed lines that grow out of the character's trailing edge (below the feet as it rises, behind
    the head as it sways).

    Why attached: lines floating beside the body read as dirt once the clip is cut out and shrunk to
    emoji size; each line starts inside the silhouette, so it is part of the character's shape and
    moves with it. A line too short to read as a line (a speck) is not drawn.
    """
    if prev is None or env <= 0:
        return
    h = a.height
    thick = max(2, round(h / 90))
    shortest = max(5 * thick, h * 0.05)
    mask, ox, oy = _silhouette(frame, a)
    if not mask.any():
        return
    strokes: list[tuple[tuple[int, int], tuple[int, int]]] = []
    # Vertical motion of the whole body: lines from the trailing edge (the feet going up, the top of
    # the head coming down), in three columns across the character.
    vy = a.feet[1] - prev.feet[1]
    length = min(h * 0.22, abs(vy) * 6) * env
    if abs(vy) > h * 0.012 and length >= shortest:
        down = vy < 0  # rising: the lines trail below
        cols = np.flatnonzero(mask.any(0))
        for q in (0.3, 0.5, 0.7):
            x = int(cols[0] + q * (cols[-1] - cols[0]))
            ys = np.flatnonzero(mask[:, x])
            if not len(ys):
                continue
            edge = int(ys[-1] if down else ys[0])
            step = 1 if down else -1
            y0 = edge - step * 2 * thick  # start inside the silhouette
            end = int(y0 + oy + step * length * (1 - 0.15 * abs(q - 0.5)))
            strokes.append(((x + ox, y0 + oy), (x + ox, end)))
    # Sideways motion of the head (waves, sways): lines from the head's trailing side.
    vx = a.head[0] - prev.head[0]
    length = min(h * 0.18, abs(vx) * 5) * env
    if abs(vx) > h * 0.012 and length >= shortest:
        trail = -1 if vx > 0 else 1
        for k in (-1, 0, 1):
            y = int(a.head[1] + k * a.head_r * 0.35) - oy
            if not 0 <= y < mask.shape[0]:
                continue
            xs = np.flatnonzero(mask[y])
            if not len(xs):
                continue
            edge = int(xs[0] if trail < 0 else xs[-1])
            x0 = edge - trail * 2 * thick
            end = int(x0 + ox + trail * length * (1 - 0.25 * abs(k)))
            strokes.append(((x0 + ox, y + oy), (end, y + oy)))
    for p0, p1 in strokes:
        cv2.line(frame, p0, p1, LINES, thick, cv2.LINE_AA)


_EFFECT_PALETTE: dict[str, tuple[tuple[int, int, int], ...]] = {
    "hearts": (HEART,),
    "tears": (TEAR,),
    "sweat": (SWEAT,),
    "zzz": (ZZZ,),
    "sparkles": (SPARKLE,),
    "anger": (ANGER,),
    "exclaim": (EXCLAIM,),
    "question": (QUESTION,),
    "notes": (NOTE,),
    "burst": (BURST,),
    "lines": (LINES,),
}


def effect_colors(effects: Sequence[str]) -> tuple[tuple[int, int, int], ...]:
    """The colours these effects draw: give them to choose_key_color(extra_colors=...)."""
    names = normalise(effects)
    if not names:
        return ()
    return (OUTLINE, *(c for n in names for c in _EFFECT_PALETTE[n]))


def normalise(effects: Sequence[str]) -> list[str]:
    """Canonical effect names, unknown ones dropped (recipes may carry effects other providers use)."""
    out: list[str] = []
    for e in effects:
        name = ALIASES.get(e.strip().lower(), e.strip().lower())
        if name in KNOWN_EFFECTS and name not in out:
            out.append(name)
    return out


def draw_effects(
    frame: np.ndarray,
    effects: Sequence[str],
    t: float,
    anchors: Anchors,
    *,
    prev: Anchors | None = None,
    accent: float = 0.0,
) -> None:
    """Draw the named effects for loop phase t onto an RGB uint8 frame, in place.

    `prev` is where the character was one frame earlier (for motion lines). Nothing is drawn at
    t <= 0 or t >= 1.
    """
    if t <= 0.0 or t >= 1.0:
        return
    env = envelope(t, 0.12)
    for name in normalise(effects):
        if name == "lines":
            _motion_lines(frame, anchors, prev, env)
        else:
            EFFECTS[name](frame, t, anchors, env, accent)
