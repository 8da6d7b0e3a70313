#!/usr/bin/env python3
"""Time the automatic matte per 1280x720 frame, amortised over whole clips (decode excluded).

Why a separate script: the scorers time the CLI (start-up, decode and PNG writing included); the target
is the matte itself. The machine's load average is printed beside the numbers, since helpers share it.

usage: python bench/matte_speed.py [--clips 1f600__offwhite,1f57a__shadow] [--repeat 2]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "bench" / "matte"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clips", default="1f600__offwhite,1f57a__shadow,1f47b__white,1f602__green")
    ap.add_argument("--repeat", type=int, default=2)
    a = ap.parse_args(argv)
    from popcon.media.video import decode_frames
    from popcon.vision.matte import matte_clip

    total_ms, total_frames = 0.0, 0
    for name in a.clips.split(","):
        frames, _ = decode_frames(SHARED / "clips" / name / "video.mp4")
        best = float("inf")
        for _ in range(a.repeat):
            t = time.perf_counter()
            matte_clip(frames)
            best = min(best, time.perf_counter() - t)
        ms = 1000 * best / len(frames)
        total_ms += 1000 * best
        total_frames += len(frames)
        print(
            f"{name:24s} {frames[0].shape[1]}x{frames[0].shape[0]} {len(frames)} frames  {ms:6.1f} ms/frame"
        )
    load = os.getloadavg()
    print(
        f"mean {total_ms / total_frames:.1f} ms/frame amortised; {os.cpu_count()} cores, "
        f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
