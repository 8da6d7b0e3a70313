"""Auto-rig benchmark: rig time per character (goal <= 0.3 s at 512 px) and accuracy where joints are known.

For each `rig/` drawing of the shared bench (texture + mask as alpha) it prints the rig time (median of
--repeat runs, wall and CPU), whether arms and legs were found, the confidence, and PCK@0.1 against the
hand-placed joints (the same measure as ../shared/bench/rigscore.py, computed in-process). The face-only
samples and procedural mascots are timed too, with what the auto-rig made of them (they should fall
back, or find limbs, and say which).

usage: python bench/rig.py [BENCH_DIR] [--repeat 5] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import math
import re
import statistics
import sys
import time
from pathlib import Path

import numpy as np
from PIL import Image

from popcon.animation.autorig import auto_rig
from popcon.animation.mascot import draw_mascot_rig
from popcon.domain.rig import SCORED_JOINTS, Rig

MASCOTS = (  # dark fills (panda, penguin, black cat), hoods, a scarf, a tail beside a sleeve, stub feet
    "a cat",
    "a blue bunny",
    "a robot with a tail",
    "a frog",
    "a penguin",
    "a chubby panda",
    "a black cat",
    "a rabbit in a hoodie",
    "a chubby bear with a scarf",
    "a chubby orange fox in a teal hoodie",
)


def truth(cfg: Path) -> dict[str, tuple[float, float]]:
    out: dict[str, tuple[float, float]] = {}
    for m in re.finditer(
        r"- loc:\s*\n\s*-\s*(-?\d+)\s*\n\s*-\s*(-?\d+)\s*\n\s*name:\s*(\S+)", cfg.read_text()
    ):
        name = re.sub(r"(shoulder|elbow|hand)1$|(hip|knee|foot)_b$", lambda g: g[1] or g[2], m[3])
        out.setdefault(name, (float(m[1]), float(m[2])))
    return {k: v for k, v in out.items() if not re.search(r"\d$|_b$", k)}


def timed(im: Image.Image, repeat: int) -> tuple[Rig, float, float]:
    walls, cpus = [], []
    rig = None
    for _ in range(repeat):
        w0, c0 = time.perf_counter(), time.process_time()
        rig = auto_rig(im)
        walls.append(time.perf_counter() - w0)
        cpus.append(time.process_time() - c0)
    assert rig is not None
    return rig, statistics.median(walls), statistics.median(cpus)


def line(name: str, size: tuple[int, int], wall: float, cpu: float, pck: str, rig: Rig) -> None:
    dims = f"{size[0]}x{size[1]}"
    print(f"{name:26s} {dims:>9s} {wall * 1000:8.0f} {cpu * 1000:7.0f} {pck:>8s}  {describe(rig)}")


def describe(rig: Rig) -> str:
    if not rig.animates_parts:
        return f"whole body: {rig.note}"
    limbs = "+".join(rig.limbs)
    return f"{limbs}, confidence {rig.confidence:.2f}"


def pck_of(rig: Rig, truth: dict[str, tuple[float, float]], height: float) -> float:
    """Share of the known joints within 10 % of the silhouette height (benchmark layout)."""
    found = rig.scored_joints()
    near = [math.dist(found[k], xy) <= 0.1 * height for k, xy in truth.items() if k in found]
    hits = sum(near)
    return hits / max(len(truth), 1)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument(
        "bench", nargs="?", default=str(Path(__file__).resolve().parents[1].parent / "shared" / "bench")
    )
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--json")
    a = ap.parse_args()
    bench = Path(a.bench)
    rows = []
    print(f"{'character':26s} {'size':>9s} {'wall ms':>8s} {'cpu ms':>7s} {'PCK@0.1':>8s}  result")
    for d in sorted(p.parent for p in (bench / "rig").glob("*/char_cfg.yaml")):
        im = Image.open(d / "texture.png").convert("RGBA")
        mask = Image.open(d / "mask.png").convert("L").resize(im.size)
        im.putalpha(mask)
        rig, wall, cpu = timed(im, a.repeat)
        gt = truth(d / "char_cfg.yaml")
        ys = np.nonzero((np.asarray(mask) > 127).any(1))[0]
        height = float(ys[-1] - ys[0] + 1)
        pck = pck_of(rig, gt, height)
        rows.append({"name": d.name, "wall_s": wall, "cpu_s": cpu, "pck": pck, "result": describe(rig)})
        line(d.name, im.size, wall, cpu, f"{pck:.2f}", rig)
    samples = bench.parent / "samples"
    for p in sorted(samples.glob("*.png")):
        im = Image.open(p)
        rig, wall, cpu = timed(im, a.repeat)
        rows.append({"name": p.stem, "wall_s": wall, "cpu_s": cpu, "result": describe(rig)})
        line(f"sample {p.stem}", im.size, wall, cpu, "-", rig)
    for prompt in MASCOTS:  # the mascot knows its joints: the auto-rig is scored against them
        drawn = draw_mascot_rig(prompt)
        im = drawn.image
        rig, wall, cpu = timed(im, a.repeat)
        known = {k: v for k, v in drawn.rig.scored_joints().items() if k in SCORED_JOINTS}
        ys = np.nonzero((np.asarray(im.getchannel("A")) > 127).any(1))[0]
        pck = pck_of(rig, known, float(ys[-1] - ys[0] + 1))
        rows.append(
            {"name": f"mascot {prompt}", "wall_s": wall, "cpu_s": cpu, "pck": pck, "result": describe(rig)}
        )
        line(f"mascot {prompt}", im.size, wall, cpu, f"{pck:.2f}", rig)
    worst = max(r["wall_s"] for r in rows)
    cpu = max(r["cpu_s"] for r in rows)
    print(
        f"rig time: max {worst * 1000:.0f} ms wall, {cpu * 1000:.0f} ms CPU over {len(rows)} characters "
        "(goal <= 300 ms at 512 px; wall grows with the machine's load, CPU does not)"
    )
    if a.json:
        Path(a.json).write_text(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
