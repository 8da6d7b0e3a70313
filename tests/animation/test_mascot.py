from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from popcon.animation.framing import alpha_bbox
from popcon.animation.mascot import Z_ORDER, draw_mascot, draw_mascot_rig, sample_character
from popcon.animation.mascot_prompt import ANIMALS, COLOURS, parse_prompt
from popcon.domain.rig import PART_NAMES, PARTS, parse_rig
from popcon.providers.offline.provider import OfflineImageProvider
from popcon.settings import Settings


def _body_colour(prompt: str) -> np.ndarray:
    """Median colour of the opaque pixels: the body dominates the mascot."""
    arr = np.asarray(draw_mascot(prompt, 256))
    return np.median(arr[..., :3][arr[..., 3] == 255], axis=0)


def test_deterministic_for_the_same_prompt():
    a = np.asarray(draw_mascot("a pink cat with a bow", 256))
    b = np.asarray(draw_mascot("a pink cat with a bow", 256))
    assert np.array_equal(a, b)
    c = np.asarray(draw_mascot("a pink cat with a bow", 256, seed=1))
    assert c.shape == a.shape


def test_rgba_full_body_centred_with_margin():
    im = draw_mascot("a chubby orange fox in a teal hoodie", 512)
    assert im.mode == "RGBA" and im.size == (512, 512)
    left, top, right, bottom = alpha_bbox(im)
    assert top >= 20 and bottom <= 492 and left >= 20 and right <= 492
    assert bottom > 470 or top < 40  # fills the height (or the width) inside the margin
    assert abs((left + right) / 2 - 256) < 40
    a = np.asarray(im)[..., 3]
    assert a[0].max() == 0 and a[-1].max() == 0 and a[:, 0].max() == 0


def test_soft_anti_aliased_edges():
    a = np.asarray(draw_mascot("a frog", 256))[..., 3]
    soft = ((a > 10) & (a < 245)).sum()
    assert soft > 200  # partial alpha along the whole outline
    assert (a == 255).sum() > 10 * soft


def test_colour_words_change_the_body():
    pink, mint, orange = (
        _body_colour("a pink blob"),
        _body_colour("a mint blob"),
        _body_colour("an orange blob"),
    )
    assert pink[0] > pink[1] + 40  # red-dominant
    assert mint[1] > mint[0] + 40  # green-dominant
    assert orange[0] > orange[2] + 80
    assert np.abs(pink - mint).sum() > 100


def test_clothing_takes_the_colour_next_to_it():
    spec = parse_prompt("a chubby orange fox in a teal hoodie")
    assert spec.animal == "fox" and spec.chubby
    assert spec.body == COLOURS["orange"] and spec.clothes["hoodie"] == COLOURS["teal"]
    spec = parse_prompt("a bear wearing a light blue scarf and glasses")
    assert spec.animal == "bear" and "glasses" in spec.clothes
    assert spec.clothes["scarf"] != COLOURS["blue"]  # "light" lightened it


@pytest.mark.parametrize("animal", sorted(set(ANIMALS.values())))
def test_every_animal_draws_a_distinct_silhouette(animal):
    a = np.asarray(draw_mascot(f"a {animal}", 192))[..., 3] > 128
    blob = np.asarray(draw_mascot("a blob", 192))[..., 3] > 128
    assert a.sum() > 192 * 192 * 0.15
    if animal != "blob":
        assert (a ^ blob).sum() > 150  # ears, tail, beak... change the outline


def test_accessories_change_the_drawing():
    plain = np.asarray(draw_mascot("a cat", 256)).astype(int)
    for extra in ("hat", "glasses", "scarf", "crown", "bow tie", "hoodie"):
        dressed = np.asarray(draw_mascot(f"a cat with a {extra}", 256)).astype(int)
        assert np.abs(dressed - plain).sum() > 1000, extra


def test_dark_outline_around_the_silhouette():
    arr = np.asarray(draw_mascot("a white bunny", 256)).astype(int)
    alpha = arr[..., 3]
    edge = (alpha > 200) & (np.roll(alpha, 3, axis=1) == 0)  # opaque pixels just inside the left edge
    assert edge.sum() > 10
    assert arr[..., :3][edge].mean() < 110  # dark line, even on a white character


def test_sample_character():
    im = sample_character()
    assert im.mode == "RGBA" and im.size == (768, 768) and alpha_bbox(im) is not None


def test_mascot_rig_round_trips_and_its_layers_make_the_image() -> None:
    drawn = draw_mascot_rig("a grey cat in a red shirt", 256)
    rig = drawn.rig
    assert parse_rig(rig.to_json()) == rig
    assert (rig.source, rig.confidence, rig.layers, rig.animates_parts) == ("mascot", 1.0, True, True)
    assert set(drawn.layers) <= set(PART_NAMES)
    assert {"torso", "head", "right_upper_arm", "left_forearm", "right_shin", "left_ear", "tail"} <= set(
        drawn.layers
    )
    again = Image.new("RGBA", drawn.image.size, (0, 0, 0, 0))
    for name in Z_ORDER:
        again.alpha_composite(drawn.layers[name])
    assert np.array_equal(np.asarray(again), np.asarray(drawn.image))
    # every pivot lies on the part that turns about it (the joints are where the parts were drawn)
    for part, pivot, _ in PARTS:
        if part in drawn.layers and pivot in rig.joints and part not in ("torso",):
            x, y = (round(v) for v in rig.joints[pivot])
            alpha = np.asarray(drawn.layers[part])[..., 3]
            assert alpha[y - 3 : y + 4, x - 3 : x + 4].max() > 0, part
    assert np.array_equal(np.asarray(draw_mascot("a grey cat in a red shirt", 256)), np.asarray(drawn.image))


def test_a_ghost_has_no_limbs_and_says_so() -> None:
    rig = draw_mascot_rig("a ghost", 192).rig
    assert not rig.animates_parts
    assert rig.note and "one piece" in rig.note


def test_offline_provider_hands_out_the_rig_of_the_mascot_it_drew() -> None:
    provider = OfflineImageProvider(Settings())
    image = provider.character("a pink bunny", None, (0, 177, 64))
    found = provider.character_rig("a pink bunny", image)
    assert found is not None
    rig, layers = found
    assert rig.source == "mascot" and (rig.width, rig.height) == image.size
    assert all(im.size == image.size for im in layers.values())
    assert provider.character_rig("a pink bunny", image.transpose(Image.Transpose.FLIP_LEFT_RIGHT)) is None
