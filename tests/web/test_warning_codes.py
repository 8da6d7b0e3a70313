"""Warnings carry a stable code for the UI to word, and records stored before codes still show:
a cut-out or matte report without a code gets the one such a report always meant; an export written
before codes has none (the UI shows its English text)."""

from __future__ import annotations

from typing import Any

from popcon.domain.exports import ExportSummary
from popcon.domain.models import JobOptions
from popcon.domain.reports import MatteReport
from popcon.web.schemas import WarningCodeOut, warning_codes


def _stored_cutout(report: dict[str, Any]) -> str | None:
    """The code the job page gets for a cut-out report as the job's options column stored it."""
    cutout = JobOptions.model_validate({"cutout": report}).cutout
    assert cutout is not None
    return cutout.warning_code


def test_cutout_warning_code_of_stored_reports() -> None:
    assert _stored_cutout({"confidence": 0.9, "warning": None}) is None
    assert (
        _stored_cutout({"confidence": 0.3, "warning": "the cut-out may be wrong"}) == "cutout_low_confidence"
    )
    new = {"confidence": 0.3, "warning": "keeps almost nothing", "warning_code": "cutout_empty"}
    assert _stored_cutout(new) == "cutout_empty"


def test_matte_warning_code_of_stored_reports() -> None:
    old = MatteReport.from_json(
        {"confidence": [0.2], "min_confidence": 0.2, "low_frames": [0], "warning": "w"}
    )
    assert old.warning_code == "matte_low_confidence"
    assert MatteReport.from_json({"confidence": [1.0]}).warning_code is None
    assert MatteReport.own_alpha(3).warning_code is None


def test_export_warning_codes_sit_beside_their_warnings() -> None:
    old = ExportSummary.from_json({"preset": "line-emoji", "warnings": ["set has 2 items"]})
    assert warning_codes(old) == []  # written before codes: the UI shows the text
    raw = [{"code": "set_too_small", "params": {"n": 2, "min": 8}}, None]
    new = ExportSummary.from_json({"preset": "line-emoji", "warnings": ["a", "b"], "warning_codes": raw})
    assert warning_codes(new) == [WarningCodeOut(code="set_too_small", params={"n": 2, "min": 8}), None]
