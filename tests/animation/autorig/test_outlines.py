"""Outlined parts: arms drawn against the body are told apart by the dark lines around them."""

from __future__ import annotations

from PIL import Image, ImageDraw

from popcon.animation.autorig.outlines import outlined_rig
from popcon.animation.autorig.silhouette import silhouette

INK = (40, 30, 40, 255)
FILL = (230, 170, 90, 255)


def _figure(outlined: bool) -> Image.Image:
    im = Image.new("RGBA", (400, 520), (0, 0, 0, 0))
    d = ImageDraw.Draw(im)
    w = 6 if outlined else 0
    ink = INK if outlined else FILL
    d.ellipse((90, 20, 310, 230), fill=FILL, outline=ink, width=w)  # head
    d.rounded_rectangle((100, 230, 155, 400), 25, fill=FILL, outline=ink, width=w)  # right arm, hanging
    d.rounded_rectangle((245, 230, 300, 400), 25, fill=FILL, outline=ink, width=w)  # left arm
    d.ellipse((140, 215, 260, 440), fill=FILL, outline=ink, width=w)  # body, between the arms
    d.ellipse((130, 420, 195, 490), fill=FILL, outline=ink, width=w)  # feet
    d.ellipse((205, 420, 270, 490), fill=FILL, outline=ink, width=w)
    return im


def test_outlined_arms_against_the_body_are_found() -> None:
    im = _figure(outlined=True)
    sil = silhouette(im)
    assert sil is not None
    rig = outlined_rig(im, sil)
    assert rig is not None and rig.has_arms and rig.has_legs
    j = rig.joints
    assert j["right_hand"][0] < 160 < 240 < j["left_hand"][0]
    assert j["right_hand"][1] > j["right_shoulder"][1] + 60
    assert j["right_foot"][1] > 420 and 20 < j["neck"][1] < 230


def test_no_outlines_no_parts() -> None:
    im = _figure(outlined=False)
    sil = silhouette(im)
    assert sil is not None and outlined_rig(im, sil) is None
