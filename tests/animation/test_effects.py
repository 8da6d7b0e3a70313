"""Effects read as part of the character and its motion: nothing floats as dirt beside it."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from popcon.animation.animator import render_frames
from popcon.animation.effects import KNOWN_EFFECTS
from popcon.animation.mascot import MascotRig, draw_mascot_rig
from popcon.animation.mascot_prompt import SAMPLE_PROMPT
from popcon.domain.actions import MotionRecipe

KEY = (0, 255, 0)
SIZE = 200


@pytest.fixture(scope="module")
def mascot() -> MascotRig:
    return draw_mascot_rig(SAMPLE_PROMPT)


def _render(m: MascotRig, motion: str, effects: list[str]) -> list[np.ndarray]:
    recipe = MotionRecipe(motion=motion, effects=effects, seconds=2)
    return render_frames(m.image, recipe, background=KEY, size=SIZE, fps=12, rig=m.rig, layers=m.layers)


def _drawn(frame: np.ndarray) -> np.ndarray:
    return (np.abs(frame.astype(np.int16) - KEY).max(-1) > 30).astype(np.uint8)


@pytest.mark.parametrize("motion", ["jump", "wave", "spin"])
def test_speed_lines_grow_out_of_the_character(mascot: MascotRig, motion: str) -> None:
    fx, plain = _render(mascot, motion, ["lines"]), _render(mascot, motion, [])
    assert any((a != b).any() for a, b in zip(fx, plain, strict=True)) or motion != "jump", "no lines drawn"
    for i, (a, b) in enumerate(zip(fx, plain, strict=True)):
        pieces = cv2.connectedComponents(_drawn(a), connectivity=8)[0]
        assert pieces <= cv2.connectedComponents(_drawn(b), connectivity=8)[0], f"frame {i}: a line floats"


@pytest.mark.parametrize("effect", sorted(KNOWN_EFFECTS - {"lines"}))
def test_no_effect_leaves_specks(mascot: MascotRig, effect: str) -> None:
    """A sprite either reads (hearts, stars, notes) or is not drawn: no crumb smaller than that."""
    smallest = (0.03 * SIZE) ** 2
    fx, plain = _render(mascot, "nod", [effect]), _render(mascot, "nod", [])
    for i, (a, b) in enumerate(zip(fx, plain, strict=True)):
        extra = (np.abs(a.astype(np.int16) - b).max(-1) > 30).astype(np.uint8)
        n, lab, stats, _ = cv2.connectedComponentsWithStats(extra | _drawn(b), connectivity=8)
        body = set(np.unique(lab[_drawn(b) > 0]).tolist())
        for k in range(1, n):
            if k not in body:
                area = stats[k, cv2.CC_STAT_AREA]
                assert area >= smallest, f"{effect} frame {i}: a speck of {area} px"
