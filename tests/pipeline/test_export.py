from __future__ import annotations

import json
import zipfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import popcon.pipeline.export as export_mod
from popcon.domain.errors import InvalidInput
from popcon.media.validate import InvalidExport, RuleResult, failures, validate_file
from popcon.pipeline.export import ExportInput, export_set
from tests.media.test_canvas import disc_clip


def _actions(n: int = 3, frames: int = 10) -> list[ExportInput]:
    secs = [1, 2, 3, 4]
    return [
        ExportInput(f"act{i}", f"Action {i}", disc_clip(frames, size=200, travel=40 + 10 * i), secs[i % 4])
        for i in range(n)
    ]


def test_export_writes_named_zip_and_valid_files(tmp_path: Path) -> None:
    progress: list[tuple[int, int, str]] = []
    rep = export_set(_actions(3), "line-emoji", tmp_path, progress=lambda *a: progress.append(a))
    with zipfile.ZipFile(rep.zip_path) as zf:
        assert zf.namelist() == ["001.png", "002.png", "003.png", "tab.png"]
    assert rep.zip_path == tmp_path / "line-emoji.zip"
    d = tmp_path / "line-emoji"
    assert {p.name for p in d.iterdir()} == {
        "001.png", "002.png", "003.png", "tab.png", "preview.html", "preview.gif", "manifest.json",
    }  # fmt: skip
    preset = export_mod.get_platform("line-emoji")
    for f in rep.files:
        assert f.valid and not failures(validate_file(f.path, preset))
        assert f.path.stat().st_size == f.bytes <= 300_000
    assert [f.loops for f in rep.files] == [4, 2, 1]  # 1 s x4, 2 s x2, 3 s x1
    with Image.open(d / "tab.png") as tab:
        assert tab.size == (96, 74)
    assert any("at least 8" in w for w in rep.warnings)
    manifest = json.loads(rep.manifest_path.read_text())
    assert [f["file_name"] for f in manifest["files"]] == ["001.png", "002.png", "003.png"]
    assert all(f["valid"] and f["rules"] for f in manifest["files"])
    assert manifest["files"][0]["knobs"]["colours"] == 256 and manifest["files"][0]["bytes"] > 0
    assert progress[-1][0] == progress[-1][1]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no staging left


def test_reexport_swaps_in_and_removes_stale_files(tmp_path: Path) -> None:
    export_set(_actions(3), "line-emoji", tmp_path)
    rep = export_set(_actions(2), "line-emoji", tmp_path)
    names = {p.name for p in rep.directory.iterdir()}
    assert "003.png" not in names and "002.png" in names
    with zipfile.ZipFile(rep.zip_path) as zf:
        assert zf.namelist() == ["001.png", "002.png", "tab.png"]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_invalid_file_blocks_packaging_and_keeps_previous_export(tmp_path: Path, monkeypatch) -> None:
    first = export_set(_actions(2), "line-emoji", tmp_path)
    before = (first.directory / "001.png").read_bytes()
    zip_before = first.zip_path.read_bytes()

    def broken(data: bytes, preset) -> list[RuleResult]:
        return [RuleResult("file_size", False, len(data), 10)]

    monkeypatch.setattr(export_mod, "validate_apng", broken)
    with pytest.raises(InvalidExport, match=r"001\.png.*file_size"):
        export_set(_actions(3), "line-emoji", tmp_path)
    assert (first.directory / "001.png").read_bytes() == before
    assert first.zip_path.read_bytes() == zip_before
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_bad_requests_are_refused(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="known"):
        export_set(_actions(1), "line-emojii", tmp_path)
    with pytest.raises(InvalidInput, match="not implemented"):
        export_set(_actions(1), "telegram-emoji", tmp_path)
    bad = ExportInput("x", "X", disc_clip(6, size=100), 5)
    with pytest.raises(InvalidInput, match="5 s"):
        export_set([bad], "line-emoji", tmp_path)
    with pytest.raises(InvalidInput, match="no frames"):
        export_set([ExportInput("x", "X", [], 1)], "line-emoji", tmp_path)
    blank = ExportInput("x", "X", [np.zeros((50, 50, 4), np.uint8)] * 6, 1)
    with pytest.raises(InvalidInput, match="transparent"):
        export_set([blank], "line-emoji", tmp_path)
    assert not list(tmp_path.iterdir()) or not [p for p in tmp_path.iterdir() if p.name.startswith(".")]
