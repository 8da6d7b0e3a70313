from __future__ import annotations

import json
from pathlib import Path

from popcon.domain.exports import EncodeKnobs, ExportedFile, ExportSummary, RuleResult


def test_record_round_trips_through_the_manifest() -> None:
    f = ExportedFile(
        file_name="001.png",
        action_id="wave",
        bytes=1234,
        frames=12,
        seconds=1,
        loops=4,
        knobs={"colours": 256},
        rules=[RuleResult("file_size", True, 1234, 300_000), RuleResult("x", False, 1, 0, "warning", "hm")],
        path=Path("/tmp/001.png"),
    )
    entry = json.loads(json.dumps(f.model_dump(), default=str))
    assert entry["file_name"] == "001.png" and entry["valid"] is True and "path" not in entry
    back = ExportedFile.from_manifest(entry)
    assert back.file_name == "001.png" and back.rules == f.rules and back.problems == ["hm"]
    assert back.knobs == EncodeKnobs(colours=256)
    brief = ExportSummary(preset="line-emoji", files=[f]).brief().files[0]  # what the job keeps
    assert brief.knobs is None and brief.rules == [f.rules[1]] and brief.problems == ["hm"] and brief.valid


def test_an_error_rule_makes_the_file_invalid_and_old_entries_still_read() -> None:
    bad = ExportedFile(file_name="a.gif", rules=[RuleResult("file_size", False, 9, 1)])
    assert not bad.valid and bad.problems == ["file_size"]
    old = ExportedFile.from_manifest({"name": "tab.png", "valid": True, "unknown_key": 1})
    assert old.file_name == "tab.png" and old.valid and old.bytes is None
