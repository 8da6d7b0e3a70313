"""Warnings carry a stable code for the UI to word, and records stored before codes still show:
a cut-out or matte report without a code gets the one such a report always meant; an export written
before codes has none (the UI shows its English text)."""

from __future__ import annotations

from popcon.domain.reports import MatteReport
from popcon.web.schemas import WarningCode, cutout_warning_code, warning_codes


def test_cutout_warning_code_of_stored_reports() -> None:
    assert cutout_warning_code(None) is None
    assert cutout_warning_code({"confidence": 0.9, "warning": None}) is None
    assert (
        cutout_warning_code({"confidence": 0.3, "warning": "the cut-out may be wrong"})
        == "cutout_low_confidence"
    )
    new = {"confidence": 0.3, "warning": "keeps almost nothing", "warning_code": "cutout_empty"}
    assert cutout_warning_code(new) == "cutout_empty"


def test_matte_warning_code_of_stored_reports() -> None:
    old = MatteReport.from_json(
        {"confidence": [0.2], "min_confidence": 0.2, "low_frames": [0], "warning": "w"}
    )
    assert old.warning_code == "matte_low_confidence"
    assert MatteReport.from_json({"confidence": [1.0]}).warning_code is None
    assert MatteReport.own_alpha(3).warning_code is None


def test_export_warning_codes_sit_beside_their_warnings() -> None:
    assert warning_codes({"warnings": ["set has 2 items"]}) == []  # written before codes
    raw = [{"code": "set_too_small", "params": {"n": 2, "min": 8}}, None, {"params": {}}]
    assert warning_codes({"warning_codes": raw}) == [
        WarningCode(code="set_too_small", params={"n": 2, "min": 8}),
        None,
        None,
    ]
