"""The offline character generator: a procedural chibi mascot that follows the prompt's words.

No model, no network: the prompt's words pick an animal (ears, tail, face), colours (body and
clothes) and accessories (`mascot_prompt`); every part is drawn as its own layer (`mascot_drawing`)
and the layers come with the mascot's rig, so the animator poses exact parts.
"""

from __future__ import annotations

import functools
import random
from dataclasses import dataclass

import cv2
import numpy as np
from PIL import Image

from popcon.animation.framing import alpha_bbox, frame_fit
from popcon.animation.keyframes import ARM_PARTS, BACK_PARTS
from popcon.animation.mascot_drawing import (
    SUPERSAMPLE,
    MascotGeometry,
    Pen,
    arm_joints,
    draw_arm,
    draw_clothes_top,
    draw_ears,
    draw_face,
    draw_head,
    draw_leg,
    draw_neckwear,
    draw_overlay,
    draw_tail,
    draw_torso,
    leg_joints,
    sheen,
)
from popcon.animation.mascot_prompt import OUTLINE, SAMPLE_PROMPT, MascotSpec, parse_prompt, prompt_seed
from popcon.domain.rig import Rig

EAR_ANIMALS = ("cat", "fox", "bear", "panda", "rabbit", "mouse")  # ears drawn as their own parts
# Back to front; an arm raised above its shoulder is drawn over the head by the animator.
Z_ORDER: tuple[str, ...] = (*BACK_PARTS, *ARM_PARTS, "head")  # the part compositor's order
_SIDES = (("right", -1), ("left", 1))  # the character's right is the image's left


@dataclass
class MascotRig:
    """The mascot, its joints (pixels of `image`) and one full-size RGBA layer per drawn part."""

    image: Image.Image
    rig: Rig
    layers: dict[str, Image.Image]


def _geometry(spec: MascotSpec) -> MascotGeometry:
    g = MascotGeometry()
    if spec.chubby:
        g.brx, g.hrx = 0.18, 0.265
    if spec.animal == "robot":
        g.hrx, g.hry = 0.24, 0.19
    if spec.animal == "frog":  # eyes sit in the bumps on top of the head
        g.eye_y, g.eye_dx = g.hy - g.hry + 0.025, 0.12
    return g


def _joints(spec: MascotSpec, g: MascotGeometry, tail_side: float) -> dict[str, tuple[float, float]]:
    """Where the parts were drawn, in unit coordinates: the pivots the animator turns them about."""
    j: dict[str, tuple[float, float]] = {
        "root": (g.hx, g.by + 0.06),
        "hip": (g.hx, g.by + 0.06),
        "torso": (g.hx, g.by),
        "neck": (g.hx, g.hy + g.hry * 0.93),
        "head_top": (g.hx, g.hy - g.hry),
        "mouth": (g.hx, g.hy + 0.065),
    }
    for side, s in _SIDES:
        j[f"{side}_eye"] = (g.hx + s * g.eye_dx, g.eye_y)
        if spec.animal != "ghost":
            for name, pt in zip(("shoulder", "elbow", "hand"), arm_joints(spec, g, s), strict=True):
                j[f"{side}_{name}"] = pt
            for name, pt in zip(("hip", "knee", "foot"), leg_joints(g, s), strict=True):
                j[f"{side}_{name}"] = pt
        if spec.animal in EAR_ANIMALS:
            j[f"{side}_ear"] = (g.hx + s * 0.15, g.hy - g.hry + 0.05)
    if spec.animal in ("fox", "cat", "mouse"):
        j["tail"] = (0.5 + tail_side * 0.14, 0.78)
    return j


def _layer_outline(im: Image.Image, width: int, open_at: tuple[float, float] | None) -> Image.Image:
    """The sticker outline around one part; none near `open_at`, where the part continues its parent."""
    a = im.getchannel("A")
    used = a.getbbox()
    if used is None:
        return im
    k = max(3, width | 1)
    x0, y0 = max(0, used[0] - k), max(0, used[1] - k)
    x1, y1 = min(im.width, used[2] + k), min(im.height, used[3] + k)
    alpha = np.asarray(a.crop((x0, y0, x1, y1)))
    grown = cv2.dilate(alpha, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k)))
    if open_at is not None:
        r = 0.068 / 2 * im.width + 2 * width
        cv2.circle(grown, (round(open_at[0] - x0), round(open_at[1] - y0)), round(r), 0, -1)
    base = np.zeros((y1 - y0, x1 - x0, 4), np.uint8)
    base[..., :3] = OUTLINE
    base[..., 3] = grown
    part = Image.fromarray(base, "RGBA")
    part.alpha_composite(im.crop((x0, y0, x1, y1)))
    im.paste(part, (x0, y0))  # in place: the layer is this drawing's own scratch image
    return im


def draw_mascot_rig(prompt: str, size: int = 768, seed: int | None = None) -> MascotRig:
    """The mascot drawn part by part: the image is exactly the layers composited in `Z_ORDER`.

    The last few drawings are kept (a job draws its character, then asks for its rig and layers):
    callers get their own copies of the images."""
    drawn = _draw_cached(prompt, size, seed)
    return MascotRig(
        image=drawn.image.copy(), rig=drawn.rig, layers={k: v.copy() for k, v in drawn.layers.items()}
    )


@functools.lru_cache(maxsize=4)
def _draw_cached(prompt: str, size: int, seed: int | None) -> MascotRig:
    return _draw_mascot_rig(prompt, size, seed)


def _draw_mascot_rig(prompt: str, size: int, seed: int | None) -> MascotRig:
    spec = parse_prompt(prompt, seed)
    rng = random.Random(prompt_seed(prompt) if seed is None else seed)
    g = _geometry(spec)
    n = size * SUPERSAMPLE
    pens = {name: Pen(Image.new("RGBA", (n, n), (0, 0, 0, 0))) for name in Z_ORDER}
    tail_side = -1.0 if rng.random() < 0.5 else 1.0
    draw_tail(pens["tail"], spec, g, tail_side)
    if spec.animal in EAR_ANIMALS:
        for side, s in _SIDES:
            draw_ears(pens[f"{side}_ear"], spec, g, front=False, sides=(s,))
    else:
        draw_ears(pens["head"], spec, g, front=False)
    draw_torso(pens["torso"], spec, g)
    limbs = spec.animal != "ghost"
    if limbs:
        for side, s in _SIDES:
            draw_leg(pens[f"{side}_thigh"], pens[f"{side}_shin"], spec, g, s)
            draw_arm(pens[f"{side}_upper_arm"], pens[f"{side}_forearm"], spec, g, s)
    head = pens["head"]
    draw_head(head, spec, g)
    draw_ears(head, spec, g, front=True)
    draw_overlay(head.im, sheen(g))
    draw_face(head, spec, g)
    draw_neckwear(head, spec, g)
    draw_clothes_top(head, spec, g, rng)
    joints = _joints(spec, g, tail_side)
    big: dict[str, Image.Image] = {}
    for name, pen in pens.items():
        pivot = {"right_forearm": "right_elbow", "left_forearm": "left_elbow"}.get(name)
        pivot = pivot or {"right_shin": "right_knee", "left_shin": "left_knee"}.get(name)
        at = (joints[pivot][0] * n, joints[pivot][1] * n) if pivot and pivot in joints else None
        big[name] = _layer_outline(pen.im, pen.ow, at)
    boxes = [b for b in (alpha_bbox(big[name]) for name in Z_ORDER) if b is not None]
    union = (
        min(b[0] for b in boxes),
        min(b[1] for b in boxes),
        max(b[2] for b in boxes),
        max(b[3] for b in boxes),
    )
    fit = frame_fit(union, size, margin=0.06)
    layers = {name: fit.apply(big[name]) for name in Z_ORDER}
    image = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    for name in Z_ORDER:
        image.alpha_composite(layers[name])
    px = {k: fit.point(x * n, y * n) for k, (x, y) in joints.items()}
    rig = Rig(
        width=size,
        height=size,
        source="mascot",
        confidence=1.0,
        has_arms=limbs,
        has_legs=limbs,
        joints=px,
        layers=True,
        note=None if limbs else f"a {spec.animal} has no limbs: it moves as one piece",
    )
    return MascotRig(image=image, rig=rig, layers=layers)


def draw_mascot(prompt: str, size: int = 768, seed: int | None = None) -> Image.Image:
    """A full-body chibi mascot (RGBA, transparent background) following the prompt's words."""
    return draw_mascot_rig(prompt, size, seed).image


def sample_character() -> Image.Image:
    """The built-in demo character."""
    return draw_mascot(SAMPLE_PROMPT)
