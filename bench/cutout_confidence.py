#!/usr/bin/env python3
"""Is the cut-out's confidence honest? IoU against truth beside whether the cut warned, on every source.

Sources (all read from ../shared/bench, nothing copied):
- uploads: the shared drawings and figures (rig/*: texture.png against mask.png) as they are and as
  re-photographed variants (`cutout_variants.py`: light gradient, paper grain, a table past the page's
  edge, a cast shadow, JPEG, all at once; and ink too faint, a busy cloth, a figure far too small), cut
  by `popcon.vision.cutout.cut_out` (what `popcon cutout` and a job run); IoU outside a thin band around
  the mask's edge, as `cutscore.py` measures it; a cut that keeps almost nothing or only fragments
  (`judge_kept`) counts as warned, since the job stops on it;
- clips: the synthetic clips (matte/), every frame cut by the clip matte, IoU of alpha > 0.5 against the
  exact truth, warned = the frame's confidence under the matte's threshold;
- real: the real wave frames (real/wave), encoded to H.264 as a service returns them, IoU against the
  rough reference silhouette `realscore.py` uses.
The rule the confidence is held to: every cut-out with IoU < 0.8 warns, and at most 5 % of those with
IoU > 0.95 do. usage: python bench/cutout_confidence.py [--seeds 2] [--clips 60] [--every 3] [--json F]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "bench"
sys.path.insert(0, str(REPO / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from cutout_variants import CLEAN, HARD  # noqa: E402
from popcon.media.video import decode_frames, encode_mp4  # noqa: E402
from popcon.vision.cutout import cut_out, judge_kept  # noqa: E402
from popcon.vision.matte import LOW_CONFIDENCE, matte_clip  # noqa: E402


def _disk(r: int) -> np.ndarray:
    return cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * r + 1, 2 * r + 1))


def band_iou(kept: np.ndarray, truth: np.ndarray) -> float:
    """IoU outside a band of 1 % of the character's height around the mask's edge (as cutscore.py)."""
    ys = np.nonzero(truth.any(1))[0]
    rad = max(2, round(0.01 * (ys[-1] - ys[0] + 1))) if len(ys) else 2
    t8 = truth.astype(np.uint8)
    band = (cv2.dilate(t8, _disk(rad)) > 0) & ~(cv2.erode(t8, _disk(rad)) > 0)
    k, tr = kept & ~band, truth & ~band
    return float((k & tr).sum() / max((k | tr).sum(), 1))


def uploads(seeds: int) -> list[dict]:
    rows = []
    for d in sorted((SHARED / "rig").iterdir()):
        rgb0 = np.asarray(Image.open(d / "texture.png").convert("RGB"))
        m0 = np.asarray(Image.open(d / "mask.png").convert("L")) > 127
        cases = [("as-is", rgb0, m0)]
        for name, fn in {**CLEAN, **HARD}.items():
            for s in range(seeds):
                rng = np.random.default_rng(1000 * s + len(name))
                rgb, m = fn(rgb0, m0, rng)
                cases.append((f"{name}{s}", rgb, m))
        for name, rgb, m in cases:
            cut = cut_out(rgb)
            alpha = cut.rgba[..., 3]
            stop = judge_kept(alpha)
            warned = cut.warning is not None or stop is not None
            rows.append(
                {
                    "source": "upload",
                    "item": f"{d.name}/{name}",
                    "iou": band_iou(alpha > 127, m),
                    "confidence": cut.confidence,
                    "warned": warned,
                    "kind": cut.kind,
                    "why": stop or cut.warning or "",
                }
            )
    return rows


def _truth_alpha(path: Path, size: tuple[int, int]) -> list[np.ndarray]:
    z = np.load(path)
    small, (oy, ox), char = z["rgba"], z["offset"], int(z["char"])
    out = []
    for f in small:
        full = np.zeros((size[1], size[0]), np.uint8)
        a = cv2.resize(f[..., 3], (char, char), interpolation=cv2.INTER_CUBIC)
        full[oy : oy + char, ox : ox + char] = np.clip(a, 0, 255).astype(np.uint8)
        out.append(full)
    return out


def _clip_rows(source: str, scored: list[tuple[str, float, float]], warning: str | None) -> list[dict]:
    """One row per scored frame (item, IoU against the truth, confidence) of a matted clip."""
    return [
        {
            "source": source,
            "item": item,
            "iou": iou,
            "confidence": c,
            "warned": c < LOW_CONFIDENCE,
            "kind": "clip",
            "why": warning or "",
        }
        for item, iou, c in scored
    ]


def _iou(p: np.ndarray, t: np.ndarray) -> float:
    return float((p & t).sum() / max((p | t).sum(), 1))


def clips(limit: int, every: int) -> list[dict]:
    meta = json.loads((SHARED / "matte" / "clips.json").read_text())["clips"]
    rows = []
    for cid in sorted(meta)[:limit]:
        frames, _ = decode_frames(SHARED / "matte" / meta[cid]["video"])
        truth = _truth_alpha(SHARED / "matte" / meta[cid]["truth"], (frames[0].shape[1], frames[0].shape[0]))
        res = matte_clip(frames)
        scored = [
            (f"{cid}/{i}", _iou(res.cutouts[i][..., 3] > 127, truth[i] > 127), res.confidence[i])
            for i in range(0, len(frames), every)
        ]
        rows += _clip_rows("clip", scored, res.warning)
    return rows


def _reference(rgb: np.ndarray) -> np.ndarray:
    """realscore.py's rough silhouette: far from the border colour, border-connected background out."""
    a = rgb.astype(np.int16)
    border = np.concatenate(
        [a[:4].reshape(-1, 3), a[-4:].reshape(-1, 3), a[:, :4].reshape(-1, 3), a[:, -4:].reshape(-1, 3)]
    )
    d = np.abs(a - np.median(border, 0)).max(-1)
    _, lab = cv2.connectedComponents((d < 20).astype(np.uint8), connectivity=4)
    edge = np.unique(np.concatenate([lab[0], lab[-1], lab[:, 0], lab[:, -1]]))
    return ~np.isin(lab, edge[edge > 0])


def real() -> list[dict]:
    srcs = [
        np.asarray(Image.open(p).convert("RGB"))
        for p in sorted((SHARED / "real" / "wave").glob("frame_*.png"))
    ]
    if not srcs:
        return []
    with tempfile.TemporaryDirectory() as td:  # encoded and decoded, as a service returns them
        frames, _ = decode_frames(encode_mp4(srcs, Path(td) / "wave.mp4", fps=12))
    h, w = frames[0].shape[:2]
    res = matte_clip(frames)
    scored = [
        (f"wave/{i + 1}", _iou(cut[..., 3] > 127, _reference(src[:h, :w])), res.confidence[i])
        for i, (src, cut) in enumerate(zip(srcs, res.cutouts, strict=True))
    ]
    return _clip_rows("real", scored, res.warning)


def table(rows: list[dict]) -> bool:
    bins = [
        ("IoU < 0.80", lambda v: v < 0.8),
        ("0.80-0.95", lambda v: 0.8 <= v <= 0.95),
        ("> 0.95", lambda v: v > 0.95),
    ]
    print(f"\n{'source':8s} {'IoU':12s} {'cut-outs':>8s} {'warned':>7s} {'share':>6s}")
    for src in ("upload", "clip", "real", "all"):
        sel = [r for r in rows if src in ("all", r["source"])]
        for label, ok in bins:
            b = [r for r in sel if ok(r["iou"])]
            w = sum(r["warned"] for r in b)
            share = f"{100 * w / len(b):5.1f}%" if b else "     -"
            print(f"{src:8s} {label:12s} {len(b):8d} {w:7d} {share}")
    bad = [r for r in rows if r["iou"] < 0.8]
    good = [r for r in rows if r["iou"] > 0.95]
    silent = [r for r in bad if not r["warned"]]
    false = [r for r in good if r["warned"]]
    for r in silent:
        print(
            f"  SILENT  {r['source']:6s} {r['item']:28s} IoU {r['iou']:.3f} confidence {r['confidence']:.2f}"
        )
    for r in false:
        print(
            f"  FALSE   {r['source']:6s} {r['item']:28s} IoU {r['iou']:.3f} "
            f"confidence {r['confidence']:.2f}  {r['why'][:60]}"
        )
    share = len(false) / max(len(good), 1)
    held = not silent and share <= 0.05
    print(
        f"\nrule: every cut-out with IoU < 0.8 warns: {len(bad) - len(silent)}/{len(bad)}; "
        f"of those > 0.95, {100 * share:.1f}% warn (at most 5%): {'HELD' if held else 'NOT HELD'}"
    )
    return held


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", type=int, default=2)
    ap.add_argument("--clips", type=int, default=60)
    ap.add_argument("--every", type=int, default=3)
    ap.add_argument("--skip", default="", help="comma-separated sources to skip: upload,clip,real")
    ap.add_argument("--json")
    a = ap.parse_args()
    rows: list[dict] = []
    t0 = time.perf_counter()
    skip = set(a.skip.split(","))
    if "upload" not in skip:
        rows += uploads(a.seeds)
        for r in rows:
            print(
                f"{r['item']:28s} {r['kind']:8s} IoU {r['iou']:.3f} conf {r['confidence']:.2f} "
                f"{'WARN' if r['warned'] else '    '} {r['why'][:70]}"
            )
    if "clip" not in skip:
        rows += clips(a.clips, a.every)
    if "real" not in skip:
        rows += real()
    held = table(rows)
    print(f"{len(rows)} cut-outs in {time.perf_counter() - t0:.0f} s")
    if a.json:
        Path(a.json).write_text(json.dumps(rows, indent=1))
    return 0 if held else 1


if __name__ == "__main__":
    sys.exit(main())
