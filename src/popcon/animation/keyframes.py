"""The part animator's motion data: joint keyframes per motion, read from `popcon/data/rig_motions.toml`.

Joint directions are in the character's own terms (0 down, 90 outward, 180 up, in the body's own frame:
see `part_posing.body_frame`), hands may aim at targets (eye, chin, mouth, ...) that two-bone IK
reaches, wiggles have whole cycles per loop, and a whole-body motion of `motion.py` rides on top. A body
plan (four legs) may have its own version of a motion.
"""

from __future__ import annotations

import itertools
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

SIDES = (("right", "r", -1.0), ("left", "l", 1.0))  # the character's right is the image's left
ANGLE_CHANNELS = (
    "lean",
    "head",
    "bow",
    "nod",
    *(f"{p}_{j}" for p in ("r", "l") for j in ("arm", "fore", "leg", "shin")),
)
HAND_TARGETS = ("eye", "chin", "mouth", "chest", "centre", "above", "out")
# Drawn first, back to front, behind the arms and the head (the compositor and the overlap cut share it).
BACK_PARTS = (
    "tail",
    "right_ear",
    "left_ear",
    "right_thigh",
    "right_shin",
    "left_thigh",
    "left_shin",
    "torso",
)
# The arm layers, over the body: behind the head at rest, in front of it when the hand is raised.
ARM_PARTS = ("right_upper_arm", "right_forearm", "left_upper_arm", "left_forearm")
FOLLOW_LAG = 0.06  # (part posing) ears and tail follow the head and body this much of the loop later


# ---------------------------------------------------------------- motion data


@dataclass(frozen=True)
class Wiggle:
    ch: str
    amp: float
    cycles: int
    phase: float = 0.0


@dataclass(frozen=True)
class RigMotion:
    name: str
    body: str
    body_scale: float
    keys: tuple[tuple[float, Mapping[str, Any]], ...]
    wiggle: tuple[Wiggle, ...] = ()
    blinks: tuple[tuple[float, float], ...] = ((0.62, 0.68),)


def _check_target(v: Any, where: str) -> None:
    name = v[0] if isinstance(v, list) else v
    ok = isinstance(name, str) and name in HAND_TARGETS
    if isinstance(v, list):
        ok = ok and len(v) == 3 and all(isinstance(x, int | float) for x in v[1:])
    if not ok:
        raise ValueError(f"{where}: a hand target is one of {HAND_TARGETS} or [name, dx, dy]")


def parse_motion(name: str, raw: dict[str, Any]) -> RigMotion:
    """One [motion] table of rig_motions.toml checked and turned into a RigMotion (errors name the key)."""
    keys = []
    for i, k in enumerate(raw.get("keys", [])):
        k = dict(k)
        t = float(k.pop("t"))
        for ch, v in k.items():
            where = f"rig_motions.{name}.keys[{i}].{ch}"
            if ch in ("r_hand", "l_hand"):
                _check_target(v, where)
            elif ch not in ANGLE_CHANNELS or not isinstance(v, int | float):
                raise ValueError(f"{where}: unknown channel or not a number")
        keys.append((t, k))
    if len(keys) < 2 or keys[0][0] != 0.0 or keys[-1][0] != 1.0:
        raise ValueError(f"rig_motions.{name}: keys must start at t = 0 and end at t = 1")
    if keys[0][1] != keys[-1][1]:
        raise ValueError(f"rig_motions.{name}: the last key must equal the first (the loop closes)")
    if any(b[0] <= a[0] for a, b in itertools.pairwise(keys)):
        raise ValueError(f"rig_motions.{name}: key times must increase")
    wiggles = []
    for w in raw.get("wiggle", []):
        wig = Wiggle(ch=w["ch"], amp=float(w["amp"]), cycles=int(w["cycles"]), phase=float(w.get("phase", 0)))
        if wig.ch not in ANGLE_CHANNELS or wig.cycles != w["cycles"]:
            raise ValueError(f"rig_motions.{name}.wiggle: unknown channel or cycles not whole ({w})")
        wiggles.append(wig)
    blinks = tuple((float(a), float(b)) for a, b in raw.get("blinks", [(0.62, 0.68)]))
    return RigMotion(
        name=name,
        body=str(raw.get("body", "none")),
        body_scale=float(raw.get("body_scale", 1.0)),
        keys=tuple(keys),
        wiggle=tuple(wiggles),
        blinks=blinks,
    )


@cache
def load_rig_motions() -> dict[str, RigMotion]:
    text = resources.files("popcon.data").joinpath("rig_motions.toml").read_text("utf-8")
    return {name: parse_motion(name, raw) for name, raw in tomllib.loads(text).items()}


def rig_motion(name: str, plan: str = "upright") -> RigMotion:
    """The keyframes of motion `name` for a body plan: a four-legged character has its own where the
    data gives them ("four_legs.<name>"), else it plays the upright ones."""
    motions = load_rig_motions()
    own = motions.get(f"{plan}.{name}") if plan != "upright" else None
    return own or motions.get(name, motions["idle"])
