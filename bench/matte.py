#!/usr/bin/env python3
"""Score the automatic matte on the whole shared benchmark through the `popcon matte` CLI.

Why a wrapper: one command from the repo root, paths resolved relative to the repo, so results are
comparable between engineers. The shared scorer prints the per-clip and per-background tables.

usage: python bench/matte.py [--only SUBSTR] [--json FILE]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "bench"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", default="", help="score only clips whose name contains this")
    ap.add_argument("--json", help="keep the numbers in this JSON file")
    ap.add_argument("--data", default=str(SHARED / "matte"), help="benchmark data folder")
    ap.add_argument("--cmd", help="matte command with {video} and {out} (default: the popcon matte CLI)")
    a = ap.parse_args(argv)
    venv_bin = REPO / ".venv" / "bin"
    popcon = venv_bin / "popcon"
    python = venv_bin / "python" if (venv_bin / "python").exists() else Path(sys.executable)
    cmd = [
        str(python),
        str(SHARED / "score.py"),
        a.data,
        "--cmd",
        a.cmd or f"{popcon if popcon.exists() else 'popcon'} matte {{video}} --out {{out}}",
    ]
    if a.only:
        cmd += ["--only", a.only]
    if a.json:
        cmd += ["--json", str(Path(a.json).resolve())]
    return subprocess.run(cmd, cwd=REPO).returncode


if __name__ == "__main__":
    sys.exit(main())
