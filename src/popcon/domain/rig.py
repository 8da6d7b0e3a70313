"""A character's rig: named joints in the character image's pixels, which limbs it has, where it came from.

A rig is data, stored with the job (`rig.json` beside `character.png`) so that resume, the CLI and the
web app all animate the same parts; it is never rebuilt differently on resume. The joint names follow
the common 16-joint body layout (root, hip, torso, neck, and right_/left_ shoulder, elbow, hand, hip,
knee, foot; "right" is the character's right, the image's left) plus optional extras for secondary
motion and face features. Here "neck" is the head's pivot, at the base of the head; the benchmark
layout puts its "neck" at the head's centre instead, and `Rig.scored_joints` converts. The parts that
move are derived from the joints (each limb is the chain of joints it names); a generator that draws
its character in layers may add exact part layers beside the rig file, named by `PART_NAMES`.

Parsing never trusts a file: an unknown version, an unknown joint, a joint outside the image, a limb
whose chain is half there, all fail with `InvalidInput` naming the field.
"""

from __future__ import annotations

import json
import math
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from popcon.domain.errors import InvalidInput
from popcon.domain.jsontext import loads_user_json

RIG_VERSION = 1

BODY_JOINTS: tuple[str, ...] = ("root", "hip", "torso", "neck")
ARM_JOINTS: tuple[str, ...] = tuple(
    f"{side}_{j}" for side in ("right", "left") for j in ("shoulder", "elbow", "hand")
)
LEG_JOINTS: tuple[str, ...] = tuple(
    f"{side}_{j}" for side in ("right", "left") for j in ("hip", "knee", "foot")
)
# Optional points: the top of the head, face features (blinks, mouth shapes), and the bases of
# appendages that follow the body with lag.
EXTRA_JOINTS: tuple[str, ...] = (
    "head_top",
    "right_eye",
    "left_eye",
    "mouth",
    "right_ear",
    "left_ear",
    "tail",
)
JOINT_NAMES: tuple[str, ...] = BODY_JOINTS + ARM_JOINTS + LEG_JOINTS + EXTRA_JOINTS

# The 16 joints that benchmarks score (the common body layout).
SCORED_JOINTS: tuple[str, ...] = BODY_JOINTS + ARM_JOINTS + LEG_JOINTS

# Each part: its name, the joint it pivots about, and its parent part (None for the root part).
PARTS: tuple[tuple[str, str, str | None], ...] = (
    ("torso", "hip", None),
    ("head", "neck", "torso"),
    ("right_upper_arm", "right_shoulder", "torso"),
    ("right_forearm", "right_elbow", "right_upper_arm"),
    ("left_upper_arm", "left_shoulder", "torso"),
    ("left_forearm", "left_elbow", "left_upper_arm"),
    ("right_thigh", "right_hip", "torso"),
    ("right_shin", "right_knee", "right_thigh"),
    ("left_thigh", "left_hip", "torso"),
    ("left_shin", "left_knee", "left_thigh"),
    ("right_ear", "right_ear", "head"),
    ("left_ear", "left_ear", "head"),
    ("tail", "tail", "torso"),
)
PART_NAMES: tuple[str, ...] = tuple(p[0] for p in PARTS)

RigSource = Literal["mascot", "auto", "user"]
# How the limbs stand: "upright" (a person: arms at the sides, legs below), or "four_legs" (a side view
# of an animal; after Animated Drawings, the front legs are the arms and the hind legs the legs, and
# both legs of a pair swing the way the head faces).
BodyPlan = Literal["upright", "four_legs"]
Point = tuple[float, float]


class Rig(BaseModel):
    """Joints of one character image. `has_arms` / `has_legs` say which limb chains are present;
    a rig with neither animates the whole body (the fallback), and `note` says why."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    version: int = RIG_VERSION
    width: int = Field(gt=0, le=20000)
    height: int = Field(gt=0, le=20000)
    source: RigSource = "auto"
    confidence: float = Field(default=1.0, ge=0.0, le=1.0)
    has_arms: bool = True
    has_legs: bool = True
    joints: dict[str, Point] = Field(default_factory=dict)
    layers: bool = False  # exact part layers were saved beside the rig file (a layered generator)
    plan: BodyPlan = "upright"
    note: str | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Rig:
        if self.version != RIG_VERSION:
            raise ValueError(f"version {self.version} is not supported (this PopCon reads {RIG_VERSION})")
        margin = 0.25  # joints may sit a little outside the image (a foot cut by the frame)
        for name, (x, y) in self.joints.items():
            if name not in JOINT_NAMES:
                raise ValueError(f"joints.{name}: unknown joint (known: {', '.join(JOINT_NAMES)})")
            if not (math.isfinite(x) and math.isfinite(y)):
                raise ValueError(f"joints.{name}: coordinates must be finite numbers")
            if not (
                -margin * self.width <= x <= (1 + margin) * self.width
                and -margin * self.height <= y <= (1 + margin) * self.height
            ):
                raise ValueError(
                    f"joints.{name}: ({x:g}, {y:g}) is outside the {self.width}x{self.height} image"
                )
        if self.animates_parts:
            missing = [j for j in BODY_JOINTS if j not in self.joints]
            if missing:
                raise ValueError(
                    f"joints.{missing[0]}: missing (a rig with limbs needs {', '.join(BODY_JOINTS)})"
                )
        for flag, chain in (("has_arms", ARM_JOINTS), ("has_legs", LEG_JOINTS)):
            if getattr(self, flag):
                missing = [j for j in chain if j not in self.joints]
                if missing:
                    raise ValueError(f"joints.{missing[0]}: missing while {flag} is true")
        return self

    @property
    def animates_parts(self) -> bool:
        """False for the whole-body fallback (a face-only emoji, a blob, arms held in front)."""
        return self.has_arms or self.has_legs

    @property
    def facing(self) -> float:
        """-1 when the head is left of the hips in the image (a side view facing left), else +1."""
        neck, hip = self.joints.get("neck"), self.joints.get("hip")
        return -1.0 if neck is not None and hip is not None and neck[0] < hip[0] else 1.0

    @property
    def limbs(self) -> list[str]:
        """What the rig moves besides the head and body: "arms", "legs", both or neither."""
        return [n for n, f in (("arms", self.has_arms), ("legs", self.has_legs)) if f]

    def scaled(
        self, sx: float, sy: float, dx: float = 0.0, dy: float = 0.0, size: tuple[int, int] | None = None
    ) -> Rig:
        """The same rig for a resized / shifted copy of its image (e.g. the framed start pose)."""
        w, h = size if size else (max(1, round(self.width * sx)), max(1, round(self.height * sy)))
        joints = {k: (x * sx + dx, y * sy + dy) for k, (x, y) in self.joints.items()}
        return self.model_copy(update={"width": w, "height": h, "joints": joints})

    def scored_joints(self) -> dict[str, Point]:
        """The joints in the benchmark layout (../shared/bench rig/): there "neck" is placed between the
        base of the head (3D figures) and its centre (drawings); a quarter of the way from our "neck"
        (the head's pivot at its base) to "head_top" lies within reach of both;
        the torso sits between the shoulders and root = hip between the two hips, where the drawn mascot
        pivots its body about its middle instead."""
        out = dict(self.joints)
        if "neck" in out and "head_top" in out:
            (nx, ny), (tx, ty) = out["neck"], out["head_top"]
            out["neck"] = (nx + 0.25 * (tx - nx), ny + 0.25 * (ty - ny))
        if self.source == "mascot":
            for centre, pair in (("torso", "shoulder"), ("hip", "hip")):
                a, b = out.get(f"right_{pair}"), out.get(f"left_{pair}")
                if a is not None and b is not None:
                    out[centre] = ((a[0] + b[0]) / 2, (a[1] + b[1]) / 2)
            if "hip" in out:
                out["root"] = out["hip"]
        return out

    def to_json(self) -> str:
        return json.dumps(self.model_dump(mode="json"), indent=2, sort_keys=True) + "\n"


def whole_body_rig(width: int, height: int, note: str, source: RigSource = "auto") -> Rig:
    """The fallback rig: no limbs, the animator moves the character as one piece."""
    return Rig(
        width=width, height=height, source=source, confidence=0.0, has_arms=False, has_legs=False, note=note
    )


def parse_rig(text: str | bytes) -> Rig:
    """A rig from its JSON file; any problem is an `InvalidInput` that names the field."""
    data = loads_user_json(text, "rig file")
    if not isinstance(data, dict):
        raise InvalidInput("rig file must hold a JSON object")
    try:
        return Rig.model_validate(data)
    except ValidationError as e:
        err = e.errors()[0]
        where = ".".join(str(p) for p in err["loc"])
        msg = str(err["msg"]).removeprefix("Value error, ")
        raise InvalidInput(f"rig file: {where + ': ' if where else ''}{msg}") from None


def fit_rig(rig: Rig, width: int, height: int) -> Rig:
    """`rig` for a character image of `width` x `height`: the same size, or the same picture resized
    (a rig placed on the upload fits its cut-out, or a preview's rig the full image); any other image
    is an `InvalidInput` naming the field."""
    if (rig.width, rig.height) == (width, height):
        return rig
    if abs(rig.width / rig.height - width / height) > 0.02 * (width / height):
        raise InvalidInput(
            f"rig file: width/height: the rig is for a {rig.width}x{rig.height} image, "
            f"the character is {width}x{height}"
        )
    return rig.scaled(width / rig.width, height / rig.height, size=(width, height))
