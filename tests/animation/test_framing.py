from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from popcon.animation.framing import alpha_bbox, follow_pose, frame_full_body
from popcon.domain.errors import InvalidInput
from popcon.domain.rig import whole_body_rig

SAMPLES = Path(__file__).resolve().parents[3].parent / "shared" / "samples"


def _off_centre(w: int = 300, h: int = 200) -> Image.Image:
    im = Image.new("RGBA", (w, h), (0, 0, 0, 0))
    im.paste((200, 50, 50, 255), (10, 20, 60, 140))  # 50 x 120 figure in the top-left corner
    return im


def test_frames_centred_with_feet_on_the_margin():
    out = frame_full_body(_off_centre(), 400, margin=0.1)
    assert out.size == (400, 400) and out.mode == "RGBA"
    left, top, right, bottom = alpha_bbox(out)
    assert bottom == pytest.approx(360, abs=1)  # feet on the bottom margin
    assert top == pytest.approx(40, abs=1)  # the tall figure fills the height inside the margins
    assert (left + right) / 2 == pytest.approx(200, abs=1.5)
    assert (right - left) / (bottom - top) == pytest.approx(50 / 120, rel=0.03)


def test_height_fraction_caps_the_size():
    out = frame_full_body(_off_centre(), 400, margin=0.1, height_fraction=0.5)
    _, top, _, bottom = alpha_bbox(out)
    assert bottom - top == pytest.approx(200, abs=1) and bottom == pytest.approx(360, abs=1)


def test_wide_character_fits_the_width():
    im = Image.new("RGBA", (500, 100), (0, 0, 0, 0))
    im.paste((0, 0, 255, 255), (0, 0, 500, 100))
    left, _, right, bottom = alpha_bbox(frame_full_body(im, 200, margin=0.05))
    assert (left, right) == (10, 190) and bottom == 190


def test_transparent_image_is_an_error():
    with pytest.raises(InvalidInput):
        frame_full_body(Image.new("RGBA", (50, 50)), 100)


@pytest.mark.skipif(not SAMPLES.is_dir(), reason="shared samples not present")
def test_sample_keeps_soft_edges():
    out = np.asarray(frame_full_body(Image.open(SAMPLES / "frog.png"), 256))
    a = out[..., 3]
    assert ((a > 0) & (a < 255)).sum() > 50  # anti-aliased border survives the resize
    assert a[0].max() == 0 and a[:, 0].max() == 0  # the margin is empty


def test_follow_pose_moves_the_rig_with_the_reframed_character() -> None:
    im = Image.new("RGBA", (200, 300), (0, 0, 0, 0))
    arr = np.asarray(im).copy()
    arr[50:250, 60:140] = (200, 80, 80, 255)
    character = Image.fromarray(arr, "RGBA")
    rig = whole_body_rig(200, 300, "a box").model_copy(update={"joints": {"neck": (100.0, 50.0)}})
    pose = frame_full_body(character, 300)
    moved = follow_pose(character, pose, rig)
    assert moved is not None
    x, y = moved[0].joints["neck"]
    assert (
        np.asarray(pose)[round(y) + 1, round(x), 3] == 255
        and np.asarray(pose)[round(y) - 3, round(x), 3] == 0
    )
    other = Image.fromarray(np.ascontiguousarray(arr[::-1, ::-1]), "RGBA").rotate(90)
    assert follow_pose(character, frame_full_body(other, 300), rig) is None
