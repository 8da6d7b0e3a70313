"""`popcon make --video-provider dashscope` as a user runs it, against the local protocol server."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from ...conftest import SAMPLES
from .conftest import DASH_KEY


def test_make_with_the_dashscope_video_provider(tmp_path: Path, cloud) -> None:
    env = {
        **os.environ,
        "POPCON_DATA_DIR": str(tmp_path / "data"),
        "DASHSCOPE_API_KEY": DASH_KEY,
        "POPCON_DASHSCOPE_BASE_URL": cloud.url,
        "POPCON_DASHSCOPE_REGION": "beijing",  # priced rows (CNY) for the reported cost below
        "POPCON_POLL_INTERVAL": "0.01",
        "POPCON_POLL_INTERVAL_MAX": "0.02",
        "POPCON_CLIP_SIZE": "256",
        "COLUMNS": "160",
    }

    def popcon(*args: str) -> subprocess.CompletedProcess[str]:
        run = subprocess.run(
            [sys.executable, "-m", "popcon", *args], env=env, capture_output=True, text=True, timeout=300
        )
        assert DASH_KEY not in run.stdout + run.stderr
        return run

    out = tmp_path / "out"
    run = popcon(
        "make",
        str(SAMPLES / "fox.png"),
        "--video-provider",
        "dashscope",
        "--actions",
        "wave,jump",
        "--out",
        str(out),
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "Estimate for 2 action(s)" in run.stdout  # shown before the run
    assert sorted(p.name for p in (out / "line-emoji").glob("0*.png")) == ["001.png", "002.png"]
    job_id = re.search(r"job ([0-9a-f]{12}):", run.stdout).group(1)
    show = popcon("jobs", "show", job_id)
    assert show.returncode == 0, show.stderr
    assert "cost reported by the providers" in show.stdout  # the billed seconds the server reported
