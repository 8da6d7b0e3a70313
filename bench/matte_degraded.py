#!/usr/bin/env python3
"""Realistic degraded matte benchmark: the shared clips' characters with what real footage does to them.

Why: the shared set (../shared/bench/matte) is clean synthetic footage; real video-model clips drift in
exposure and tint from frame to frame, start with a brighter frame 1 (the exact start image), leave a
light ring a few px wide around every edge, are encoded harder (CRF 23-30), and sit on textured paper
or fabric, under soft drop shadows, or are pale characters on off-white. Each variant keeps the exact
truth (the character's RGBA; ring, shadow and texture are background), in the shared scorer's format,
so `score.py` reports IoU / SAD / edge per variant.

usage: python bench/matte_degraded.py [--only SUBSTR] [--ids 1f600,...] [--frames 12] [--build-only]
The data are built once into test-artifacts/degraded (ignored by git) and reused.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import av
import cv2
import numpy as np

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "bench"
W, H = 1280, 720
DEFAULT_IDS = "1f600,1f47b,1f4aa,1f525,1f57a,1f61c"
VARIANTS = ("drift", "paper", "fabric", "dropshadow", "pale")
CRF = {"drift": 27, "paper": 25, "fabric": 28, "dropshadow": 30, "pale": 23}
Array = np.ndarray


def _noise(rng: np.random.Generator, cell: int) -> Array:
    n = rng.normal(0, 1, (H // cell + 2, W // cell + 2)).astype(np.float32)
    big = cv2.resize(n, (W + 2 * cell, H + 2 * cell), interpolation=cv2.INTER_CUBIC)
    return big[cell : cell + H, cell : cell + W]


def paper(rng: np.random.Generator) -> Array:
    """Light paper: blotches at two scales plus short fibres and grain."""
    low = 5 * _noise(rng, 90) + 2.5 * _noise(rng, 25)
    fib = cv2.GaussianBlur(rng.normal(0, 1, (H, W)).astype(np.float32), (0, 0), sigmaX=6, sigmaY=0.7)
    base = np.array([240, 236, 226], np.float32)
    return base + (low + 6 * fib)[..., None] + rng.normal(0, 1.5, (H, W, 1)).astype(np.float32)


def fabric(rng: np.random.Generator) -> Array:
    """Woven cloth: warp and weft threads (period 6-8 px) with uneven dye."""
    yy, xx = np.mgrid[0:H, 0:W].astype(np.float32)
    px, py = rng.uniform(6, 8, 2)
    weave = 4 * np.sin(2 * np.pi * xx / px) * np.sign(np.sin(2 * np.pi * yy / (2 * py))) + 3 * np.sin(
        2 * np.pi * yy / py
    )
    base = np.array([232, 234, 238], np.float32)
    return base + (weave + 4 * _noise(rng, 60))[..., None] + rng.normal(0, 1.5, (H, W, 1)).astype(np.float32)


def offwhite(rng: np.random.Generator, level: float = 243.0) -> Array:
    yy, xx = np.mgrid[0:H, 0:W].astype(np.float32)
    r = np.hypot((xx - W / 2) / W, (yy - H / 2) / H)
    tint = np.array([0, 2, 1], np.float32)
    return level + tint - 10 * r[..., None] + rng.normal(0, 1.2, (H, W, 1)).astype(np.float32)


def light_ring(alpha: Array, strength: float) -> Array:
    """+strength levels just outside the edge, fading to 0 over ~8 px (what real footage shows)."""
    out = (alpha < 0.02).astype(np.uint8)
    d = cv2.distanceTransform(out, cv2.DIST_L2, 3)
    ring = strength * np.exp(-np.maximum(d - 2, 0) / 3.0) * (d > 0)
    return ring.astype(np.float32)


def drop_shadow(alpha: Array, rng: np.random.Generator) -> Array:
    dx, dy = rng.integers(10, 22, 2)
    m = np.float32([[1, 0, dx], [0, 1, dy]])
    sh = cv2.warpAffine(alpha, m, (W, H))
    sh = cv2.GaussianBlur(sh, (0, 0), 9)
    return 1 - 0.28 * sh


def recolour_pale(rgba: Array) -> Array:
    """A white-furred version of the character: every colour pulled 70 % towards white."""
    out = rgba.copy()
    out[..., :3] = (255 - (255 - rgba[..., :3].astype(np.float32)) * 0.3).round().astype(np.uint8)
    return out


def place(small: Array) -> Array:
    z = 512
    oy, ox = (H - z) // 2, (W - z) // 2
    full = np.zeros((H, W, 4), np.uint8)
    full[oy : oy + z, ox : ox + z] = cv2.resize(small, (z, z), interpolation=cv2.INTER_CUBIC).clip(0, 255)
    return full


def build_clip(small: Array, variant: str, video: Path, seed: int) -> None:
    rng = np.random.default_rng(seed)
    makers: dict[str, Callable[[np.random.Generator], Array]] = {
        "drift": offwhite,
        "paper": paper,
        "fabric": fabric,
        "dropshadow": offwhite,
        "pale": lambda r: offwhite(r, 242.0),
    }
    base = makers[variant](rng)
    ring_gain = float(rng.uniform(5, 10)) if variant != "pale" else float(rng.uniform(2, 4))
    first_boost = float(rng.uniform(5, 15))
    drift = np.cumsum(rng.normal(0, 1.2, len(small)))
    video.parent.mkdir(parents=True, exist_ok=True)
    with av.open(str(video), "w") as c:
        s = c.add_stream("libx264", rate=24)
        s.width, s.height, s.pix_fmt = W, H, "yuv420p"
        s.options = {"crf": str(CRF[variant]), "preset": "medium"}
        for t, f in enumerate(small):
            gt = place(f)
            a = gt[..., 3].astype(np.float32) / 255
            # Per-frame exposure, tint and vignette drift; frame 1 is the brighter start image.
            off = drift[t] - 4 + (first_boost if t == 0 else 0.0)
            tint = rng.normal(0, 0.8, 3).astype(np.float32)
            bg = base + off + tint
            yy, xx = np.mgrid[0:H, 0:W].astype(np.float32)
            vig = float(rng.uniform(-3, 3)) * np.hypot((xx - W / 2) / W, (yy - H / 2) / H)
            bg = bg + vig[..., None]
            if variant == "dropshadow":
                bg = bg * drop_shadow(a, rng)[..., None]
            bg = bg + light_ring(a, ring_gain)[..., None]
            comp = gt[..., :3].astype(np.float32) * a[..., None] + bg * (1 - a[..., None])
            c.mux(s.encode(av.VideoFrame.from_ndarray(comp.clip(0, 255).astype(np.uint8), format="rgb24")))
        c.mux(s.encode())


def build(data: Path, ids: list[str], frames: int) -> None:
    meta_path = data / "clips.json"
    want = {f"{i}__{v}" for i in ids for v in VARIANTS}
    if meta_path.exists():
        meta = json.loads(meta_path.read_text())
        if want <= set(meta["clips"]) and meta.get("frames") == frames:
            return
    (data / "truth").mkdir(parents=True, exist_ok=True)
    clips = {}
    for k, ident in enumerate(ids):
        z = np.load(SHARED / "matte" / "truth" / f"{ident}.npz")
        idx = np.linspace(0, len(z["rgba"]) - 1, frames).round().astype(int)
        small = z["rgba"][idx]
        for j, v in enumerate(VARIANTS):
            rgba = recolour_pale(small) if v == "pale" else small
            rgba = rgba.copy()
            rgba[rgba[..., 3] == 0] = 0
            tname = f"truth/{ident}__{v}.npz"
            np.savez_compressed(data / tname, rgba=rgba, offset=z["offset"], char=z["char"])
            name = f"{ident}__{v}"
            build_clip(rgba, v, data / "clips" / name / "video.mp4", 1000 + 10 * k + j)
            clips[name] = {"truth": tname, "video": f"clips/{name}/video.mp4", "background": v}
            print(f"built {name}", flush=True)
    meta_path.write_text(json.dumps({"clips": clips, "frames": frames, "size": [W, H]}, indent=1))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", default="")
    ap.add_argument("--ids", default=DEFAULT_IDS)
    ap.add_argument("--frames", type=int, default=12)
    ap.add_argument("--data", default=str(REPO / "test-artifacts" / "degraded"))
    ap.add_argument("--json")
    ap.add_argument("--build-only", action="store_true")
    ap.add_argument("--cmd", default="popcon matte {video} --out {out}")
    a = ap.parse_args(argv)
    data = Path(a.data)
    build(data, a.ids.split(","), a.frames)
    if a.build_only:
        return 0
    cmd = [sys.executable, str(SHARED / "score.py"), str(data), "--cmd", a.cmd, "--only", a.only]
    if a.json:
        cmd += ["--json", str(Path(a.json).resolve())]
    return subprocess.run(cmd, cwd=REPO).returncode


if __name__ == "__main__":
    sys.exit(main())
