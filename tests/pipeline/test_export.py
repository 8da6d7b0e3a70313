from __future__ import annotations

import json
import zipfile
from pathlib import Path

import numpy as np
import pytest
import typer
from PIL import Image
from typer.testing import CliRunner

import popcon.pipeline.export as export_mod
from popcon.cli.validate import register
from popcon.domain.errors import InvalidInput
from popcon.domain.platforms import load_platforms
from popcon.media.budget import BudgetExceeded
from popcon.media.formats import CODECS, validate_file
from popcon.media.validate import InvalidExport, RuleResult, failures
from popcon.pipeline.export import ExportInput, export_set
from tests.helpers.clips import disc_clip, sample_clip


def _actions(n: int = 3, frames: int = 6) -> list[ExportInput]:
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
    # Beside each warning its code and values, for a UI that words it in another language.
    assert len(manifest["warning_codes"]) == len(manifest["warnings"])
    at = next(i for i, w in enumerate(manifest["warnings"]) if "at least 8" in w)
    small = manifest["warning_codes"][at]
    assert small == {
        "code": "set_too_small",
        "params": {"n": 3, "min": 8, "platform": "line-emoji", "name": preset.name},
    }
    assert all(f["valid"] and f["rules"] for f in manifest["files"])
    assert manifest["files"][0]["knobs"]["colours"] == 256 and manifest["files"][0]["bytes"] > 0
    assert progress[-1][0] == progress[-1][1]
    steps = [p[0] for p in progress]
    assert steps == sorted(steps) and steps[:3] == [1, 2, 3], "each encoded file counts as one step done"
    assert all(p[2].startswith("encoded ") for p in progress[:3])
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

    monkeypatch.setattr(CODECS["apng"], "validate", broken)
    with pytest.raises(InvalidExport, match=r"001\.png.*file_size"):
        export_set(_actions(3), "line-emoji", tmp_path)
    assert (first.directory / "001.png").read_bytes() == before
    assert first.zip_path.read_bytes() == zip_before
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_bad_requests_are_refused(tmp_path: Path, monkeypatch) -> None:
    with pytest.raises(InvalidInput, match="known"):
        export_set(_actions(1), "line-emojii", tmp_path)
    planned = export_mod.get_platform("telegram-emoji").model_copy(update={"status": "planned"})
    monkeypatch.setattr(export_mod, "get_platform", lambda _id: planned)
    with pytest.raises(InvalidInput, match="not implemented"):
        export_set(_actions(1), "telegram-emoji", tmp_path)
    monkeypatch.undo()
    bad = ExportInput("x", "X", disc_clip(6, size=100), 5)
    with pytest.raises(InvalidInput, match="5 s"):
        export_set([bad], "line-emoji", tmp_path)
    with pytest.raises(InvalidInput, match="no frames"):
        export_set([ExportInput("x", "X", [], 1)], "line-emoji", tmp_path)
    blank = ExportInput("x", "X", [np.zeros((50, 50, 4), np.uint8)] * 6, 1)
    with pytest.raises(InvalidInput, match="transparent"):
        export_set([blank], "line-emoji", tmp_path)
    assert not list(tmp_path.iterdir()) or not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


SAMPLE_SET = [("wave", 1, 12.0), ("jump", 2, -8.0), ("laugh", 1, 20.0), ("cry", 4, 6.0)]


def _sample_actions(frames: int = 6) -> list[ExportInput]:
    """One sample character animated four ways in code (rocking amplitude and loop length differ)."""
    return [
        ExportInput(aid, aid.title(), sample_clip("fox", frames, size=256, degrees=deg), secs)
        for aid, secs, deg in SAMPLE_SET
    ]


EXPECTED_NAMES = {
    "line-emoji": ["001.png", "002.png", "003.png", "004.png", "tab.png"],
    "line-sticker": ["01.png", "02.png", "03.png", "04.png", "main.png", "tab.png"],
    "telegram-video-sticker": ["001.webm", "002.webm", "003.webm", "004.webm"],
    "telegram-emoji": ["001.webm", "002.webm", "003.webm", "004.webm"],
    "discord-emoji": ["wave.gif", "jump.gif", "laugh.gif", "cry.gif"],
    "discord-sticker": ["wave.png", "jump.png", "laugh.png", "cry.png"],
    "slack-emoji": ["wave.gif", "jump.gif", "laugh.gif", "cry.gif"],
    "kakao-emoticon": ["01.gif", "02.gif", "03.gif", "04.gif"],
}


def test_every_preset_is_implemented_and_covered() -> None:
    assert set(EXPECTED_NAMES) == set(load_platforms())
    assert all(p.implemented for p in load_platforms().values())


@pytest.mark.slow
@pytest.mark.parametrize("preset_id", sorted(EXPECTED_NAMES))
def test_every_preset_exports_a_valid_four_action_set(preset_id: str, tmp_path: Path) -> None:
    rep = export_set(_sample_actions(), preset_id, tmp_path)
    preset = load_platforms()[preset_id]
    with zipfile.ZipFile(rep.zip_path) as zf:
        assert zf.namelist() == EXPECTED_NAMES[preset_id]
    assert not rep.failed and len(rep.files) == 4
    for f in rep.files:
        assert f.valid and not failures(validate_file(f.path, preset)), f.file_name
        assert f.bytes <= preset.max_bytes
    manifest = json.loads(rep.manifest_path.read_text())
    assert manifest["failed"] == [] and all(f["valid"] for f in manifest["files"])
    if preset_id == "line-sticker":
        with Image.open(rep.directory / "main.png") as im:
            assert im.size == (240, 240) and getattr(im, "n_frames", 1) >= 5
        assert not failures([RuleResult(**r) for r in manifest["extra_rules"]["main.png"]])
    if preset_id.startswith("telegram"):
        assert any("faster" in w for w in rep.warnings)  # the 4 s loop plays in 3 s
        assert any(c and c["code"] == "loop_sped_up" for c in manifest["warning_codes"])
    # The CLI agrees: exit 0 on the set, non-zero once one file is swapped for another platform's.
    app = typer.Typer()
    register(app)
    app.command("noop")(lambda: None)
    paths = [str(f.path) for f in rep.files]
    res = CliRunner().invoke(app, ["validate", *paths, "--platform", preset_id])
    assert res.exit_code == 0, res.output
    assert "file_size" in res.output and "FAIL" not in res.output


def test_cli_validate_fails_on_a_broken_file(tmp_path: Path) -> None:
    rep = export_set(_actions(1), "line-emoji", tmp_path)
    app = typer.Typer()
    register(app)
    app.command("noop")(lambda: None)
    res = CliRunner().invoke(app, ["validate", str(rep.files[0].path), "--platform", "discord-emoji"])
    assert res.exit_code == 1 and "FAIL" in res.output and "gif_signature" in res.output
    res = CliRunner().invoke(app, ["validate", str(rep.files[0].path), "--platform", "nope"])
    assert res.exit_code == 2


def test_an_action_over_budget_is_listed_and_the_rest_is_packaged(tmp_path: Path, monkeypatch) -> None:
    real = export_mod.encode_action

    def flaky(a, preset):  # type: ignore[no-untyped-def]
        # actions are encoded concurrently: fail one by name, not by call order
        if a.action_id == "act1":
            raise BudgetExceeded("cannot fit: the smallest encoding was 999999 bytes")
        return real(a, preset)

    monkeypatch.setattr(export_mod, "encode_action", flaky)
    rep = export_set(_actions(3), "line-emoji", tmp_path)
    assert [f.action_id for f in rep.files] == ["act0", "act2"]
    assert [f.file_name for f in rep.files] == ["001.png", "002.png"]  # no gap in LINE numbering
    manifest = json.loads(rep.manifest_path.read_text())
    assert manifest["failed"][0]["action_id"] == "act1" and "999999" in manifest["failed"][0]["error"]
    assert any("act1 left out" in w for w in rep.warnings)
    # The UI words it from codes: the left-out action's and its warning's.
    assert manifest["failed"][0]["code"] == "over_budget"
    at = next(i for i, w in enumerate(rep.warnings) if "act1 left out" in w)
    left = manifest["warning_codes"][at]
    assert left["code"] == "left_out" and left["params"]["action"] == "act1"
    assert left["params"]["reason"] == "over_budget" and left["params"]["platform"] == "line-emoji"

    def never(*a, **kw):  # type: ignore[no-untyped-def]
        raise BudgetExceeded("cannot fit")

    monkeypatch.setattr(CODECS["apng"], "fit", never)
    with pytest.raises(BudgetExceeded, match="no action fits"):
        export_set(_actions(2), "line-emoji", tmp_path / "x")
