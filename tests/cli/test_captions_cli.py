"""`popcon make` with captions and store text, as a user runs it."""

from __future__ import annotations

from pathlib import Path

import pytest

from popcon.domain.platforms import get_platform
from popcon.media.formats import validate_file
from popcon.media.validate import failures

from .test_cli import popcon


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--caption", "wave"], "ACTION=text"),
        (["--caption", "jump=Boing"], "not one of the chosen actions"),
        (["--caption-lang", "fr"], "not one of"),
        (["--caption-motion", "spin"], "captions"),
        (["--title", "ja=" + "ね" * 50, "--description", "ja=x"], "too long"),
    ],
)
def test_bad_caption_flags_are_refused_before_a_job_exists(
    tmp_path: Path, args: list[str], message: str
) -> None:
    run = popcon(
        "make",
        "--sample",
        "--actions",
        "wave",
        "--platform",
        "line-sticker",
        *args,
        data=tmp_path / "d",
        check=False,
    )
    assert run.returncode == 2, run.stderr
    assert message in run.stderr
    assert "Traceback" not in run.stderr
    assert not list((tmp_path / "d").glob("jobs/*"))


@pytest.mark.slow
def test_make_with_korean_captions_and_store_text(tmp_path: Path) -> None:
    out = tmp_path / "out"
    popcon(
        "make", "--sample", "--actions", "wave", "--platform", "line-sticker",
        "--caption-lang", "ko", "--caption", 'wave="안녕하세요!"',
        "--title", "ko=여우의 하루", "--description", "ko=매일 쓰는 여우 스티커",
        "--out", str(out), data=tmp_path / "d",
    )  # fmt: skip
    folder = out / "line-sticker"
    results = validate_file(folder / "01.png", get_platform("line-sticker"))
    assert not failures(results)
    notes = (folder / "submission.txt").read_text("utf-8")
    assert "title: 여우의 하루" in notes and "description: 매일 쓰는 여우 스티커" in notes


def test_actions_show_the_default_captions_in_a_language(tmp_path: Path) -> None:
    run = popcon("actions", "--caption-lang", "ja", data=tmp_path / "d")
    assert "ありがとう!" in run.stdout and "やあ!" in run.stdout
    bad = popcon("actions", "--caption-lang", "xx", data=tmp_path / "d", check=False)
    assert bad.returncode == 2 and "not one of" in bad.stderr
