"""The offline video provider: animates one character cut-out into a seamless loop clip.

Works on any RGBA image (no rig, no parts): the whole cut-out is transformed per frame with one
OpenCV warp (affine, or a remap when the upper body bends or the head moves on its own) and decorated
with effect overlays. The frames keep their exact transparency and are stored losslessly (no key
colour, no matte); given a key colour instead they are composited on it and encoded as H.264, the
way a video model delivers a clip. The scaled character is prepared once per clip; a 2 s clip at
512 px takes well under a second on one core.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from popcon.animation.effects import Anchors, draw_effects, normalise
from popcon.animation.framing import alpha_bbox, frame_fit, frame_full_body
from popcon.animation.keyframes import rig_motion
from popcon.animation.motion import Pose, motion_pose
from popcon.animation.part_compositing import anchors, render_premul
from popcon.animation.part_layers import Prepared, prepare
from popcon.animation.part_posing import Timeline
from popcon.domain.actions import MotionRecipe
from popcon.domain.rig import Rig
from popcon.media.video import encode_lossless, encode_mp4

HEIGHT_FRACTION = 0.75  # character height in the clip
FEET_MARGIN = 0.08  # feet this far above the bottom edge
WAIST = 0.38  # bends start at this height above the feet (fraction of the height)
_EDGE_ROOM = 0.01  # keep the moving character this far inside the frame


@dataclass(frozen=True)
class _Rig:
    """The character prepared once per clip: premultiplied pixels and body landmarks (pixels)."""

    size: int
    premul: np.ndarray  # (S, S, 4) uint8, premultiplied RGBA
    feet: tuple[float, float]
    top: float
    height: float
    neck: float  # y of the neck (head above it)
    head: tuple[float, float]
    head_r: float
    chest_y: float
    half_width: float  # at chest height
    head_only: bool  # no body below the head (a face emoji): head moves become whole-body moves


def _find_neck(alpha: np.ndarray, top: int, bottom: int) -> float:
    """The narrowest row between the head and the body; chibi and realistic builds both have one."""
    h = bottom - top
    widths = (alpha[top:bottom] > 64).sum(axis=1).astype(np.float32)
    widths = np.convolve(widths, np.ones(5, np.float32) / 5.0, mode="same")
    lo, hi = top + int(h * 0.15), top + int(h * 0.65)
    if hi - lo < 3:
        return top + h * 0.4
    band = widths[lo - top : hi - top]
    i = int(np.argmin(band))
    head_w = widths[: lo - top + i].max() if lo - top + i > 0 else 0.0
    if head_w <= 0 or band[i] > 0.9 * head_w:
        return math.nan  # no clear neck
    return float(lo + i)


def _prepare(character: Image.Image, size: int) -> _Rig:
    margin = FEET_MARGIN
    framed = frame_full_body(character, size, margin, height_fraction=HEIGHT_FRACTION)
    box = alpha_bbox(framed)
    assert box is not None  # frame_full_body raised already if it were empty
    x0, y0, x1, y1 = box
    premul = np.asarray(framed.convert("RGBa")).copy()
    alpha = premul[..., 3]
    neck = _find_neck(alpha, y0, y1)
    head_only = math.isnan(neck) and (y1 - y0) < 1.3 * (x1 - x0)
    if math.isnan(neck):
        neck = y0 + (y1 - y0) * 0.4  # assume big-head proportions
    head_rows = alpha[y0 : int(neck) + 1] > 64
    cols = np.nonzero(head_rows.any(axis=0))[0]
    hx = float((cols.min() + cols.max() + 1) / 2) if len(cols) else (x0 + x1) / 2
    head_w = float(cols.max() - cols.min() + 1) if len(cols) else float(x1 - x0)
    head_r = 0.5 * max(min(head_w, (x1 - x0)), neck - y0) * 0.85
    head = (hx, y0 + (neck - y0) * 0.55)
    if head_only:  # an emoji face: the whole cut-out is the head
        head, head_r, neck = ((x0 + x1) / 2, (y0 + y1) / 2), 0.45 * min(x1 - x0, y1 - y0), float(y1)
    height = float(y1 - y0)
    chest_y = neck + (y1 - neck) * 0.3
    row = np.nonzero(alpha[int(chest_y)] > 64)[0]
    half_w = float(row.max() - row.min() + 1) / 2 if len(row) else (x1 - x0) / 2
    return _Rig(
        size=size,
        premul=premul,
        feet=((x0 + x1) / 2, float(y1)),
        top=float(y0),
        height=height,
        neck=neck,
        head=head,
        head_r=head_r,
        head_only=head_only,
        chest_y=chest_y,
        half_width=half_w,
    )


def _affine(p: Pose, rig: _Rig) -> np.ndarray:
    """3x3 forward matrix (pixels, y down) of scale, shear, rotation and translation about the pivot."""
    px, py = rig.feet[0], rig.feet[1] - p.pivot * rig.height
    flip = np.diag([1.0, -1.0, 1.0])  # to y-up around the pivot, and back
    to_local = np.array([[1.0, 0.0, -px], [0.0, 1.0, -py], [0.0, 0.0, 1.0]])
    scale = np.diag([p.facing, p.sy, 1.0])
    shear = np.array([[1.0, p.shear, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
    a = math.radians(p.angle)
    rot = np.array([[math.cos(a), -math.sin(a), 0.0], [math.sin(a), math.cos(a), 0.0], [0.0, 0.0, 1.0]])
    move = np.array([[1.0, 0.0, p.dx * rig.height], [0.0, 1.0, p.dy * rig.height], [0.0, 0.0, 1.0]])
    back = np.array([[1.0, 0.0, px], [0.0, 1.0, py], [0.0, 0.0, 1.0]])
    return back @ flip @ move @ rot @ shear @ scale @ flip @ to_local


def _bend_weight(y: np.ndarray | float, rig: _Rig) -> np.ndarray | float:
    """0 below the waist, growing smoothly (quadratically) to 1 at the top of the head."""
    h = (rig.feet[1] - np.asarray(y, dtype=np.float32)) / rig.height
    k = np.clip((h - WAIST) / (1.0 - WAIST), 0.0, None)
    return k * k


def _head_weight(y: np.ndarray | float, rig: _Rig) -> np.ndarray | float:
    """1 above the neck, 0 below, with a soft band so the neck stretches instead of tearing."""
    band = rig.height * 0.06
    k = np.clip((rig.neck + band - np.asarray(y, dtype=np.float32)) / (2 * band), 0.0, 1.0)
    return k * k * (3.0 - 2.0 * k)


def _deform_point(x: float, y: float, p: Pose, rig: _Rig) -> tuple[float, float]:
    wb, wh = float(_bend_weight(y, rig)), float(_head_weight(y, rig))
    return x + (p.bend * wb + p.head_dx * wh) * rig.height, y + p.head_dy * wh * rig.height


def _apply(m: np.ndarray, x: float, y: float) -> tuple[float, float]:
    v = m @ np.array([x, y, 1.0])
    return float(v[0]), float(v[1])


class _Warper:
    """Warps the prepared character for a pose; the pixel grid is built once per clip."""

    def __init__(self, rig: _Rig) -> None:
        self.rig = rig
        s = rig.size
        self.gx, self.gy = np.meshgrid(np.arange(s, dtype=np.float32), np.arange(s, dtype=np.float32))

    def warp(self, p: Pose) -> np.ndarray:
        rig, s = self.rig, self.rig.size
        m = _affine(p, rig)
        if p.bend == 0.0 and p.head_dx == 0.0 and p.head_dy == 0.0:
            return cv2.warpAffine(
                rig.premul,
                m[:2],
                (s, s),
                flags=cv2.INTER_LINEAR,
                borderMode=cv2.BORDER_CONSTANT,
                borderValue=(0, 0, 0, 0),
            )
        inv = np.linalg.inv(m).astype(np.float32)
        u = inv[0, 0] * self.gx + inv[0, 1] * self.gy + inv[0, 2]
        v = inv[1, 0] * self.gx + inv[1, 1] * self.gy + inv[1, 2]
        wh = _head_weight(v, rig)
        u -= (p.bend * _bend_weight(v, rig) + p.head_dx * wh) * rig.height
        v -= p.head_dy * wh * rig.height
        return cv2.remap(
            rig.premul,
            u,
            v,
            interpolation=cv2.INTER_LINEAR,
            borderMode=cv2.BORDER_CONSTANT,
            borderValue=(0, 0, 0, 0),
        )


def _anchors(p: Pose, rig: _Rig) -> Anchors:
    m = _affine(p, rig)

    def at(x: float, y: float) -> tuple[float, float]:
        return _apply(m, *_deform_point(x, y, p, rig))

    head = at(*rig.head)
    fx = rig.feet[0]
    scale = math.sqrt(abs(p.facing * p.sy))
    return Anchors(
        head=head,
        head_r=rig.head_r * scale,
        top=at(rig.head[0], rig.top),
        left=at(fx - rig.half_width * 1.0, rig.chest_y),
        right=at(fx + rig.half_width * 1.0, rig.chest_y),
        chest=at(fx, rig.chest_y),
        feet=at(fx, rig.feet[1]),
        height=rig.height,
    )


def _corners(p: Pose, rig: _Rig) -> np.ndarray:
    """Approximate outline points of the posed character, to keep every frame inside the clip."""
    x0 = rig.feet[0] - rig.half_width * 1.6
    x1 = rig.feet[0] + rig.half_width * 1.6
    pts = [(x, y) for x in (x0, x1) for y in (rig.top, rig.neck, rig.feet[1])]
    m = _affine(p, rig)
    return np.array([_apply(m, *_deform_point(x, y, p, rig)) for x, y in pts])


def _adapt(p: Pose, rig: _Rig) -> Pose:
    """Head-only cut-outs have no neck to bend: turn head moves into whole-body moves."""
    if not rig.head_only or (p.head_dx == 0.0 and p.head_dy == 0.0):
        return p
    return replace(
        p,
        dx=p.dx + p.head_dx * 0.6,
        angle=p.angle - p.head_dx * 120.0,
        dy=p.dy - p.head_dy * 0.3,
        sy=p.sy * (1.0 - p.head_dy * 0.8),
        head_dx=0.0,
        head_dy=0.0,
    )


def _fit(poses: list[Pose], rig: _Rig) -> list[Pose]:
    """Damp upward moves and stretches if a strong recipe would push the head out of the frame."""
    limit = rig.size * _EDGE_ROOM

    def damped(k: float) -> list[Pose]:
        return [
            replace(p, dy=p.dy * k if p.dy > 0 else p.dy, sy=1.0 + (p.sy - 1.0) * k if p.sy > 1 else p.sy)
            for p in poses
        ]

    def fits(ps: list[Pose]) -> bool:
        return min(float(_corners(p, rig)[:, 1].min()) for p in ps) >= limit

    if fits(poses):
        return poses
    lo, hi = 0.0, 1.0
    for _ in range(8):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if fits(damped(mid)) else (lo, mid)
    return damped(lo)


def _composite(premul: np.ndarray, lut: np.ndarray) -> np.ndarray:
    """Premultiplied RGBA over a flat colour: fg + bg * (1 - alpha), the bg term from a per-alpha table."""
    rgb = cv2.cvtColor(premul, cv2.COLOR_RGBA2RGB)
    alpha3 = cv2.cvtColor(cv2.extractChannel(premul, 3), cv2.COLOR_GRAY2RGB)
    return cv2.add(rgb, cv2.LUT(alpha3, lut))


def _lut(background: tuple[int, int, int]) -> np.ndarray:
    bg = np.asarray(background, dtype=np.float32)
    weight = (255.0 - np.arange(256, dtype=np.float32))[:, None] / 255.0
    return np.ascontiguousarray(np.round(bg[None, :] * weight).astype(np.uint8).reshape(1, 256, 3))


class _Finish:
    """Turns a warped premultiplied character plus its effect overlays into one output frame.

    On a key colour: composite, then draw the effects over it (RGB). Without one: RGBA with the exact
    alpha. Effects are drawn by blending into an RGB frame, so they are drawn twice, over black and over
    white; a blend is linear in the background, hence alpha = 1 - (white - black) / 255 and the
    premultiplied colour is the frame over black (difference matting, exact up to rounding)."""

    def __init__(self, background: tuple[int, int, int] | None) -> None:
        self.lut = _lut(background) if background is not None else None

    def __call__(self, premul: np.ndarray, draw: Callable[[np.ndarray], None] | None = None) -> np.ndarray:
        if self.lut is not None:
            frame = _composite(premul, self.lut)
            if draw is not None:
                draw(frame)
            return frame
        if draw is None:
            return _unpremultiply(premul)
        black = cv2.cvtColor(premul, cv2.COLOR_RGBA2RGB)
        before = black.copy()
        draw(black)
        if not cv2.norm(black, before, cv2.NORM_INF):
            return _unpremultiply(premul)  # nothing drawn in this frame (effects come and go)
        alpha = cv2.extractChannel(premul, 3)
        white = cv2.add(before, cv2.cvtColor(cv2.bitwise_not(alpha), cv2.COLOR_GRAY2RGB))
        draw(white)
        r, g, b = cv2.split(cv2.subtract(white, black))
        alpha = cv2.max(cv2.bitwise_not(cv2.max(cv2.max(r, g), b)), alpha)
        return _unpremultiply(cv2.merge([*cv2.split(black), alpha]))


def _unpremultiply(premul: np.ndarray) -> np.ndarray:
    """Premultiplied RGBA uint8 -> straight RGBA (Pillow's RGBa -> RGBA, in C)."""
    return np.asarray(Image.fromarray(np.ascontiguousarray(premul), "RGBa").convert("RGBA"))


def prepare_parts(
    character: Image.Image,
    rig: Rig,
    layers: Mapping[str, Image.Image] | None,
    size: int,
) -> tuple[_Rig, Prepared]:
    """The character framed for the clip with its rig and part layers following it exactly."""
    base = _prepare(character, size)
    fit = frame_fit(character, size, FEET_MARGIN, height_fraction=HEIGHT_FRACTION)
    if (rig.width, rig.height) != character.size:  # a rig made on another copy of this image
        rig = rig.scaled(character.width / rig.width, character.height / rig.height, size=character.size)
    dx, dy = fit.point(0.0, 0.0)
    framed = rig.scaled(fit.sx, fit.sy, dx, dy, size=(size, size))
    framed_layers = None
    if layers:
        framed_layers = {
            name: fit.apply(im.resize(character.size) if im.size != character.size else im)
            for name, im in layers.items()
        }
    prep = prepare(base.premul, framed, framed_layers, base.head, base.head_r, base.feet, base.height)
    return base, prep


def _render_parts(
    character: Image.Image,
    recipe: MotionRecipe,
    rig: Rig,
    layers: Mapping[str, Image.Image] | None,
    background: tuple[int, int, int] | None,
    size: int,
    fps: int,
) -> list[np.ndarray]:
    base, prep = prepare_parts(character, rig, layers, size)
    tl = Timeline.build(prep, rig_motion(recipe.motion, rig.plan), recipe.intensity)
    n = recipe.seconds * fps
    tl.fit(n, size * _EDGE_ROOM)
    finish = _Finish(background)
    effects = normalise(recipe.effects)
    frames: list[np.ndarray] = []
    prev: Anchors | None = None
    for i in range(n):
        t = i / n
        premul, m = render_premul(tl, t)
        draw = None
        if effects:
            a = anchors(tl, m, t, base.chest_y, base.half_width, base.top)
            if i > 0:
                draw = _effects_drawer(effects, t, a, prev, tl.body(t).accent)
            prev = a
        frames.append(finish(premul, draw))
    frames.append(frames[0].copy())  # exact loop closure
    return frames


def render_frames(
    character: Image.Image,
    recipe: MotionRecipe,
    *,
    background: tuple[int, int, int] | None,
    size: int = 512,
    fps: int = 24,
    rig: Rig | None = None,
    layers: Mapping[str, Image.Image] | None = None,
) -> list[np.ndarray]:
    """`recipe.seconds * fps + 1` frames, the last equal to the first: RGB on `background`, or RGBA
    (straight alpha, exact) when `background` is None.

    With a rig that has limbs (in `character`'s pixels, plus part layers if the character was drawn
    in layers) the parts move and frame 1 is already the action's pose; otherwise the whole cut-out
    moves and frame 1 is the plain start pose."""
    if rig is not None and rig.animates_parts:
        return _render_parts(character, recipe, rig, layers, background, size, fps)
    rig_ = _prepare(character, size)
    n = recipe.seconds * fps
    poses = _fit(
        [_adapt(motion_pose(recipe.motion, i / n, recipe.intensity), rig_) for i in range(n + 1)], rig_
    )
    finish = _Finish(background)
    effects = normalise(recipe.effects)
    warper = _Warper(rig_)
    frames: list[np.ndarray] = []
    prev: Anchors | None = None
    first = finish(rig_.premul)
    for i, p in enumerate(poses):
        if i == 0:
            frames.append(first)
            prev = _anchors(p, rig_) if effects else None
            continue
        if i == n:
            frames.append(first.copy())  # exact loop closure
            break
        draw = None
        if effects:
            a = _anchors(p, rig_)
            draw = _effects_drawer(effects, i / n, a, prev, p.accent)
            prev = a
        if draw is None and p.is_rest():
            frames.append(first.copy())
        else:
            frames.append(finish(rig_.premul if p.is_rest() else warper.warp(p), draw))
    return frames


def _effects_drawer(
    effects: list[str], t: float, a: Anchors, prev: Anchors | None, accent: float
) -> Callable[[np.ndarray], None]:
    def draw(frame: np.ndarray) -> None:
        draw_effects(frame, effects, t, a, prev=prev, accent=accent)

    return draw


def render_clip(
    character: Image.Image,
    recipe: MotionRecipe,
    out_path: Path,
    *,
    background: tuple[int, int, int] | None = None,
    size: int = 512,
    fps: int = 24,
    rig: Rig | None = None,
    layers: Mapping[str, Image.Image] | None = None,
) -> Path:
    """Render the recipe as a seamless loop and write it to `out_path`: lossless RGBA (QuickTime RLE) with its
    exact transparency, or H.264 on a flat `background` when one is given."""
    frames = render_frames(
        character, recipe, background=background, size=size, fps=fps, rig=rig, layers=layers
    )
    if background is None:
        return encode_lossless(frames, out_path, fps)
    return encode_mp4(frames, out_path, fps)
