from __future__ import annotations

import contextlib
from functools import cache

import cv2
import numpy as np
import pytest
from PIL import Image

from popcon.animation.animator import prepare_parts, render_frames
from popcon.animation.keyframes import ARM_PARTS, load_rig_motions, parse_motion, rig_motion
from popcon.animation.mascot import MascotRig, draw_mascot_rig
from popcon.animation.part_compositing import REST_ORDER, composite, render_premul
from popcon.animation.part_geometry import map_point, rotate_about
from popcon.animation.part_layers import Prepared
from popcon.animation.part_posing import Timeline, part_matrices
from popcon.domain.actions import MotionRecipe, load_presets
from popcon.domain.rig import PART_NAMES, whole_body_rig

KEY = (0, 255, 0)


@cache
def _fox() -> MascotRig:
    return draw_mascot_rig("a chubby orange fox in a teal hoodie", 384)


def _recipe(action: str, effects: bool = False) -> MotionRecipe:
    recipe = load_presets()[action].recipe
    return recipe if effects else recipe.model_copy(update={"effects": []})


def _frames(action: str, layered: bool = True, effects: bool = False) -> list[np.ndarray]:
    fox = _fox()
    return render_frames(
        fox.image,
        _recipe(action, effects),
        background=KEY,
        size=192,
        fps=8,
        rig=fox.rig,
        layers=fox.layers if layered else None,
    )


def _mask(frame: np.ndarray) -> np.ndarray:
    return (np.abs(frame.astype(np.int16) - np.array(KEY, np.int16)).sum(axis=2) > 60).astype(np.uint8)


def _residual_iou(a: np.ndarray, b: np.ndarray) -> float:
    """IoU left after the best affine alignment of b's silhouette onto a's (ECC on the masks)."""
    fa, fb = a.astype(np.float32), b.astype(np.float32)
    warp = np.eye(2, 3, dtype=np.float32)
    crit = (cv2.TERM_CRITERIA_EPS | cv2.TERM_CRITERIA_COUNT, 80, 1e-5)
    with contextlib.suppress(cv2.error):  # no convergence: the unaligned IoU, a lower bound
        _, warp = cv2.findTransformECC(
            cv2.GaussianBlur(fa, (5, 5), 0),
            cv2.GaussianBlur(fb, (5, 5), 0),
            warp,
            cv2.MOTION_AFFINE,
            crit,
            None,
            5,
        )
    aligned = cv2.warpAffine(fb, warp, fa.shape[::-1], flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP) > 0.5
    ma = fa > 0.5
    return float(np.logical_and(ma, aligned).sum() / np.logical_or(ma, aligned).sum())


@pytest.mark.parametrize("action", ["wave", "jump", "cry", "clap", "bow", "sleepy"])
def test_rigged_loops_close_and_start_in_the_action_pose(action: str) -> None:
    frames = _frames(action, effects=True)
    assert len(frames) == load_presets()[action].recipe.seconds * 8 + 1
    assert np.array_equal(frames[0], frames[-1])
    still = render_frames(_fox().image, _recipe(action), background=KEY, size=192, fps=8)[0]
    if action not in ("sleepy",):  # frame 1 already reads as the action, not the plain drawing
        assert np.abs(frames[0].astype(int) - still.astype(int)).max() > 100


def test_wave_moves_the_arm_against_the_torso() -> None:
    """Rigid motion keeps the aligned silhouette at IoU ~1.0; a waving forearm lowers it, and the hand
    travels relative to the torso (in the torso's own frame)."""
    rigged = _frames("wave")
    first = _mask(rigged[0])
    assert min(_residual_iou(first, _mask(f)) for f in rigged[1:-1:2]) < 0.98
    fox = _fox()
    _, prep = prepare_parts(fox.image, fox.rig, fox.layers, 192)
    tl = Timeline.build(prep, rig_motion("wave"))
    hand = prep.joints["right_hand"]
    rel = []
    for i in range(16):
        m = part_matrices(tl, i / 16)
        at = np.linalg.inv(m["torso"]) @ m["right_forearm"] @ np.array([hand[0], hand[1], 1.0])
        rel.append(at[:2])
    spread = np.ptp(np.array(rel), axis=0).max()
    assert spread > 0.05 * prep.height


def _holes(frame: np.ndarray) -> int:
    """Key-coloured pixels enclosed by the character (a part that uncovered the background inside)."""
    mask = _mask(frame)
    filled = mask.copy()
    ff = np.zeros((mask.shape[0] + 2, mask.shape[1] + 2), np.uint8)
    cv2.floodFill(filled, ff, (0, 0), 2)
    return int((filled == 0).sum())


@pytest.mark.parametrize("layered", [True, False])
def test_no_key_colour_where_the_torso_is(layered: bool) -> None:
    """Wherever the posed torso lies, the frame shows character, never the key: limbs that move away
    uncover the torso's own (drawn or inpainted) pixels."""
    fox = _fox()
    size, _fps = 192, 8
    _, prep = prepare_parts(fox.image, fox.rig, fox.layers if layered else None, size)
    torso = prep.layers["torso"]
    for action in ("wave", "clap", "jump", "dance"):
        frames = _frames(action, layered=layered)
        tl = Timeline.build(prep, rig_motion(load_presets()[action].recipe.motion))
        n = len(frames) - 1
        tl.fit(n, size * 0.01)
        for i in range(0, n, 2):
            m = part_matrices(tl, i / n)["torso"] @ np.array([[1, 0, torso.x0], [0, 1, torso.y0], [0, 0, 1]])
            alpha = cv2.warpAffine(np.ascontiguousarray(torso.premul[..., 3]), m[:2], (size, size))
            inside = cv2.erode((alpha == 255).astype(np.uint8), np.ones((3, 3), np.uint8)) > 0
            assert inside.sum() > 500
            assert _mask(frames[i])[inside].min() != 0, (action, i)


def test_uploads_fill_the_torso_behind_an_arm_held_in_front() -> None:
    """Without layers, the torso layer is inpainted where a limb lay in front of it: no hole, no key."""
    fox = _fox()
    _, prep = prepare_parts(fox.image, fox.rig, None, 192)
    torso = prep.layers["torso"]
    alpha = torso.premul[..., 3]
    # the torso layer is solid across the body's width at chest height (the arms' pixels were filled)
    j = prep.joints
    y = round(j["torso"][1]) - torso.y0
    x0, x1 = round(j["right_shoulder"][0]) - torso.x0, round(j["left_shoulder"][0]) - torso.x0
    assert (alpha[y, x0:x1] > 200).all()
    assert {"right_upper_arm", "left_forearm", "head", "right_shin"} <= set(prep.layers)
    assert prep.caps  # joint caps close the wedge a turning limb opens


def test_face_only_rig_keeps_the_whole_body_animator() -> None:
    face = Image.new("RGBA", (200, 200), (0, 0, 0, 0))
    cv2.circle(arr := np.asarray(face).copy(), (100, 100), 80, (250, 200, 60, 255), -1)
    face = Image.fromarray(arr, "RGBA")
    rig = whole_body_rig(200, 200, "face only")
    a = render_frames(face, _recipe("happy"), background=KEY, size=128, fps=8, rig=rig)
    b = render_frames(face, _recipe("happy"), background=KEY, size=128, fps=8)
    assert all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))
    assert any(not np.array_equal(a[0], f) for f in a[1:-1])  # it still moves


def test_every_preset_motion_has_keyframes_and_they_close() -> None:
    motions = load_rig_motions()
    for preset in load_presets().values():
        assert preset.recipe.motion in motions, preset.id
    assert rig_motion("no such motion").name == "idle"


def test_a_malformed_motion_names_the_field() -> None:
    with pytest.raises(ValueError, match=r"wave.keys\[0\].r_elbow"):
        parse_motion("wave", {"keys": [{"t": 0.0, "r_elbow": 3}, {"t": 1.0, "r_elbow": 3}]})
    with pytest.raises(ValueError, match="last key must equal the first"):
        parse_motion("wave", {"keys": [{"t": 0.0, "r_arm": 3}, {"t": 1.0, "r_arm": 4}]})
    with pytest.raises(ValueError, match="hand target"):
        parse_motion("wave", {"keys": [{"t": 0.0, "r_hand": "knee"}, {"t": 1.0, "r_hand": "knee"}]})


def test_an_auto_rigged_upload_splits_along_its_drawn_lines() -> None:
    """The fox uploaded as a plain image and rigged automatically: its big head must not claim the body
    under it, and the tail beside its hand and head stays whole with the torso (a waving arm or a
    turning head must not tear it). The truth is the fox's own drawn layers, framed alike."""
    from popcon.animation.autorig import auto_rig
    from popcon.animation.mascot import Z_ORDER

    fox = _fox()
    rig = auto_rig(fox.image)
    assert rig.has_arms and rig.has_legs, rig.note
    _, derived = prepare_parts(fox.image, rig, None, 192)
    _, drawn = prepare_parts(fox.image, fox.rig, fox.layers, 192)

    def mask(layers: dict, name: str) -> np.ndarray:
        out = np.zeros((192, 192), bool)
        if name in layers:
            got = layers[name]
            h, w = got.premul.shape[:2]
            out[got.y0 : got.y0 + h, got.x0 : got.x0 + w] = got.premul[..., 3] > 200
        return out

    def visible(part: str) -> np.ndarray:
        """The drawn part's pixels that no part drawn over it hides."""
        above = [mask(drawn.layers, n) for n in Z_ORDER[Z_ORDER.index(part) + 1 :]]
        return mask(drawn.layers, part) & ~np.logical_or.reduce(above)

    def share_in(layer: str, part: str) -> float:
        want = visible(part)
        return float((want & mask(derived.layers, layer)).sum() / max(1, want.sum()))

    assert share_in("torso", "torso") > 0.8
    assert share_in("head", "torso") < 0.1
    assert share_in("torso", "tail") > 0.95


def test_no_piece_of_a_part_floats_apart_from_it() -> None:
    """A piece of a part's label that does not reach its bone goes to the part it touches: a fleck of
    'arm' inside the body becomes body, a shoe tip left to the torso past the leg's reach joins the leg."""
    from popcon.animation.part_layers import keep_attached

    names = ["torso", "right_shin"]
    bones = {"torso": ((50.0, 60.0), (50.0, 10.0)), "right_shin": ((50.0, 62.0), (50.0, 90.0))}
    radius = {"torso": 15.0, "right_shin": 5.0}
    label = np.full((100, 100), -1, np.int16)
    label[10:61, 35:66] = 0  # body
    label[61:91, 45:56] = 1  # shin
    label[85:95, 56:70] = 0  # shoe tip beside the shin, labelled torso: floats off the body
    label[20:24, 40:44] = 1  # a fleck of shin inside the body
    keep_attached(label, names, bones, radius)
    assert (label[85:95, 56:70] == 1).all()
    assert (label[20:24, 40:44] == 0).all()
    assert (label[10:61, 35:66] == 0).sum() > 0.95 * 51 * 31


def test_a_four_legged_rig_walks_on_its_own_keyframes_with_both_legs_of_a_pair_facing_ahead() -> None:
    """A side view facing left: "outward" is the way the head faces for both legs of a pair, so a
    positive swing takes the far and the near leg forward alike; walk, jump, wave have their own keys."""
    from popcon.animation.part_layers import rig_sides
    from popcon.domain.rig import Rig

    joints = {
        "neck": (60.0, 60.0), "head_top": (40.0, 20.0), "torso": (120.0, 90.0), "hip": (200.0, 110.0),
        "root": (200.0, 110.0),
        **{f"{s}_{j}": (x, y) for s, x in (("right", 110.0), ("left", 90.0))
           for j, y in (("shoulder", 120.0), ("elbow", 150.0), ("hand", 180.0))},
        **{f"{s}_{j}": (x, y) for s, x in (("right", 190.0), ("left", 210.0))
           for j, y in (("hip", 120.0), ("knee", 150.0), ("foot", 180.0))},
    }  # fmt: skip
    rig = Rig(width=260, height=200, joints=joints, plan="four_legs")
    assert rig.facing == -1.0
    assert {side for _, _, side in rig_sides(rig)} == {-1.0}
    assert {side for _, _, side in rig_sides(rig.model_copy(update={"plan": "upright"}))} == {-1.0, 1.0}
    for name in ("walk", "jump", "wave"):
        assert rig_motion(name, "four_legs").name == f"four_legs.{name}"
    assert rig_motion("bow", "four_legs").name == "bow"  # no own keys: the upright ones
    assert rig_motion("walk").name == "walk"


def test_arms_against_the_body_come_away_whole_and_leave_the_shirt() -> None:
    """Arms that hang flush against the shirt (no gap in the silhouette) are cut along their colour
    edge: each arm's layers hold its skin and almost none of the shirt, the torso keeps the shirt, and
    the wave lifts the hand off the body."""
    from popcon.animation.autorig import auto_rig

    from ..helpers.drawings import SHIRT, SKIN, arms_at_sides

    rgba = arms_at_sides()
    image = Image.fromarray(rgba, "RGBA")
    rig = auto_rig(image)
    assert rig.has_arms, rig.note
    base, prep = prepare_parts(image, rig, None, 300)

    def colour_share(names: tuple[str, ...], colour: tuple[int, int, int]) -> float:
        """Share of the pixels of one colour (in the clip) that these layers hold."""
        rgb = base.premul[..., :3].astype(int)
        want = (np.abs(rgb - np.array(colour)).sum(axis=2) < 12) & (base.premul[..., 3] == 255)
        want[: round(prep.joints["right_shoulder"][1])] = False  # the head and neck are skin too
        got = np.zeros_like(want)
        for n in names:
            layer = prep.layers[n]
            h, w = layer.premul.shape[:2]
            got[layer.y0 : layer.y0 + h, layer.x0 : layer.x0 + w] |= layer.premul[..., 3] > 127
        return float((want & got).sum() / max(1, want.sum()))

    arms = ("right_upper_arm", "right_forearm", "left_upper_arm", "left_forearm")
    assert colour_share(arms, SKIN) > 0.9
    assert colour_share(arms, SHIRT) < 0.05
    assert colour_share(("torso", "right_thigh", "left_thigh"), SHIRT) > 0.95
    tl = Timeline.build(prep, rig_motion("wave"))
    hand = prep.joints["right_hand"]
    lifted = min(map_point(part_matrices(tl, i / 8)["right_forearm"], hand)[1] for i in range(8))
    assert lifted < prep.joints["right_shoulder"][1]


def _composite(prep: Prepared, m: dict[str, np.ndarray]) -> np.ndarray:
    """The posed layers as the renderer draws them at rest order (caps under everything)."""
    return composite(prep, m, REST_ORDER)


@pytest.mark.parametrize("who", ["arms_at_sides", "fox"])
def test_a_part_turned_at_its_joint_opens_no_seam(who: str) -> None:
    """Turn one part at its joint (as a user's moved joint or a keyframe does) and nothing else: round
    the joint, where the character was solid it stays solid. Parts cut edge to edge opened a wedge
    of background there (a key-coloured notch at the shoulder), and smoothed edges of two abutting
    layers a half-transparent seam along the cut."""
    from popcon.animation.autorig import auto_rig
    from popcon.domain.rig import PARTS

    from ..helpers.drawings import arms_at_sides

    image = _fox().image if who == "fox" else Image.fromarray(arms_at_sides(), "RGBA")
    rig = auto_rig(image)
    assert rig.has_arms and rig.has_legs, rig.note
    base, prep = prepare_parts(image, rig, None, 256)
    solid = cv2.erode((base.premul[..., 3] == 255).astype(np.uint8), np.ones((5, 5), np.uint8)) > 0
    pivot_of = {name: pivot for name, pivot, _ in PARTS}
    parent_of = {name: parent for name, _, parent in PARTS}
    turns = (
        ("right_upper_arm", 25.0),
        ("left_upper_arm", 25.0),
        ("right_forearm", 30.0),
        ("right_thigh", 12.0),
        ("left_thigh", 12.0),
        ("head", 10.0),
    )
    for part, angle in turns:
        px, py = prep.joints[pivot_of[part]]
        yy, xx = np.mgrid[0 : prep.size, 0 : prep.size]
        near = np.hypot(xx - px, yy - py) < 0.025 * prep.height
        for sign in (1.0, -1.0):
            m = {name: np.eye(3) for name in PART_NAMES}
            for name in (part, *(c for c, p in parent_of.items() if p == part)):
                m[name] = rotate_about((px, py), sign * angle)
            seam = solid & near & (_composite(prep, m)[..., 3] < 250)
            assert seam.sum() == 0, (who, part, sign, int(seam.sum()))


@pytest.mark.parametrize("joint", ["right_elbow", "left_elbow", "left_shoulder", "right_shoulder"])
def test_a_user_moved_joint_leaves_no_sliver(joint: str) -> None:
    """A user drags one joint of the auto-rig outward (by a twentieth of the height) and the character
    waves and jumps: every frame is one piece, no sliver of a limb or line left floating by itself."""
    from popcon.animation.autorig import auto_rig

    fox = _fox()
    rig = auto_rig(fox.image)
    x, y = rig.joints[joint]
    out = -1.0 if joint.startswith("right") else 1.0  # the character's right is the image's left
    joints = {**rig.joints, joint: (x + out * 0.05 * rig.height, y)}
    _, prep = prepare_parts(fox.image, rig.model_copy(update={"source": "user", "joints": joints}), None, 192)
    for action in ("wave", "jump"):
        tl = Timeline.build(prep, rig_motion(action))
        for i in range(12):
            canvas, _ = render_premul(tl, i / 12)
            solid = (canvas[..., 3] > 127).astype(np.uint8)
            _, _, stats, _ = cv2.connectedComponentsWithStats(solid, connectivity=8)
            pieces = sorted(stats[1:, cv2.CC_STAT_AREA], reverse=True)
            assert len(pieces) == 1 or pieces[1] < 8, (action, i, pieces[:4])  # a speck at most


def test_a_hind_leg_swung_far_takes_no_corner_of_the_rump_along() -> None:
    """A hind leg flush with a square rump: its layer ends round at the hip, so swung 35 degrees either
    way nothing of the body's corner sticks out past the leg's own width (a spike at the rump)."""
    import math

    from PIL import ImageDraw

    from popcon.animation.autorig import auto_rig
    from popcon.animation.part_geometry import segment_distance

    fill = (220, 170, 120, 255)
    image = Image.new("RGBA", (500, 400), (0, 0, 0, 0))
    d = ImageDraw.Draw(image)
    d.rounded_rectangle((150, 120, 420, 260), radius=10, fill=fill)  # body, square rump
    d.ellipse((40, 40, 160, 150), fill=fill)  # head
    d.line((110, 120, 190, 170), fill=fill, width=50)  # neck
    for x in (180, 225, 345, 395):  # legs, the last flush with the rump
        d.line((x, 220, x, 380), fill=fill, width=40)
    rig = auto_rig(image)
    assert rig.plan == "four_legs" and rig.has_legs, rig.note
    base, prep = prepare_parts(image, rig, None, 256)
    body = cv2.dilate((base.premul[..., 3] > 0).astype(np.uint8), np.ones((5, 5), np.uint8)) > 0
    inside = cv2.distanceTransform((base.premul[..., 3] > 127).astype(np.uint8), cv2.DIST_L2, 5)
    yy, xx = np.mgrid[0 : prep.size, 0 : prep.size]
    for side in ("right", "left"):
        hip, knee = prep.joints[f"{side}_hip"], prep.joints[f"{side}_knee"]
        mid = (round((hip[0] + knee[0]) / 2), round((hip[1] + knee[1]) / 2))
        width = float(inside[mid[1], mid[0]])
        reach = ~body & (np.hypot(xx - hip[0], yy - hip[1]) < math.dist(hip, knee))
        for angle in (35.0, -35.0):
            m = {name: np.eye(3) for name in PART_NAMES}
            m[f"{side}_thigh"] = m[f"{side}_shin"] = rotate_about(hip, angle)
            spike = reach & (
                segment_distance(xx, yy, hip, map_point(rotate_about(hip, angle), knee)) > 1.5 * width + 2.0
            )
            out = spike & (_composite(prep, m)[..., 3] > 127)
            assert out.sum() == 0, (side, angle, int(out.sum()))


def test_a_stick_figure_keeps_its_head_ring_and_its_strokes_whole() -> None:
    """A pencil stick figure: its strokes are its body (no filled area), so no arm lies against a body
    there, and the head's ring, beside its empty inside, must not go off with the arms. Waving and
    bouncing, every frame stays one connected piece (the strokes never tear)."""
    from scipy import ndimage

    from popcon.animation.autorig import auto_rig

    from ..helpers.drawings import pencil_stick_figure

    image = pencil_stick_figure()
    rig = auto_rig(image)
    assert "against the body" not in (rig.note or ""), rig.note
    base, prep = prepare_parts(image, rig, None, 320)
    painted = base.premul[..., 3] > 0
    holes, n = ndimage.label(ndimage.binary_fill_holes(painted) & ~painted)
    assert n >= 1
    hole = holes == 1 + int(np.argmax(np.bincount(holes.ravel())[1:]))  # the head's inside
    ring = painted & cv2.dilate(hole.astype(np.uint8), np.ones((7, 7), np.uint8)).astype(bool)
    for name, layer in prep.layers.items():
        if name in ARM_PARTS:
            h, w = layer.premul.shape[:2]
            got = layer.premul[..., 3] > 0
            held = ring[layer.y0 : layer.y0 + h, layer.x0 : layer.x0 + w] & got
            assert not held.any(), f"{name} takes {int(held.sum())} px of the head ring"
    for action in ("wave", "bounce"):
        frames = render_frames(image, _recipe(action), background=KEY, size=320, fps=8, rig=rig, layers=None)
        pieces = [cv2.connectedComponents(_mask(f))[0] - 1 for f in frames]
        assert pieces == [1] * len(frames), (action, pieces)
