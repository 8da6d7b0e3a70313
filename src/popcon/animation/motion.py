"""Procedural body motions for the offline animator.

Each motion is a function of the loop phase t in [0, 1] returning a `Pose`: a transform of the
whole cut-out (translate, rotate, squash and stretch, shear around the feet) plus part-free
deformations (the upper body leans from the waist, the head shifts above the neck). Motions use
the classic principles (anticipation, squash and stretch, overshoot and settle) and are exactly
the start pose at t = 0 and t = 1, so every clip loops seamlessly.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields, replace

# ---------------------------------------------------------------- easing


def linear(x: float) -> float:
    return x


def ease_in(x: float) -> float:
    return x * x * x


def ease_out(x: float) -> float:
    return 1.0 - (1.0 - x) ** 3


def ease_in_out(x: float) -> float:
    return 4.0 * x * x * x if x < 0.5 else 1.0 - (-2.0 * x + 2.0) ** 3 / 2.0


def ease_out_back(x: float, s: float = 1.70158) -> float:
    """Overshoots past 1 then settles: follow-through without an extra keyframe."""
    x -= 1.0
    return 1.0 + (s + 1.0) * x * x * x + s * x * x


def smoothstep(x: float) -> float:
    x = min(1.0, max(0.0, x))
    return x * x * (3.0 - 2.0 * x)


def envelope(t: float, fade: float = 0.12) -> float:
    """0 at both ends of the loop, 1 in the middle: lets periodic wiggles start and end at rest."""
    if t <= 0.0 or t >= 1.0:
        return 0.0
    return smoothstep(min(t, 1.0 - t) / fade)


EASINGS: dict[str, Callable[[float], float]] = {
    "linear": linear,
    "in": ease_in,
    "out": ease_out,
    "inout": ease_in_out,
    "back": ease_out_back,
}

# ---------------------------------------------------------------- pose


@dataclass(frozen=True)
class Pose:
    """Offsets from the start pose. Lengths are fractions of the character height.

    dx, dy: translation (dy > 0 is up). angle: degrees, > 0 tilts the top to the left.
    sx, sy: scale around the pivot. shear: horizontal shift of the top per unit height.
    pivot: height of the rotation/scale centre above the feet (0 = feet, 0.5 = middle).
    bend: the upper body leans from the waist (horizontal shift of the top of the head).
    head_dx, head_dy: the head moves relative to the body (head_dy > 0 is down, a nod).
    turn: fraction of a full turn about the vertical axis (spin); drawn as a horizontal flip-scale.
    accent: 0..1 impact strength on beats (clap, stomp) that effects may react to.
    """

    dx: float = 0.0
    dy: float = 0.0
    angle: float = 0.0
    sx: float = 1.0
    sy: float = 1.0
    shear: float = 0.0
    pivot: float = 0.0
    bend: float = 0.0
    head_dx: float = 0.0
    head_dy: float = 0.0
    turn: float = 0.0
    accent: float = 0.0

    def lerp(self, other: Pose, k: float) -> Pose:
        return Pose(**{f.name: _mix(getattr(self, f.name), getattr(other, f.name), k) for f in fields(self)})

    def scaled(self, intensity: float) -> Pose:
        """Scale every deviation from rest by `intensity` (pivot, turn and accent are not scaled)."""
        if intensity == 1.0:
            return self
        i = intensity
        return replace(
            self,
            dx=self.dx * i,
            dy=self.dy * i,
            angle=self.angle * i,
            sx=_scale_dev(self.sx, i),
            sy=_scale_dev(self.sy, i),
            shear=self.shear * i,
            bend=self.bend * i,
            head_dx=self.head_dx * i,
            head_dy=self.head_dy * i,
        )

    @property
    def facing(self) -> float:
        """Horizontal scale including the turn: cos of the turn angle, kept off zero (no empty frame)."""
        c = math.cos(2.0 * math.pi * self.turn)
        return self.sx * (c if abs(c) > 0.04 else math.copysign(0.04, c))

    def is_rest(self, tol: float = 1e-9) -> bool:
        rest = REST
        return all(
            abs(getattr(self, f.name) - getattr(rest, f.name)) <= tol
            for f in fields(self)
            if f.name not in ("pivot", "accent")
        )


def _mix(a: float, b: float, k: float) -> float:
    return a + (b - a) * k


def _scale_dev(s: float, i: float) -> float:
    """Scale a deviation of a scale factor, keeping its sign (spin flips through negative sx)."""
    return 1.0 + (s - 1.0) * i


REST = Pose()

Key = tuple[float, Pose, str]


def keyframes(t: float, keys: Sequence[Key]) -> Pose:
    """Interpolate poses; each key's easing shapes the segment that ends at it."""
    if t <= keys[0][0]:
        return keys[0][1]
    for (t0, p0, _), (t1, p1, ease) in itertools.pairwise(keys):
        if t <= t1:
            k = (t - t0) / (t1 - t0) if t1 > t0 else 1.0
            return p0.lerp(p1, EASINGS[ease](k))
    return keys[-1][1]


def _wave(x: float, cycles: float) -> float:
    return math.sin(2.0 * math.pi * cycles * x)


# ---------------------------------------------------------------- motions


def bounce(t: float) -> Pose:
    """Two happy hops: squash before take-off and on landing, stretch in the air."""
    local = (t * 2.0) % 1.0
    keys: list[Key] = [
        (0.0, REST, "linear"),
        (0.18, Pose(sx=1.08, sy=0.9), "inout"),
        (0.32, Pose(sx=0.95, sy=1.07, dy=0.07), "out"),
        (0.5, Pose(dy=0.12), "out"),
        (0.68, Pose(sx=0.97, sy=1.04, dy=0.03), "in"),
        (0.78, Pose(sx=1.07, sy=0.92), "in"),
        (0.9, Pose(sx=0.99, sy=1.02), "inout"),
        (1.0, REST, "inout"),
    ]
    return keyframes(local, keys)


def jump(t: float) -> Pose:
    """Anticipation crouch, launch stretch, airborne arc, landing squash, overshoot and settle."""
    keys: list[Key] = [
        (0.0, REST, "linear"),
        (0.2, Pose(sx=1.12, sy=0.82), "inout"),
        (0.3, Pose(sx=0.9, sy=1.15, dy=0.12), "out"),
        (0.47, Pose(sx=0.98, sy=1.03, dy=0.3), "out"),
        (0.62, Pose(sx=0.94, sy=1.1, dy=0.06), "in"),
        (0.67, Pose(sx=1.16, sy=0.8), "in"),
        (0.8, Pose(sx=0.96, sy=1.05), "out"),
        (0.9, Pose(sx=1.01, sy=0.99), "inout"),
        (1.0, REST, "inout"),
    ]
    return keyframes(t, keys)


def wave(t: float) -> Pose:
    """The upper body sways from the waist three times like a waving arm, with a small lift."""
    e = envelope(t, 0.15)
    s = _wave(t, 3.0)
    return Pose(bend=0.1 * s * e, angle=-3.0 * s * e, dy=0.015 * abs(s) * e, sy=1.0 + 0.02 * e)


def walk(t: float) -> Pose:
    """Walking in place: the body rises a little on every step (four steps) and rocks with the stride."""
    e = envelope(t, 0.1)
    return Pose(dy=0.012 * abs(_wave(t, 2.0)) * e, angle=1.2 * _wave(t, 2.0) * e)


def nod(t: float) -> Pose:
    """Two firm nods: the head dips and comes back with a little overshoot; the body follows."""
    local = (t * 2.0) % 1.0
    keys: list[Key] = [
        (0.0, REST, "linear"),
        (0.3, Pose(head_dy=0.085, sy=0.97, sx=1.01), "inout"),
        (0.6, Pose(head_dy=-0.015, sy=1.01), "out"),
        (1.0, REST, "inout"),
    ]
    return keyframes(local, keys)


def shake(t: float) -> Pose:
    """Head shakes left-right three times while the body stays put."""
    e = envelope(t, 0.12)
    s = _wave(t, 3.0)
    return Pose(head_dx=0.07 * s * e, angle=2.5 * s * e, bend=0.015 * s * e)


def spin(t: float) -> Pose:
    """A hop and a full turn: horizontal scale goes through cos(angle) (the back is the mirror)."""
    keys: list[Key] = [
        (0.0, REST, "linear"),
        (0.15, Pose(sx=1.08, sy=0.88), "inout"),
        (0.45, Pose(dy=0.12, sy=1.04), "out"),
        (0.75, Pose(sx=1.06, sy=0.92), "in"),
        (1.0, REST, "back"),
    ]
    turn = ease_in_out(smoothstep((t - 0.12) / 0.66)) if t > 0.12 else 0.0
    return replace(keyframes(t, keys), turn=turn)


def dance(t: float) -> Pose:
    """Hip sway on four beats, bobbing down on each beat, arms implied by the lean."""
    e = envelope(t, 0.08)
    sway = _wave(t, 2.0)
    bob = abs(_wave(t, 4.0) * 0.5)  # four downbeats
    return Pose(
        dx=0.04 * sway * e,
        bend=-0.08 * sway * e,
        angle=4.0 * sway * e,
        sy=1.0 - 0.08 * bob * e,
        sx=1.0 + 0.05 * bob * e,
        accent=bob * e,
    )


def bow(t: float) -> Pose:
    """Bows from the waist: the top folds down (squash + head dip), holds, straightens up."""
    keys: list[Key] = [
        (0.0, REST, "linear"),
        (0.1, Pose(sy=1.03, head_dy=-0.01), "inout"),
        (0.4, Pose(sy=0.86, sx=1.04, head_dy=0.12, bend=0.02), "inout"),
        (0.65, Pose(sy=0.85, sx=1.04, head_dy=0.13, bend=0.02), "linear"),
        (0.9, Pose(sy=1.02, head_dy=-0.01), "inout"),
        (1.0, REST, "inout"),
    ]
    return keyframes(t, keys)


def sleepy(t: float) -> Pose:
    """Slow breathing while the head droops sideways, then a small jerk back awake."""
    breathe = 0.5 - 0.5 * math.cos(2.0 * math.pi * t * 2.0)
    droop = keyframes(
        t,
        [
            (0.0, REST, "linear"),
            (0.65, Pose(head_dy=0.05, bend=0.06, angle=-3.0), "inout"),
            (0.75, Pose(head_dy=-0.01, bend=-0.01), "out"),
            (1.0, REST, "inout"),
        ],
    )
    return replace(droop, sy=1.0 + 0.03 * breathe, sx=1.0 - 0.01 * breathe)


def cry(t: float) -> Pose:
    """Sobs: quick shoulder jerks (vertical pulses) and a drooping head."""
    e = envelope(t, 0.1)
    sob = max(0.0, _wave(t, 5.0)) ** 2
    return Pose(sy=1.0 - 0.05 * sob * e, sx=1.0 + 0.02 * sob * e, head_dy=0.03 * e + 0.01 * sob * e)


def laugh(t: float) -> Pose:
    """Leans back and shakes with laughter: fast small bounces and a wobbling tilt."""
    e = envelope(t, 0.12)
    shake_ = _wave(t, 6.0)
    return Pose(
        dy=0.025 * abs(shake_) * e,
        sy=1.0 + 0.04 * shake_ * e,
        sx=1.0 - 0.02 * shake_ * e,
        angle=3.0 * _wave(t, 2.0) * e,
        bend=-0.03 * e,
    )


def love(t: float) -> Pose:
    """Dreamy sway, rising on the toes with a happy pulse."""
    e = envelope(t, 0.15)
    sway = _wave(t, 1.0)
    pulse = 0.5 - 0.5 * math.cos(2.0 * math.pi * t * 2.0)
    return Pose(bend=0.06 * sway * e, angle=-3.0 * sway * e, dy=0.03 * pulse, sy=1.0 + 0.03 * pulse)


def angry(t: float) -> Pose:
    """Stomps on two beats with a squash; trembles with rage in between."""
    e = envelope(t, 0.08)
    tremble_ = _wave(t, 14.0)
    stomp = max(0.0, _wave(t, 2.0)) ** 4
    return Pose(
        dx=0.008 * tremble_ * e,
        sy=1.0 - 0.07 * stomp * e,
        sx=1.0 + 0.06 * stomp * e,
        angle=2.0 * _wave(t, 1.0) * e,
        accent=stomp * e,
    )


def surprised(t: float) -> Pose:
    """A startled jolt: tiny crouch, shoots up stretched, wobbles down and settles."""
    keys: list[Key] = [
        (0.0, REST, "linear"),
        (0.1, Pose(sx=1.05, sy=0.93), "inout"),
        (0.2, Pose(sx=0.88, sy=1.16, dy=0.1), "out"),
        (0.4, Pose(sx=0.95, sy=1.06, dy=0.04), "inout"),
        (0.5, Pose(sx=1.07, sy=0.94), "in"),
        (0.62, Pose(sx=0.98, sy=1.03, angle=2.0), "out"),
        (0.74, Pose(angle=-1.5), "inout"),
        (0.86, Pose(angle=0.6), "inout"),
        (1.0, REST, "inout"),
    ]
    return keyframes(t, keys)


def tilt(t: float) -> Pose:
    """Pondering: leans the head and body slowly to one side, holds, a small bob, returns."""
    keys: list[Key] = [
        (0.0, REST, "linear"),
        (0.3, Pose(bend=-0.07, angle=4.0, head_dx=-0.02), "inout"),
        (0.45, Pose(bend=-0.075, angle=4.0, head_dx=-0.02, head_dy=0.015), "inout"),
        (0.6, Pose(bend=-0.07, angle=4.0, head_dx=-0.02), "inout"),
        (0.88, Pose(bend=0.008, angle=-0.5), "inout"),
        (1.0, REST, "inout"),
    ]
    return keyframes(t, keys)


def clap(t: float) -> Pose:
    """Four claps: the body narrows and bounces on each beat."""
    e = envelope(t, 0.06)
    beat = (0.5 - 0.5 * math.cos(2.0 * math.pi * 4.0 * t)) ** 3
    return Pose(sx=1.0 - 0.05 * beat * e, sy=1.0 + 0.03 * beat * e, dy=0.015 * beat * e, accent=beat * e)


def shy(t: float) -> Pose:
    """Bashful: shrinks a little and twists side to side, head turned away."""
    e = envelope(t, 0.2)
    sway = _wave(t, 2.0)
    return Pose(
        sx=1.0 - 0.03 * e,
        sy=1.0 - 0.04 * e,
        shear=0.04 * sway * e,
        bend=0.03 * sway * e,
        head_dx=0.015 * e,
        angle=-1.5 * sway * e,
    )


def tremble(t: float) -> Pose:
    """Nervous jitter, shifting weight from foot to foot."""
    e = envelope(t, 0.1)
    return Pose(
        dx=0.01 * _wave(t, 12.0) * e,
        angle=2.5 * _wave(t, 2.0) * e,
        sy=1.0 + 0.015 * _wave(t, 8.0) * e,
    )


MOTIONS: dict[str, Callable[[float], Pose]] = {
    "bounce": bounce,
    "jump": jump,
    "wave": wave,
    "nod": nod,
    "shake": shake,
    "spin": spin,
    "dance": dance,
    "bow": bow,
    "sleepy": sleepy,
    "cry": cry,
    "laugh": laugh,
    "love": love,
    "angry": angry,
    "surprised": surprised,
    "tilt": tilt,
    "clap": clap,
    "shy": shy,
    "tremble": tremble,
    "walk": walk,
    # Motions that only a rigged character plays differently (rig_motions.toml); as one piece they
    # borrow the closest whole-body motion.
    "thinking": tilt,
    "hi-five": jump,
    "celebrate": jump,
}

FALLBACK = "bounce"


def motion_pose(name: str, t: float, intensity: float = 1.0) -> Pose:
    """The pose of motion `name` at phase t; unknown names fall back to `bounce`.

    t <= 0 and t >= 1 return the exact rest pose, so the first and last frames are identical.
    """
    if t <= 0.0 or t >= 1.0:
        return REST
    fn = MOTIONS.get(name, MOTIONS[FALLBACK])
    return fn(t).scaled(intensity)
