"""Body plans: which tips of the skeleton are the head, the arms and the legs, in the body's own frame.

The head is found first (the thick blob at the end of a walk, or the thick end of the body when the
head is fused with it); "up" is then from the body's centre to the head, so an upside-down cartwheel
rigs like a standing figure. Two plans are fitted:
- upright (a person, a bird, a stick figure): legs are the two limbs reaching furthest away from the
  head; arms the limbs rooted nearest the shoulders; when no arm stands out of the silhouette the arms
  are placed hanging along its sides, but left to move with the body;
- four legs (a side view: at least three limbs reaching down, the head off to one side of them): Animated
  Drawings' convention, front legs are the arms and hind legs the legs; the far legs are the character's
  right when it faces the image's left, and the far leg of each pair shows between the near ones.
"Right" is the character's right: the image's left for an upright front view, turned with the body.
Wings and other limbs much thicker than an arm, and the hair, ears and horns that end in the head's
blob, are not limbs. More than one pair of arms (a bug): the pair rooted lowest animates.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from popcon.animation.autorig.held import Held, held_object
from popcon.animation.autorig.reach import Point, Tip
from popcon.animation.autorig.silhouette import distance

WING = 0.75  # a piece at least this share of the body's thickness is a wing or a cape, not an arm
FLIP = 2.0  # limbs this many body half-thicknesses long are legs wherever they point
LONG = 0.33  # ... and at least this share of the silhouette's height (ears are shorter)
LEG = 0.8  # a leg is at least this share of the body's half-thickness long
ARM_SHARE = 0.55  # an arm is at least this share of the longest arm on its side
HELD = 0.5  # past the elbow, an arm thinner than this share of its own width holds something


@dataclass(frozen=True)
class Found:
    """The joints found (working pixels), which limbs, how sure, and what was seen."""

    joints: dict[str, Point]
    has_arms: bool
    has_legs: bool
    confidence: float
    note: str | None
    plan: str = "upright"
    hanging: bool = False  # arms placed against the body, not seen in the silhouette


def _unit(v: np.ndarray) -> np.ndarray:
    n = float(np.hypot(*v))
    return v / n if n > 1e-6 else np.array([0.0, -1.0])


def _p(v: np.ndarray) -> Point:
    return (float(v[0]), float(v[1]))


@dataclass(frozen=True)
class Frame:
    """The body's frame: its centre, half-thickness, "up" (towards the head) and the character's right."""

    c: np.ndarray
    body: float
    up: np.ndarray

    @property
    def right(self) -> np.ndarray:
        return np.array([self.up[1], -self.up[0]])

    def along(self, p: Point) -> float:
        return float((np.asarray(p) - self.c) @ self.up)

    def across(self, p: Point) -> float:
        return float((np.asarray(p) - self.c) @ self.right)


Blob = tuple[np.ndarray, float]  # a thick part's centre (x, y) and half-thickness


def find_head(tips: list[Tip], blobs: list[Blob]) -> tuple[np.ndarray, float, list[Tip]] | None:
    """The head's centre, its half-thickness and the tips that end in it (None: no separate head).
    Candidates: thick blobs at the end of a walk, and thick parts apart from the body (`blobs`, for a
    round head the thinning left no branch in); the thickest is the head."""
    cands = [(t.path[t.blob_at], float(t.widths[t.blob_at])) for t in tips if t.blob_at >= 0] + blobs
    if not cands:
        return None
    centre, radius = max(cands, key=lambda b: b[1])
    own = [t for t in tips if float(np.min(np.hypot(*(t.path - centre).T))) <= 0.75 * radius]
    return centre, radius, own


def fused_head(
    tips: list[Tip], c: np.ndarray, body: float, mask: np.ndarray
) -> tuple[np.ndarray, float, list[Tip]]:
    """A head that is part of the body (no neck): the thick end of the body away from the legs (the
    two longest limbs, when they are long enough to be legs and not ears), else above the centre."""
    rows = np.nonzero(mask.any(1))[0]
    height = float(rows[-1] - rows[0] + 1)
    long = sorted((t for t in tips if t.length >= max(FLIP * body, LONG * height)), key=lambda t: -t.length)[
        :2
    ]
    up = np.array([0.0, -1.0])
    if len(long) == 2:
        roots = (np.asarray(long[0].root) + np.asarray(long[1].root)) / 2
        up = _unit(c - roots)
    end = c.copy()
    for step in range(1, 4 * int(body) + 4):
        q = c + up * step
        x, y = round(float(q[0])), round(float(q[1]))
        if not (0 <= y < mask.shape[0] and 0 <= x < mask.shape[1]) or not mask[y, x]:
            break
        end = q
    gap = float(np.hypot(*(end - c)))
    centre = end - up * min(0.8 * body, 0.5 * gap)
    own = [
        t
        for t in tips
        if float(np.hypot(*(np.asarray(t.tip) - centre))) < 1.2 * body and t.length < 1.5 * body
    ]
    return centre, min(body, 0.5 * gap), own


def fit(
    tips: list[Tip],
    c: np.ndarray,
    body: float,
    mask: np.ndarray,
    blobs: list[Blob],
) -> Found | None:
    """The best body plan for these tips, or None when there is nothing to rig."""
    rows = np.nonzero(mask.any(1))[0]
    height = float(rows[-1] - rows[0] + 1)
    head = find_head(tips, blobs)
    fused = head is None
    if head is not None and head[0][1] > c[1] + body:
        # A blob below the body is a head only for a body upside down, and then its legs say so too
        # (else it is a tail's end or a foot).
        alt = fused_head(tips, c, body, mask)
        if alt[0][1] <= c[1]:
            head, fused = alt, True
    if head is None:
        head = fused_head(tips, c, body, mask)
    hc, hr, head_tips = head
    up = _unit(hc - c)
    frame = Frame(c, body, up)
    limbs = _limbs(tips, head_tips, body, height)
    # Legs that hang from under the body: pointing down, rooted well below the head's centre.
    down = [
        t
        for t in limbs
        if t.tip[1] - t.root[1] > 0.5 * t.length and t.width < WING * body and t.root[1] > hc[1] + 1.5 * hr
    ]
    if len(down) >= 3 and _to_one_side(hc, down):
        quad = _four_legs(frame, hc, hr, down, height)
        if quad is not None:
            return quad
    if not fused and up[1] > -0.5:
        # A head level with the body (or lower) that no four-legged plan goes with is more likely an
        # arm or a wing ending in a blob: an upright body's head is the thick end above its centre.
        alt = fused_head(tips, c, body, mask)
        if alt[0][1] < c[1]:
            return _upright(
                Frame(c, body, _unit(alt[0] - c)),
                alt[0],
                alt[1],
                _limbs(tips, alt[2], body, height),
                True,
                mask,
            )
    return _upright(frame, hc, hr, limbs, fused, mask)


def _limbs(tips: list[Tip], head_tips: list[Tip], body: float, height: float) -> list[Tip]:
    """The tips that may be limbs: long enough, not ending in the head."""
    return [
        t for t in tips if not any(t is h for h in head_tips) and t.length >= max(0.5 * body, 0.06 * height)
    ]


def _leg_top(t: Tip) -> int:
    """Where a hanging leg leaves the body (an index of the walk): the first point no thicker than 1.5
    times the leg's own width."""
    idx = np.nonzero(t.widths[: len(t.widths) - 1] <= 1.5 * t.width)[0]
    return int(idx[0]) if len(idx) else t.root_at


def _halfway(t: Tip, start: int, end: Point) -> Point:
    """The point of the walk halfway (by length) from index `start` to the point nearest `end`."""
    pts = t.path
    stop = int(np.argmin(np.hypot(*(pts - np.asarray(end)).T)))
    stop = max(stop, start)
    seg = pts[start : stop + 1]
    if len(seg) < 2:
        return _p(pts[stop])
    steps = np.r_[0.0, np.cumsum(np.hypot(*np.diff(seg, axis=0).T))]
    i = int(np.searchsorted(steps, 0.5 * steps[-1]))
    return _p(seg[min(i, len(seg) - 1)])


def _to_one_side(hc: np.ndarray, down: list[Tip]) -> bool:
    """Whether the head is off to one side of the limbs that reach down (a side view of an animal), not
    over their middle (a person with arms hanging free)."""
    xs = np.array([t.root[0] for t in down])
    span = float(xs.max() - xs.min())
    return span > 0 and abs(float(hc[0]) - float(xs.mean())) > 0.5 * span


def _neck(frame: Frame, hc: np.ndarray, hr: float) -> np.ndarray:
    """The base of the head: from its centre back towards the body by its half-thickness."""
    return hc - _unit(hc - frame.c) * hr


def _chain(t: Tip, inset: float, holds: bool = False) -> tuple[Point, Point, Point]:
    """Root (moved into the body by `inset` along the limb's line), middle and end of a limb. With
    `holds`, a long thin run at the end (a wand, a club) is something held: the limb ends where the
    width drops."""
    share = _held_from(t) if holds else 1.0
    # The hand or foot is the middle of the end, half its thickness back from the tip (a toe or a
    # finger tip would put the bone's end off the limb's middle).
    back = min(0.6 * t.width / max(t.length, 1e-6), 0.15)
    share = max(share - back, 0.5)
    root = np.asarray(t.root)
    mid = np.asarray(t.at_length(0.5 * share))
    root = root + _unit(root - mid) * inset
    return _p(root), _p(mid), t.at_length(share)


def _held_from(t: Tip) -> float:
    """The share of the limb's walk where a held thin object begins (1.0: nothing held)."""
    w = t.widths[t.root_at :]
    pts = t.outer
    if len(w) < 8:
        return 1.0
    steps = np.r_[0.0, np.cumsum(np.hypot(*np.diff(pts, axis=0).T))]
    total = float(steps[-1])
    arm = float(np.median(w[steps <= 0.4 * total]))
    thin = (w < HELD * arm) & (steps >= 0.4 * total)
    idx = np.nonzero(thin)[0]
    if not len(idx):
        return 1.0
    i = int(idx[0])
    if thin[i:].mean() < 0.7 or total - steps[i] < 0.3 * total or arm < 2.0:
        return 1.0
    return float(steps[i] / total)


def _upright(
    frame: Frame, hc: np.ndarray, hr: float, limbs: list[Tip], fused: bool, mask: np.ndarray
) -> Found | None:
    neck = _neck(frame, hc, hr)
    joints: dict[str, Point] = {"head_top": _p(hc + (hc - neck)), "neck": _p(neck)}
    notes: list[str] = []
    # Legs: the two limbs that reach furthest from the head.
    # A leg is at least as long as the body is thick (an antenna on a face-only emoji is not).
    cands = sorted(
        (t for t in limbs if frame.along(t.tip) < 0.3 * frame.along(_p(hc)) and t.length >= LEG * frame.body),
        key=lambda t: frame.along(t.tip),
    )
    legs = cands[:2] if len(cands) >= 2 else []
    rest = [t for t in limbs if not any(t is leg for leg in legs)]
    score = 0.3 if not fused else 0.15
    if legs:
        pair = sorted(legs, key=lambda t: -frame.across(t.tip))
        for side, t in zip(("right", "left"), pair, strict=True):
            hip, knee, foot = _chain(t, 0.3 * t.width)
            joints[f"{side}_hip"], joints[f"{side}_knee"], joints[f"{side}_foot"] = hip, knee, foot
        rh, lh = np.asarray(joints["right_hip"]), np.asarray(joints["left_hip"])
        hip_c = (rh + lh) / 2
        lens = [t.length for t in legs]
        score += 0.35 * min(lens) / max(lens)
    else:
        hip_c = frame.c - frame.up * frame.body
        notes.append("no legs found")
    joints["hip"] = joints["root"] = _p(hip_c)
    # Arms: not as thick as wings, rooted clearly above the hips (a second tip of a foot is no arm).
    hips_at = frame.along(_p(hip_c)) + 0.15 * frame.body
    arms = [t for t in rest if t.width < WING * frame.body and frame.along(t.root) > hips_at]
    # A held object standing alone out of the body (a wand, a club) is no arm.
    ref = min(t.width for t in legs) if legs else 0.5 * frame.body
    dist = distance(mask) if arms else mask.astype(np.float32)
    held = {id(t): held_object(t, ref, dist, [u.tip for u in arms if u is not t]) for t in arms}
    objects = [h for t in arms if (h := held[id(t)]) is not None and not h.on_arm]
    arms = [t for t in arms if (h := held[id(t)]) is None or h.on_arm]
    pair_arms = _arm_pair(frame, arms)
    shoulders_c = neck + (hip_c - neck) * 0.25
    placed = False
    if pair_arms is None and len(arms) == 1 and objects:
        grip = _hidden_arm(frame, arms[0], objects, shoulders_c, hip_c)
        joints.update(grip)
        score += 0.35 * 0.5
        has_arms = True
        notes.append("one arm lies against the body, holding an object: placed from the grip")
    elif pair_arms is not None:
        for side, t in zip(("right", "left"), pair_arms, strict=True):
            sh, el, hand = _chain(t, 0.5 * t.width, holds=True)
            joints[f"{side}_shoulder"], joints[f"{side}_elbow"], joints[f"{side}_hand"] = sh, el, hand
        lens = [t.length for t in pair_arms]
        score += 0.35 * min(lens) / max(lens)
        has_arms = True
    else:
        # Arms that lie against the body are placed where they hang: a start for placing joints by
        # hand, animated only where their colours part them from the body (`shape`, `edges`).
        hanging = _hanging_arms(frame, mask, neck, hip_c) if legs else None
        has_arms = False
        placed = hanging is not None
        if hanging is not None:
            joints.update(hanging)
            notes.append("no arm stands out of the body: arms placed along the sides, not animated")
    joints["torso"] = _p(shoulders_c + (hip_c - shoulders_c) * 0.35)
    if not legs:
        return None  # arms alone on a body plan read from the skeleton are too often ears or a hood
    return Found(joints, has_arms, True, min(score, 1.0), "; ".join(notes) or None, hanging=placed)


def _hidden_arm(
    frame: Frame, arm: Tip, objects: list[Held], shoulders_c: np.ndarray, hip_c: np.ndarray
) -> dict[str, Point]:
    """Both arms when one stands out and the other lies against the body holding an object: the hidden
    hand is where the object leaves the body when it points away (a wand), else on the visible arm's
    hand (both hands on one grip: a club passing behind the body). The hidden shoulder mirrors the
    visible one about the body's axis when that one is at shoulder height, else it sits on the torso."""
    sh, el, hand = _chain(arm, 0.5 * arm.width, holds=True)
    side = "right" if frame.across(arm.root) > 0 or frame.across(arm.tip) > 0 else "left"
    other = "left" if side == "right" else "right"
    sign = 1.0 if other == "right" else -1.0
    axis = _unit(shoulders_c - hip_c)
    perp = np.array([axis[1], -axis[0]])  # the character's right, across the torso
    off = np.asarray(sh) - shoulders_c
    if abs(float(off @ axis)) <= 0.5 * frame.body and abs(float(off @ perp)) <= 1.5 * frame.body:
        o_sh = np.asarray(sh) - 2.0 * float(off @ perp) * perp  # the visible shoulder, mirrored
    else:  # a raised arm's root is far from its shoulder: both shoulders sit on the torso's sides
        o_sh = shoulders_c + sign * 0.6 * frame.body * perp
        own = shoulders_c - sign * 0.6 * frame.body * perp
        sh, el = _p(own), _p((own + np.asarray(hand)) / 2)
    away = [h for h in objects if h.hand_there]
    o_hand = np.asarray(away[0].grip if away else hand)
    return {
        f"{side}_shoulder": sh,
        f"{side}_elbow": el,
        f"{side}_hand": hand,
        f"{other}_shoulder": _p(o_sh),
        f"{other}_elbow": _p((o_sh + o_hand) / 2),
        f"{other}_hand": _p(o_hand),
    }


def _arm_pair(frame: Frame, arms: list[Tip]) -> tuple[Tip, Tip] | None:
    """One arm per side; with more than one candidate on a side, of those nearly as long as the longest
    (a skirt's corner or a sleeve's flap is short) the one rooted lowest (a bug's many arms: the pair
    nearest the legs animates, as in Animated Drawings' examples)."""
    if len(arms) < 2:
        return None

    def side_of(t: Tip) -> float:
        a = frame.across(t.root)
        return a if abs(a) > 0.3 * frame.body else frame.across(t.tip)

    right = [t for t in arms if side_of(t) > 0]
    left = [t for t in arms if side_of(t) <= 0]
    if right and left:
        return (_lowest_long(frame, right), _lowest_long(frame, left))
    # Both on one side of the body (a side view): the two rooted highest, right = further right.
    two = sorted(arms, key=lambda t: -frame.along(t.root))[:2]
    r, le = sorted(two, key=lambda t: -frame.across(t.tip))
    return r, le


def _lowest_long(frame: Frame, cands: list[Tip]) -> Tip:
    longest = max(t.length for t in cands)
    near = [t for t in cands if t.length >= ARM_SHARE * longest]
    return min(near, key=lambda t: (frame.along(t.root), frame.along(t.tip)))


def _four_legs(frame: Frame, hc: np.ndarray, hr: float, down: list[Tip], height: float) -> Found | None:
    facing_left = hc[0] < frame.c[0]
    fwd = -1.0 if facing_left else 1.0
    legs = sorted(down, key=lambda t: fwd * t.root[0], reverse=True)  # front first
    front = legs[:2]
    # The hind legs stand on the ground: of what hangs behind the front legs, the two reaching lowest
    # (a tail hanging down ends higher).
    hind = sorted(legs[2:], key=lambda t: -t.tip[1])[:2]
    if len(hind) < 2:
        return None
    joints: dict[str, Point] = {}
    neck = _neck(frame, hc, hr)
    joints["head_top"] = _p(hc + (hc - neck))
    joints["neck"] = _p(neck)

    def far_first(pair: list[Tip]) -> list[Tip]:
        # In a side view the far leg of a pair shows between the near ones: the inner leg is far.
        return sorted(pair, key=lambda t: abs(t.root[0] - frame.c[0]))

    for kind, pair in (("arms", front), ("legs", hind)):
        far, near = far_first(pair)
        names = ("shoulder", "elbow", "hand") if kind == "arms" else ("hip", "knee", "foot")
        sides = ("right", "left") if facing_left else ("left", "right")
        for side, t in zip(sides, (far, near), strict=True):
            _, _, end = _chain(t, 0.5 * t.width)
            top = _leg_top(t)  # a leg hangs from the belly line, where it is as thin as a leg
            root, mid = _p(t.path[top]), _halfway(t, top, end)
            for n, p in zip(names, (root, mid, end), strict=True):
                joints[f"{side}_{n}"] = p
    rh = (np.asarray(joints["right_hip"]) + np.asarray(joints["left_hip"])) / 2
    joints["torso"] = _p(frame.c)
    joints["hip"] = joints["root"] = _p(rh)
    lens = [t.length for t in front + hind]
    conf = 0.4 + 0.5 * min(lens) / max(lens)
    return Found(joints, True, True, min(conf, 1.0), "four legs: front legs move as arms", "four_legs")


def _hanging_arms(
    frame: Frame, mask: np.ndarray, neck: np.ndarray, hip: np.ndarray
) -> dict[str, Point] | None:
    """Arms that lie against the body: they are the silhouette's sides, from a shoulder a quarter of
    the way from the neck to the hips down to a hand a little below the hips (upright bodies only)."""
    if abs(frame.up[1]) < abs(frame.up[0]) or frame.up[1] > 0:
        return None
    span = float(hip[1] - neck[1])
    if span <= 2:
        return None
    out: dict[str, Point] = {}
    rows = {"shoulder": neck[1] + 0.26 * span, "elbow": neck[1] + 0.8 * span, "hand": hip[1] + 0.27 * span}
    inset = {"shoulder": 0.33, "elbow": 0.25, "hand": 0.25}
    for name, y in rows.items():
        yy = min(max(round(float(y)), 0), mask.shape[0] - 1)
        cols = np.nonzero(mask[yy])[0]
        if not len(cols):
            return None
        lo, hi = int(cols[0]), int(cols[-1])  # the arms are the silhouette's outer edges
        d = inset[name] * frame.body
        out[f"right_{name}"] = (lo + d, float(yy))
        out[f"left_{name}"] = (hi - d, float(yy))
    return out
