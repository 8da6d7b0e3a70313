"""Side views mid-stride: near and far limbs named from occlusion, facing and the gait."""

from __future__ import annotations

from PIL import Image, ImageDraw

from popcon.animation.autorig import auto_rig

SKIN = (160, 105, 75, 255)
SHIRT = (245, 130, 35, 255)
SLEEVE = (215, 95, 20, 255)
SHORTS = (150, 150, 165, 255)
HEAD = (120, 80, 60, 255)


def _limb(d: ImageDraw.ImageDraw, pts: list[tuple[int, int]], fill: tuple[int, ...], width: int) -> None:
    d.line(pts, fill=fill, width=width, joint="curve")
    for x, y in (pts[0], pts[-1]):
        d.ellipse((x - width // 2, y - width // 2, x + width // 2, y + width // 2), fill=fill)


def _runner() -> Image.Image:
    """A figure running towards the image's left, seen from its left: the far (right) arm swings
    forward from behind the torso, whose edge cuts it; the near (left) arm swings back, its sleeve drawn
    over the torso; the near (left) leg steps forward, opposite the near arm."""
    im = Image.new("RGBA", (512, 512), (0, 0, 0, 0))
    d = ImageDraw.Draw(im)
    _limb(d, [(250, 300), (290, 360), (410, 345)], SKIN, 34)  # far leg, back
    _limb(d, [(215, 305), (160, 360), (110, 450)], SKIN, 34)  # near leg, forward
    _limb(d, [(215, 165), (140, 215), (80, 180)], SKIN, 30)  # far arm, forward, behind the torso
    d.ellipse((145, 30, 240, 125), fill=HEAD)  # head
    d.polygon([(180, 120), (255, 115), (285, 290), (200, 300)], fill=SHIRT)  # torso
    d.polygon([(190, 270), (290, 265), (310, 345), (185, 340)], fill=SHORTS)
    _limb(d, [(240, 150), (280, 145)], SLEEVE, 36)  # near sleeve, over the torso
    _limb(d, [(280, 145), (305, 145), (355, 195)], SKIN, 30)  # near arm, back
    return im


def _sides(im: Image.Image) -> dict[str, tuple[float, float]]:
    rig = auto_rig(im)
    assert rig.has_arms and rig.has_legs, rig.note
    return {k: rig.joints[k] for k in ("right_hand", "left_hand", "right_foot", "left_foot")}


def test_side_view_facing_left_names_near_limbs_left() -> None:
    j = _sides(_runner())
    # Facing the image's left, the near side is the character's left: the back arm, the front leg.
    assert j["left_hand"][0] > 300 and j["right_hand"][0] < 150
    assert j["left_foot"][0] < 200 and j["right_foot"][0] > 300


def test_side_view_facing_right_names_near_limbs_right() -> None:
    j = _sides(_runner().transpose(Image.Transpose.FLIP_LEFT_RIGHT))
    # Mirrored, it faces the image's right and shows its right side: the same limbs are now right.
    assert j["right_hand"][0] < 511 - 300 and j["left_hand"][0] > 511 - 150
    assert j["right_foot"][0] > 511 - 200 and j["left_foot"][0] < 511 - 300


def _front_dancer() -> Image.Image:
    """A front view whose arms bend the same way (one up, one down), legs apart, and whose roots show
    the same colour cues as the runner's (one arm behind the shirt's edge, one sleeve over it): only
    the shoulders a torso's width apart say it is no side view."""
    im = Image.new("RGBA", (512, 512), (0, 0, 0, 0))
    d = ImageDraw.Draw(im)
    _limb(d, [(215, 295), (190, 380), (180, 460)], SKIN, 34)
    _limb(d, [(295, 295), (320, 380), (330, 460)], SKIN, 34)
    _limb(d, [(185, 150), (110, 180), (90, 110)], SKIN, 30)  # behind the shirt's edge
    d.ellipse((205, 30, 305, 130), fill=HEAD)
    d.rectangle((175, 125, 335, 300), fill=SHIRT)
    d.rectangle((175, 270, 335, 330), fill=SHORTS)
    _limb(d, [(300, 150), (345, 150)], SLEEVE, 36)  # a sleeve over the shirt
    _limb(d, [(345, 150), (400, 120), (420, 190)], SKIN, 30)
    return im


def test_front_view_keeps_image_left_as_right() -> None:
    j = _sides(_front_dancer())
    assert j["right_hand"][0] < 200 < 310 < j["left_hand"][0]
    assert j["right_foot"][0] < 255 < j["left_foot"][0]
