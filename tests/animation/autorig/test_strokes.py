"""Auto-rig on a figure drawn with strokes: its lines are the body, its ring the head."""

from __future__ import annotations

import numpy as np

from popcon.animation.autorig import auto_rig
from popcon.animation.autorig.silhouette import silhouette
from popcon.animation.autorig.strokes import is_stroke_figure, painted_mask

from ...helpers.drawings import pencil_stick_figure

# Where pencil_stick_figure draws (at side 640): the head ring's centre, radius and base, the arm and
# leg ends.
HEAD, RADIUS = (320.0, 130.0), 70.0
NECK = (320.0, 200.0)
HANDS = {"right_hand": (200.0, 260.0), "left_hand": (440.0, 260.0)}
FEET = {"right_foot": (260.0, 580.0), "left_foot": (380.0, 580.0)}


def _near(p: tuple[float, float], q: tuple[float, float], tol: float) -> bool:
    return float(np.hypot(p[0] - q[0], p[1] - q[1])) <= tol


def test_a_stick_figure_rigs_along_its_strokes_with_its_ring_for_a_head() -> None:
    rig = auto_rig(pencil_stick_figure())
    j = rig.joints
    assert rig.has_arms and rig.has_legs, rig.note
    tol = 0.04 * 640  # a few stroke widths
    assert _near(j["neck"], NECK, tol), j["neck"]  # the ring's base, not its middle
    assert _near(j["head_top"], (HEAD[0], HEAD[1] - RADIUS), tol), j["head_top"]
    for name, at in {**HANDS, **FEET}.items():
        assert _near(j[name], at, tol), (name, j[name])
    # The spine runs from the neck down to the hips, where the legs branch (below the arms).
    assert j["neck"][1] < j["torso"][1] < j["hip"][1] < min(j["right_knee"][1], j["left_knee"][1])
    assert abs(j["hip"][1] - 420.0) <= tol


def test_only_thin_strokes_make_a_stroke_figure() -> None:
    """The same figure drawn with a thick brush is a filled figure: the stroke path stays out of it."""
    thin = pencil_stick_figure()
    thick = pencil_stick_figure(width=60)
    for image, want in ((thin, True), (thick, False)):
        sil = silhouette(image)
        assert sil is not None
        assert is_stroke_figure(painted_mask(image, sil), sil) is want
