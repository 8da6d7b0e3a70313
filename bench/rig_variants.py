"""Does the auto-rig's accuracy hold on variants of the shared characters (not only on the pictures)?

Each `rig/` character of the shared bench is rigged as given and as variants that any new upload may
be: mirrored (left and right joints swap), turned a few degrees each way, scaled down, its mask eroded
or dilated (a tighter or looser cut-out), and without colour. The hand-placed joints are moved with
the picture, and PCK@0.1 (as ../shared/bench/rigscore.py) is printed per character and variant, with
the mean per variant: a rule fitted to one picture shows as a score that collapses on its variants.

usage: python bench/rig_variants.py [BENCH_DIR] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from popcon.animation.autorig import auto_rig

sys.path.insert(0, str(Path(__file__).resolve().parent))
from rig import truth

Joints = dict[str, tuple[float, float]]
Variant = Callable[[Image.Image, Joints], tuple[Image.Image, Joints]]


def _mirror(im: Image.Image, j: Joints) -> tuple[Image.Image, Joints]:
    w = im.width
    swap = {"right": "left", "left": "right"}
    out: Joints = {}
    for k, (x, y) in j.items():
        side, _, rest = k.partition("_")
        name = f"{swap[side]}_{rest}" if side in swap else k
        out[name] = (w - 1 - x, y)
    return im.transpose(Image.Transpose.FLIP_LEFT_RIGHT), out


def _turn(deg: float) -> Variant:
    def apply(im: Image.Image, j: Joints) -> tuple[Image.Image, Joints]:
        w, h = im.size
        cx, cy = w / 2, h / 2
        turned = im.rotate(deg, resample=Image.Resampling.BILINEAR, center=(cx, cy))
        a = math.radians(deg)  # PIL turns counter-clockwise on screen
        out = {
            k: (
                cx + (x - cx) * math.cos(a) + (y - cy) * math.sin(a),
                cy - (x - cx) * math.sin(a) + (y - cy) * math.cos(a),
            )
            for k, (x, y) in j.items()
        }
        return turned, out

    return apply


def _scale(f: float) -> Variant:
    def apply(im: Image.Image, j: Joints) -> tuple[Image.Image, Joints]:
        size = (max(1, round(im.width * f)), max(1, round(im.height * f)))
        return im.resize(size, Image.Resampling.LANCZOS), {k: (x * f, y * f) for k, (x, y) in j.items()}

    return apply


def _morph(grow: int) -> Variant:
    def apply(im: Image.Image, j: Joints) -> tuple[Image.Image, Joints]:
        rgba = np.asarray(im.convert("RGBA")).copy()
        k = np.ones((2 * abs(grow) + 1, 2 * abs(grow) + 1), np.uint8)
        op = cv2.dilate if grow > 0 else cv2.erode
        rgba[..., 3] = op(rgba[..., 3], k)
        return Image.fromarray(rgba, "RGBA"), j

    return apply


def _grey(im: Image.Image, j: Joints) -> tuple[Image.Image, Joints]:
    grey = im.convert("LA").convert("RGBA")
    return grey, j


VARIANTS: dict[str, Variant] = {
    "as given": lambda im, j: (im, j),
    "mirrored": _mirror,
    "turned +6": _turn(6.0),
    "turned -6": _turn(-6.0),
    "scale 0.6": _scale(0.6),
    "eroded 4": _morph(-4),
    "dilated 4": _morph(4),
    "no colour": _grey,
}


def pck(found: Joints, known: Joints, height: float) -> float:
    hits = sum(1 for k, xy in known.items() if k in found and math.dist(found[k], xy) <= 0.1 * height)
    return hits / max(len(known), 1)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument(
        "bench", nargs="?", default=str(Path(__file__).resolve().parents[1].parent / "shared" / "bench")
    )
    ap.add_argument("--json")
    a = ap.parse_args()
    chars = sorted(p.parent for p in (Path(a.bench) / "rig").glob("*/char_cfg.yaml"))
    table: dict[str, dict[str, float]] = {}
    print(f"{'character':13s} " + " ".join(f"{v:>10s}" for v in VARIANTS))
    for d in chars:
        im = Image.open(d / "texture.png").convert("RGBA")
        im.putalpha(Image.open(d / "mask.png").convert("L").resize(im.size))
        known = truth(d / "char_cfg.yaml")
        row: dict[str, float] = {}
        for name, variant in VARIANTS.items():
            vim, vj = variant(im, known)
            ys = np.nonzero((np.asarray(vim.getchannel("A")) > 127).any(1))[0]
            height = float(ys[-1] - ys[0] + 1)
            row[name] = pck(auto_rig(vim).scored_joints(), vj, height)
        table[d.name] = row
        print(f"{d.name:13s} " + " ".join(f"{row[v]:10.2f}" for v in VARIANTS))
    means = {v: float(np.mean([r[v] for r in table.values()])) for v in VARIANTS}
    lows = {v: float(np.min([r[v] for r in table.values()])) for v in VARIANTS}
    print(f"{'mean':13s} " + " ".join(f"{means[v]:10.2f}" for v in VARIANTS))
    print(f"{'lowest':13s} " + " ".join(f"{lows[v]:10.2f}" for v in VARIANTS))
    if a.json:
        Path(a.json).write_text(json.dumps({"rows": table, "mean": means}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
