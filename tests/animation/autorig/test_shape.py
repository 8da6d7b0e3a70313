"""The skeleton-graph rig on shapes these tests draw: a four-legged side view and an upside-down figure."""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw

from popcon.animation.autorig import auto_rig
from popcon.animation.autorig.edges import colour_gradient, split_by_edges
from popcon.animation.autorig.shape import shape_rig
from popcon.animation.autorig.silhouette import distance, silhouette
from popcon.animation.autorig.skeleton import skeleton_graph, thin

from ...helpers.drawings import arms_at_sides, open_jacket

FILL = (200, 150, 90, 255)


def _figure(upside_down: bool = False) -> Image.Image:
    im = Image.new("RGBA", (400, 500), (0, 0, 0, 0))
    d = ImageDraw.Draw(im)
    d.ellipse((150, 20, 250, 120), fill=FILL)  # head
    d.rectangle((188, 110, 212, 140), fill=FILL)  # neck
    d.ellipse((145, 130, 255, 310), fill=FILL)  # body
    d.line((160, 170, 40, 110), fill=FILL, width=18)  # right arm (image left)
    d.line((240, 170, 360, 230), fill=FILL, width=18)  # left arm
    d.line((175, 290, 150, 485), fill=FILL, width=22)  # right leg
    d.line((225, 290, 250, 485), fill=FILL, width=22)  # left leg
    return im.rotate(180) if upside_down else im


def _dog() -> Image.Image:
    """Side view facing the image's left: head, body, four legs, a tail."""
    im = Image.new("RGBA", (500, 400), (0, 0, 0, 0))
    d = ImageDraw.Draw(im)
    d.ellipse((150, 120, 420, 260), fill=FILL)  # body
    d.ellipse((40, 40, 160, 150), fill=FILL)  # head
    d.line((110, 120, 190, 170), fill=FILL, width=50)  # neck
    for x in (180, 225, 335, 380):
        d.line((x, 220, x, 380), fill=FILL, width=26)
    d.line((410, 170, 480, 90), fill=FILL, width=12)  # tail
    return im


def test_thinning_leaves_a_one_pixel_line() -> None:
    mask = np.zeros((40, 80), bool)
    mask[15:25, 5:75] = True
    line = thin(mask)
    assert line.any() and line.sum() < 80 and (line.sum(0) <= 2).all()


def test_skeleton_graph_has_a_tip_per_limb() -> None:
    sil = silhouette(_figure())
    assert sil is not None
    g = skeleton_graph(sil.mask, distance(sil.mask))
    assert 4 <= len(g.tips()) <= 6  # arms, legs, the head


def test_upright_figure_sides_and_head() -> None:
    im = _figure()
    sil = silhouette(im)
    assert sil is not None
    rig = shape_rig(im, sil)
    assert rig is not None and rig.has_arms and rig.has_legs
    j = rig.joints
    assert j["right_hand"][0] < 100 and j["left_hand"][0] > 300
    assert j["right_foot"][1] > 430 and j["left_foot"][1] > 430
    assert j["neck"][1] < j["hip"][1]


def test_upside_down_figure_turns_with_its_body() -> None:
    """Rotated 180 degrees: the character's right is now on the image's right; feet are at the top."""
    im = _figure(upside_down=True)
    sil = silhouette(im)
    assert sil is not None
    rig = shape_rig(im, sil)
    assert rig is not None and rig.has_legs
    j = rig.joints
    assert j["right_foot"][1] < 80 and j["left_foot"][1] < 80
    assert j["right_foot"][0] > j["left_foot"][0]


def test_four_legged_side_view_front_legs_are_arms() -> None:
    im = _dog()
    sil = silhouette(im)
    assert sil is not None
    rig = shape_rig(im, sil)
    assert rig is not None and rig.has_arms and rig.has_legs
    assert rig.note and "four legs" in rig.note
    j = rig.joints
    front = sorted((j["right_hand"][0], j["left_hand"][0]))
    hind = sorted((j["right_foot"][0], j["left_foot"][0]))
    assert front[1] < hind[0]  # front legs (arms) nearer the head than the hind legs
    assert all(j[k][1] > 330 for k in ("right_hand", "left_hand", "right_foot", "left_foot"))
    assert j["neck"][0] < 200


def test_whole_body_fallback_carries_a_start_fitted_to_the_silhouette() -> None:
    """A blob animates as one piece, but placing joints by hand starts inside its outline, not at fixed
    shares of the picture."""
    from popcon.animation.autorig import auto_rig

    im = Image.new("RGBA", (600, 400), (0, 0, 0, 0))
    ImageDraw.Draw(im).ellipse((350, 150, 550, 390), fill=FILL)
    rig = auto_rig(im)
    assert not rig.animates_parts
    xs = [p[0] for p in rig.joints.values()]
    ys = [p[1] for p in rig.joints.values()]
    assert min(xs) >= 349 and max(xs) <= 551 and min(ys) >= 149 and max(ys) <= 391
    assert rig.joints["head_top"][1] < rig.joints["hip"][1] < rig.joints["right_foot"][1]


def test_arms_hanging_against_the_body_are_found_by_their_colour_edge() -> None:
    """No notch in the silhouette parts these arms from the shirt, but their colour does: they animate,
    their bones run down the arms' middles. A tunic as wide as the arms would be, shaded towards its
    sides, shows no such edge and keeps its sides with the body; nor are an open jacket's sides arms."""
    rig = auto_rig(Image.fromarray(arms_at_sides(), "RGBA"))
    assert rig.has_arms and rig.has_legs, rig.note
    for side, (x0, x1) in (("right", (83, 105)), ("left", (195, 217))):
        for joint in ("elbow", "hand"):
            x, _ = rig.joints[f"{side}_{joint}"]
            assert x0 + 3 <= x <= x1 - 3, (side, joint, x)
    tunic = auto_rig(Image.fromarray(arms_at_sides(tunic=True, shade=0.35), "RGBA"))
    assert tunic.has_legs and not tunic.has_arms, tunic.note
    for hem in (250, 290):  # an open jacket's sides end in no hand: they run on into the trousers
        jacket = auto_rig(Image.fromarray(open_jacket(hem), "RGBA"))
        assert jacket.has_legs and not jacket.has_arms, (hem, jacket.note)


def test_a_cut_between_two_seeds_falls_on_the_colour_edge() -> None:
    """Seeds at both ends of a strip of two colours: the border lands where the colour changes (a
    third of the way along), not halfway between the seeds."""
    rgb = np.zeros((20, 90, 3), np.uint8)
    rgb[:, :30] = (90, 60, 50)
    rgb[:, 30:] = (240, 110, 40)
    rgb[:, 30:] = (rgb[:, 30:] * np.linspace(1.0, 0.8, 60)[None, :, None]).astype(np.uint8)  # shading
    solid = np.ones((20, 90), bool)
    seeds = np.zeros((20, 90), np.int16)
    seeds[:, :3], seeds[:, -3:] = 1, 2
    out = split_by_edges(colour_gradient(rgb, solid), solid, seeds)
    cut = (out == 1).sum(axis=1)
    assert (np.abs(cut - 30) <= 2).all(), cut
