import pytest

from popcon.domain.actions import custom_action, load_presets, resolve_actions
from popcon.domain.errors import InvalidInput

REQUIRED = [
    "happy",
    "laugh",
    "cry",
    "wave",
    "nod",
    "no",
    "jump",
    "love",
    "angry",
    "surprised",
    "sleepy",
    "dance",
    "thinking",
    "clap",
    "bow",
    "spin",
]


def test_presets_cover_the_required_actions():
    presets = load_presets()
    assert len(presets) >= 16
    for name in REQUIRED:
        assert name in presets, name
        p = presets[name]
        assert len(p.start_pose_prompt) > 20 and len(p.motion_prompt) > 40
        assert 1 <= p.recipe.seconds <= 4


def test_resolve_keeps_order_and_drops_duplicates():
    got = resolve_actions(["wave", "Jump", "wave", " love "])
    assert [a.id for a in got] == ["wave", "jump", "love"]


def test_unknown_action_is_a_clear_error():
    with pytest.raises(InvalidInput, match="unknown action 'moonwalk'"):
        resolve_actions(["wave", "moonwalk"])


def test_custom_action_borrows_a_motion_from_its_words():
    a = custom_action("hello", "waves both hands above the head, smiling")
    assert a.custom and a.recipe.motion == "wave"
    assert custom_action("zoom", "vibrates with excitement").recipe.motion in {
        p.recipe.motion for p in load_presets().values()
    }


@pytest.mark.parametrize(("name", "prompt"), [("Bad Name!", "waves"), ("ok", "   "), ("ok", "x" * 801)])
def test_custom_action_validation(name, prompt):
    with pytest.raises(InvalidInput):
        custom_action(name, prompt)


@pytest.mark.parametrize(
    ("prompt", "motion"),
    [
        ("thinks hard, a hand on the chin", "thinking"),
        ("claps both hands above the head", "clap"),
        ("throws both arms up to celebrate", "celebrate"),
        ("gives a high five", "hi-five"),
    ],
)
def test_custom_actions_map_onto_the_part_motions(prompt: str, motion: str) -> None:
    assert custom_action("mine", prompt).recipe.motion == motion
