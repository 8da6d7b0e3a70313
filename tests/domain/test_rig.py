import json

import pytest

from popcon.domain.errors import InvalidInput
from popcon.domain.rig import RIG_VERSION, SCORED_JOINTS, Rig, parse_rig, whole_body_rig


def _full_rig() -> Rig:
    joints = {name: (10.0 + i, 20.0 + i) for i, name in enumerate(SCORED_JOINTS)}
    return Rig(width=100, height=100, joints=joints, source="user", confidence=0.9)


def test_round_trip_keeps_every_field() -> None:
    rig = _full_rig()
    again = parse_rig(rig.to_json())
    assert again == rig
    assert json.loads(rig.to_json())["version"] == RIG_VERSION


def test_scaled_moves_joints_and_size() -> None:
    rig = _full_rig().scaled(2.0, 2.0, dx=5.0, dy=-1.0)
    assert (rig.width, rig.height) == (200, 200)
    assert rig.joints["root"] == (2 * 10.0 + 5.0, 2 * 20.0 - 1.0)


def test_whole_body_fallback_needs_no_joints() -> None:
    rig = whole_body_rig(64, 64, "face only")
    assert not rig.animates_parts
    assert parse_rig(rig.to_json()).note == "face only"


@pytest.mark.parametrize(
    ("edit", "field"),
    [
        (lambda d: d.update(version=99), "version"),
        (lambda d: d["joints"].update(elbow=[1, 1]), "joints.elbow"),
        (lambda d: d["joints"].update(neck=[5000, 1]), "joints.neck"),
        (lambda d: d["joints"].pop("left_knee"), "joints.left_knee"),
        (lambda d: d.update(confidence=2), "confidence"),
        (lambda d: d.update(width="wide"), "width"),
        (lambda d: d.update(colour="red"), "colour"),
    ],
)
def test_a_bad_rig_names_the_field(edit, field: str) -> None:  # type: ignore[no-untyped-def]
    data = json.loads(_full_rig().to_json())
    edit(data)
    with pytest.raises(InvalidInput, match=field.replace(".", r"\.")):
        parse_rig(json.dumps(data))


def test_not_json_is_a_clear_error() -> None:
    with pytest.raises(InvalidInput, match="not valid JSON"):
        parse_rig("{nope")
    with pytest.raises(InvalidInput, match="JSON object"):
        parse_rig("[1, 2]")


def test_fit_rig_scales_a_same_shape_image_and_names_a_mismatch() -> None:
    from popcon.domain.rig import fit_rig

    rig = _full_rig()
    assert fit_rig(rig, 100, 100) is rig
    big = fit_rig(rig, 300, 300)
    assert (big.width, big.height) == (300, 300) and big.joints["root"] == (30.0, 60.0)
    with pytest.raises(InvalidInput, match="width/height"):
        fit_rig(rig, 300, 100)
