"""The cut-out of an upload: drawings on paper (inside filled, thin strokes kept), figures on a backdrop,
and the warning and the refusal when the cut is probably wrong."""

from __future__ import annotations

import numpy as np
import pytest

from popcon.vision.cutout import cut_out, judge_kept
from popcon.vision.drawing import fill_enclosed

from ..helpers.drawings import iou, paper, stick_figure, two_figures


@pytest.mark.parametrize("gradient", [0.0, 0.35])
def test_a_drawing_on_paper_keeps_its_inside_and_its_thin_limbs(gradient):
    rgb, truth = stick_figure(gradient=gradient, gap=6)
    cut = cut_out(rgb)
    kept = cut.rgba[..., 3] > 127
    assert cut.kind == "drawing"
    assert iou(kept, truth) > 0.85
    # The body's inside has the paper's colour and is kept; the page around it is not.
    assert kept[170, 150] and kept[70, 150]
    assert not kept[20, 20] and not kept[300, 150]
    # Thin single-stroke limbs stay whole: the hand and the foot at their ends are kept.
    assert kept[188, 150 - 118] and kept[328, 150 + 58]
    assert cut.warning is None


def test_the_table_past_the_page_edge_is_not_the_character():
    rgb, truth = stick_figure(table=True)
    kept = cut_out(rgb).rgba[..., 3] > 127
    assert not kept[-5, 5] and not kept[-20, 30]
    assert iou(kept, truth) > 0.85


def test_the_inside_is_lit_like_paper_and_the_edge_carries_no_paper():
    rgb, _ = stick_figure(gradient=0.35)
    rgba = cut_out(rgb).rgba
    inside = rgba[150:210, 130:170, :3].reshape(-1, 3).astype(float)
    # The light fall-off is divided out: the inside of the body is evenly white.
    assert inside.mean() > 235 and inside.std() < 8


def test_a_figure_on_a_flat_backdrop_is_cut_by_its_colour():
    rgb = np.full((200, 200, 3), 250, np.uint8)
    rgb[50:150, 70:130] = (220, 90, 40)
    rgb[80:100, 90:110] = 250  # a white patch inside the figure (a highlight), not background
    cut = cut_out(rgb)
    kept = cut.rgba[..., 3] > 127
    assert cut.kind == "figure"
    assert kept[60, 100] and not kept[10, 10]
    assert cut.warning is None


def test_blank_paper_keeps_nothing_and_says_so():
    cut = cut_out(paper(240, 320, gradient=0.2))
    assert judge_kept(cut.rgba[..., 3]) is not None


def test_scattered_specks_are_refused():
    alpha = np.zeros((200, 200), np.uint8)
    for k in range(8):
        alpha[20 * k + 5 : 20 * k + 12, 20 * k + 5 : 20 * k + 12] = 255
    assert "fragments" in (judge_kept(alpha) or "")
    alpha[:] = 0
    alpha[40:160, 60:140] = 255
    alpha[5:8, 5:8] = 255
    assert judge_kept(alpha) is None


def test_enclosure_bridges_small_gaps_but_not_the_space_between_limbs():
    strokes = np.zeros((120, 160), bool)
    strokes[20, 20:100] = strokes[100, 20:100] = True  # a box ...
    strokes[20:101, 20] = True
    strokes[20:56, 100] = strokes[62:101, 100] = True  # ... with a 6 px gap in its right side
    strokes[30:110, 120] = strokes[30:110, 150] = True  # two legs, open below and above
    filled = fill_enclosed(strokes, gap=5)
    assert filled[60, 60]  # the box's inside, through its gap
    assert not filled[70, 135]  # the channel between the legs


def test_two_separate_figures_warn_and_say_why():
    cut = cut_out(two_figures())
    assert cut.kind == "drawing" and cut.warning is not None and "2 separate pieces" in cut.warning
    assert judge_kept(cut.rgba[..., 3]) is None  # doubtful, not empty: the job goes on, warned


def test_a_large_photo_is_cut_on_a_smaller_copy_and_keeps_its_full_size():
    import cv2

    rgb, _ = stick_figure(gradient=0.3, gap=5)
    small = cut_out(rgb).rgba[..., 3] > 127
    big = cv2.resize(rgb, (rgb.shape[1] * 4, rgb.shape[0] * 4), interpolation=cv2.INTER_CUBIC)
    cut = cut_out(big)
    assert cut.rgba.shape == (*big.shape[:2], 4) and cut.kind == "drawing"
    back = cv2.resize(cut.rgba[..., 3], rgb.shape[1::-1], interpolation=cv2.INTER_AREA) > 127
    assert iou(back, small) > 0.9
