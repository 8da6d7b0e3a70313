"""Posing the part layers over a loop: keyframes resolved to joint angles, hand targets by two-bone IK,
each part's transform chained to its parent's.

The first frame is already the action's pose (the still LINE shows) and the last frame equals it; ears
and tail follow the head and body with lag, blinks close the eyes.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from popcon.animation.keyframes import ANGLE_CHANNELS, FOLLOW_LAG, RigMotion, Wiggle
from popcon.animation.motion import REST, Pose, ease_in_out, motion_pose
from popcon.animation.part_geometry import (
    limb_angle,
    map_point,
    rotate_about,
    scale_y_about,
    screen_angle,
    subtract,
    translation,
    wrap_degrees,
)
from popcon.animation.part_layers import Prepared


def _target(p: Prepared, spec: Any, side: float, sname: str) -> tuple[float, float]:
    name, dx, dy = (spec[0], float(spec[1]), float(spec[2])) if isinstance(spec, list) else (spec, 0.0, 0.0)
    j, (hx, hy), r = p.joints, p.head, p.head_r
    if name == "eye":
        base = j.get(f"{sname}_eye", (hx + side * 0.38 * r, hy + 0.1 * r))
        base = (base[0] + side * 0.1 * r, base[1] + 0.15 * r)
    elif name == "chin":
        base = (hx + side * 0.3 * r, hy + 0.85 * r)
    elif name == "mouth":
        base = j.get("mouth", (hx, hy + 0.5 * r))
        base = (base[0] + side * 0.2 * r, base[1])
    elif name == "chest":
        t, n = j["torso"], j["neck"]
        base = (t[0] + side * 0.25 * r, t[1] + (n[1] - t[1]) * 0.45)
    elif name == "centre":
        t, n = j["torso"], j["neck"]
        base = (j["hip"][0] + side * 0.12 * r, t[1] + (n[1] - t[1]) * 0.2)
    elif name == "above":
        base = (hx + side * 0.9 * r, hy - 2.2 * r)
    else:  # out
        s = j[f"{sname}_shoulder"]
        base = (s[0] + side * 3.0 * r, s[1])
    return base[0] + side * dx * r, base[1] + dy * r


def _ik(p: Prepared, sname: str, side: float, target: tuple[float, float]) -> tuple[float, float]:
    """Upper arm and forearm directions (character terms) that put the hand on `target`, elbow out."""
    s, e, h = (p.joints[f"{sname}_{k}"] for k in ("shoulder", "elbow", "hand"))
    l1, l2 = math.dist(s, e), math.dist(e, h)
    v = subtract(target, s)
    d = min(max(math.hypot(*v), abs(l1 - l2) + 1e-3), (l1 + l2) * 0.999)
    base = math.atan2(v[1], v[0])
    cos_a = (l1 * l1 + d * d - l2 * l2) / (2 * l1 * d) if l1 > 0 and d > 0 else 1.0
    alpha = math.acos(max(-1.0, min(1.0, cos_a)))
    hand = (s[0] + d * math.cos(base), s[1] + d * math.sin(base))

    def solution(sign: float) -> tuple[float, float, float]:
        """How far out the elbow lies, and the two directions, for one of the two bends."""
        a = base + sign * alpha
        elbow = (s[0] + l1 * math.cos(a), s[1] + l1 * math.sin(a))
        out = side * (elbow[0] - p.joints["hip"][0])
        return out, limb_angle((math.cos(a), math.sin(a)), side), limb_angle(subtract(hand, elbow), side)

    _, up, fore = max(solution(1.0), solution(-1.0))
    return up, fore


def _resolve(p: Prepared, key: Mapping[str, Any]) -> dict[str, float]:
    """A key's channels as numbers: hand targets become arm and forearm directions."""
    out = {k: float(v) for k, v in key.items() if k in ANGLE_CHANNELS}
    if p.has_arms:
        for sname, pre, side in p.sides:
            if f"{pre}_hand" in key:
                up, fore = _ik(p, sname, side, _target(p, key[f"{pre}_hand"], side, sname))
                out[f"{pre}_arm"], out[f"{pre}_fore"] = up, fore
    return out


_UPRIGHT_WITHIN, _TURNED_FROM = 30.0, 60.0  # degrees between the body's up and the picture's


def body_frame(p: Prepared) -> float:
    """How far the character's own up is turned from the picture's (degrees, counter-clockwise as seen).

    Keyframes say "0 down, 180 up" in the body's terms, so an upside-down or lying figure must read
    them in its own frame: its raised arm points away from its body, not at its feet. Up is hip to
    neck; for four legs it is the back's normal on the side away from the feet (the neck, the head's
    pivot, sits high above the back). A lean within 30 degrees is the drawing's pose (a runner leaning
    into the stride) and keeps the picture's axes; beyond 60 the frame turns fully, smoothly between.
    """
    j = p.joints
    hip = j["hip"]
    up = subtract(j["neck"], hip)
    if p.plan == "four_legs" and "right_shoulder" in j and "left_shoulder" in j:
        back = subtract(_mid(j["right_shoulder"], j["left_shoulder"]), hip)
        up = (back[1], -back[0])
        ends = [j[k] for k in ("right_hand", "left_hand", "right_foot", "left_foot") if k in j]
        down = subtract(_mid(*ends), hip) if ends else (0.0, 1.0)
        if up[0] * down[0] + up[1] * down[1] > 0:
            up = (-up[0], -up[1])
    turn = math.degrees(math.atan2(-up[0], -up[1]))
    k = min(1.0, max(0.0, (abs(turn) - _UPRIGHT_WITHIN) / (_TURNED_FROM - _UPRIGHT_WITHIN)))
    return turn * k * k * (3.0 - 2.0 * k)


def _mid(*pts: tuple[float, float]) -> tuple[float, float]:
    return sum(q[0] for q in pts) / len(pts), sum(q[1] for q in pts) / len(pts)


def in_body_frame(p: Prepared, frame: float) -> Prepared:
    """The prepared character with joints and head turned about the hip into its own upright frame."""
    if frame == 0.0:
        return p
    r = rotate_about(p.joints["hip"], -frame)
    return replace(p, joints={k: map_point(r, v) for k, v in p.joints.items()}, head=map_point(r, p.head))


def _rest(p: Prepared) -> dict[str, float]:
    """Every channel at the drawn pose: limb directions as drawn, no lean, tilt or bow."""
    out = dict.fromkeys(("lean", "head", "bow", "nod"), 0.0)
    j = p.joints
    for sname, pre, side in p.sides:
        if p.has_arms:
            out[f"{pre}_arm"] = limb_angle(subtract(j[f"{sname}_elbow"], j[f"{sname}_shoulder"]), side)
            out[f"{pre}_fore"] = limb_angle(subtract(j[f"{sname}_hand"], j[f"{sname}_elbow"]), side)
        if p.has_legs:
            out[f"{pre}_leg"] = limb_angle(subtract(j[f"{sname}_knee"], j[f"{sname}_hip"]), side)
            out[f"{pre}_shin"] = limb_angle(subtract(j[f"{sname}_foot"], j[f"{sname}_knee"]), side)
    return out


def _arm_wiggles(p: Prepared, motion: RigMotion) -> tuple[Wiggle, ...]:
    """The motion's wiggles, with the shoulder's grown where the forearm is short.

    A forearm's wiggle is written for a forearm as long as the upper arm; a short one (a drawing's
    stubby hand) sweeps its hand over little and the wave reads as still. The shoulder's own wiggle,
    in step with it, takes the shortfall: the forearm's angle times (upper - fore) / whole arm.
    """
    if not p.has_arms:
        return motion.wiggle
    out = list(motion.wiggle)
    for sname, pre, _ in p.sides:
        s, e, h = (p.joints[f"{sname}_{k}"] for k in ("shoulder", "elbow", "hand"))
        l1, l2 = math.dist(s, e), math.dist(e, h)
        fore = [w for w in out if w.ch == f"{pre}_fore"]
        for i, w in enumerate(out):
            if w.ch != f"{pre}_arm" or not fore or l1 + l2 <= 0:
                continue
            extra = abs(fore[0].amp) * (l1 - l2) / (l1 + l2)
            if extra >= 0.5 and fore[0].cycles == w.cycles:  # below half a degree: nothing to add
                out[i] = replace(w, amp=w.amp + math.copysign(extra, w.amp))
    return tuple(out)


@dataclass
class Timeline:
    """The motion resolved for one prepared character: channels at any phase."""

    prep: Prepared
    motion: RigMotion
    intensity: float
    keys: list[tuple[float, dict[str, float]]]
    rest: dict[str, float]
    lift: float = 1.0  # damping of upward moves and stretches that would leave the frame (see fit)
    frame: float = 0.0  # the body's own up against the picture's (see body_frame)
    wiggle: tuple[Wiggle, ...] = ()  # the motion's wiggles fitted to this arm (see _arm_wiggles)

    @classmethod
    def build(cls, prep: Prepared, motion: RigMotion, intensity: float = 1.0) -> Timeline:
        frame = body_frame(prep)
        upright = in_body_frame(prep, frame)
        rest = _rest(upright)
        keys: list[tuple[float, dict[str, float]]] = []
        for t, k in motion.keys:
            ch = dict(rest)
            resolved = _resolve(upright, k)
            for name, v in resolved.items():
                if name.endswith("_arm") and f"{name[0]}_fore" not in resolved and name in rest:
                    ch[f"{name[0]}_fore"] = rest[f"{name[0]}_fore"] + wrap_degrees(v - rest[name])
                ch[name] = v
            # Unwrap directions so that interpolation turns the short way round.
            if keys:
                for name, v in ch.items():
                    ch[name] = keys[-1][1][name] + wrap_degrees(v - keys[-1][1][name]) if name in rest else v
            keys.append((t, ch))
        return cls(prep, motion, intensity, keys, rest, frame=frame, wiggle=_arm_wiggles(prep, motion))

    def channels(self, t: float) -> dict[str, float]:
        t = t % 1.0
        for (t0, a), (t1, b) in itertools.pairwise(self.keys):
            if t0 <= t <= t1:
                k = ease_in_out((t - t0) / (t1 - t0))
                ch = {n: a[n] + (b[n] - a[n]) * k for n in a}
                break
        else:
            ch = dict(self.keys[0][1])
        for w in self.wiggle:
            if w.ch in ch:
                ch[w.ch] += w.amp * math.sin(2 * math.pi * (w.cycles * t + w.phase))
        if self.intensity != 1.0:  # scale every deviation from the drawn pose
            ch = {
                n: self.rest.get(n, 0.0) + (v - self.rest.get(n, 0.0)) * self.intensity for n, v in ch.items()
            }
        return ch

    def body(self, t: float) -> Pose:
        if self.motion.body == "none" or t <= 0.0 or t >= 1.0:
            return REST
        pose = motion_pose(self.motion.body, t, self.intensity * self.motion.body_scale)
        k = self.lift
        return replace(
            pose,
            bend=0.0,
            head_dx=0.0,
            head_dy=0.0,
            dy=pose.dy * k if pose.dy > 0 else pose.dy,
            sy=1.0 + (pose.sy - 1.0) * k if pose.sy > 1 else pose.sy,
        )

    def top(self, t: float) -> float:
        """The highest point (smallest y) of any part's box at phase t."""
        m = part_matrices(self, t)
        best = math.inf
        for name, layer in self.prep.layers.items():
            if name in m:
                h, w = layer.premul.shape[:2]
                box = np.array([[0, 0, 1], [w, 0, 1], [0, h, 1], [w, h, 1]], np.float64)
                box[:, :2] += (layer.x0, layer.y0)
                best = min(best, float((box @ m[name].T)[:, 1].min()))
        return best

    def fit(self, frames: int, margin: float) -> None:
        """Damp the body's upward moves if the posed character would leave the top of the frame."""
        times = [i / frames for i in range(frames) if self.body(i / frames).dy > 0]
        out = [t for t in times if self.top(t) < margin]
        if not out:
            return
        lo, hi = 0.0, 1.0
        for _ in range(6):
            self.lift = (lo + hi) / 2
            lo, hi = (self.lift, hi) if min(self.top(t) for t in out) >= margin else (lo, self.lift)
        self.lift = lo

    def eyes_shut(self, t: float) -> bool:
        return any(a <= t % 1.0 < b for a, b in self.motion.blinks)


def body_matrix(p: Pose, feet: tuple[float, float], height: float) -> np.ndarray:
    """The whole-body transform of a `Pose` (as the whole-body animator applies it)."""
    px, py = feet[0], feet[1] - p.pivot * height
    flip = np.diag([1.0, -1.0, 1.0])
    to_local = translation(-px, -py)
    scale = np.diag([p.facing, p.sy, 1.0])
    shear = np.array([[1.0, p.shear, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
    a = math.radians(p.angle)
    rot = np.array([[math.cos(a), -math.sin(a), 0.0], [math.sin(a), math.cos(a), 0.0], [0.0, 0.0, 1.0]])
    move = translation(p.dx * height, p.dy * height)
    return translation(px, py) @ flip @ move @ rot @ shear @ scale @ flip @ to_local


def part_matrices(tl: Timeline, t: float) -> dict[str, np.ndarray]:
    """Rest-to-screen transform of every part at phase t."""
    p, j = tl.prep, tl.prep.joints
    ch = tl.channels(t)
    mb = body_matrix(tl.body(t), p.feet, p.height)
    hip = j["hip"]
    squash = 1.0 - 0.3 * ch["bow"]
    rigid = mb @ rotate_about(hip, ch["lean"])
    # Bows squash and nods drop along the body's own axis: body-frame moves conjugated by its turn.
    to_image, to_body = rotate_about(hip, tl.frame), rotate_about(hip, -tl.frame)

    def along_body(m_body: np.ndarray) -> np.ndarray:
        return m_body if tl.frame == 0.0 else to_image @ m_body @ to_body

    def attach(q: tuple[float, float]) -> np.ndarray:
        """Follow the bowing torso's point q without taking its squash."""
        return rigid @ along_body(translation(0.0, (map_point(to_body, q)[1] - hip[1]) * (squash - 1.0)))

    m: dict[str, np.ndarray] = {"torso": rigid @ along_body(scale_y_about(hip, squash))}
    neck = j["neck"]
    nod = (ch["nod"] + 0.45 * ch["bow"]) * p.head_r
    neck_b = map_point(to_body, neck)
    m["head"] = (
        attach(neck)
        @ along_body(translation(0.0, nod))
        @ rotate_about(neck, ch["head"])
        @ along_body(scale_y_about(neck_b, 1.0 - 0.12 * ch["bow"]))
    )
    for sname, pre, side in p.sides:
        if p.has_arms:
            sh, el = j[f"{sname}_shoulder"], j[f"{sname}_elbow"]
            du = screen_angle(ch[f"{pre}_arm"], side) - screen_angle(tl.rest[f"{pre}_arm"], side)
            df = screen_angle(ch[f"{pre}_fore"], side) - screen_angle(tl.rest[f"{pre}_fore"], side)
            m[f"{sname}_upper_arm"] = attach(sh) @ rotate_about(sh, wrap_degrees(du))
            m[f"{sname}_forearm"] = m[f"{sname}_upper_arm"] @ rotate_about(el, wrap_degrees(df - du))
        if p.has_legs:
            hp, kn = j[f"{sname}_hip"], j[f"{sname}_knee"]
            dt = screen_angle(ch[f"{pre}_leg"], side) - screen_angle(tl.rest[f"{pre}_leg"], side)
            ds = screen_angle(ch[f"{pre}_shin"], side) - screen_angle(tl.rest[f"{pre}_shin"], side)
            k = 0.5 if p.derived else 1.0  # a cut-out leg turned far shows the body torn behind it
            dt, ds = wrap_degrees(dt) * k, wrap_degrees(ds) * k
            m[f"{sname}_thigh"] = mb @ rotate_about(hp, dt)
            m[f"{sname}_shin"] = m[f"{sname}_thigh"] @ rotate_about(kn, wrap_degrees(ds - dt))
    # Secondary motion: ears trail the head's turn and bob, the tail sways and trails the body.
    if any(k in p.layers for k in ("right_ear", "left_ear", "tail")):
        before = t - FOLLOW_LAG
        prev_ch = tl.channels(before)
        prev_body = tl.body(before % 1.0)
        now_body = tl.body(t)
        turn = (prev_ch["head"] + prev_ch["lean"] + prev_body.angle) - (
            ch["head"] + ch["lean"] + now_body.angle
        )
        bob = (now_body.dy - prev_body.dy) * 60.0 + (ch["nod"] - prev_ch["nod"]) * 80.0
        for sname, _, side in p.sides:
            ear = j.get(f"{sname}_ear")
            if ear is not None:
                m[f"{sname}_ear"] = m["head"] @ rotate_about(ear, 0.9 * turn + side * bob)
        if "tail" in j:
            sway = 8.0 * math.sin(2 * math.pi * 2 * t) + 0.8 * turn
            m["tail"] = (
                m["torso"] @ along_body(scale_y_about(hip, 1 / squash)) @ rotate_about(j["tail"], sway)
            )
    return m
