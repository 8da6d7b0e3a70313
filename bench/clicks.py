"""Click-simulation benchmark for the interactive segmenters (issue 3 part B).

Protocol (the standard one of interactive segmentation papers): start from no mask; each next click
goes to the interior point (maximum of the distance transform) of the largest error region, positive
when that region is missed foreground, negative when it is false foreground. All clicks so far are
given together. NoC@90 / NoC@95 = mean number of clicks to reach IoU 0.90 / 0.95 (capped at 20, a
frame that never gets there counts 20). Latency per click (median, p95; wall and CPU time, since a
busy shared machine inflates wall time) and prepare time per frame.

usage: python bench/clicks.py [DATA_DIR] [--backend classical|sam2|all] [--frames 1] [--all] [--only S]
                              [--limit N] [--sam-random] [--json FILE]
Default: the middle frame of each of the 60 clips (a few minutes on two cores); --all scores every frame.
SAM 2 runs only when POPCON_SAM_WEIGHTS is set; with --sam-random it builds SAM 2.1 tiny with random
weights (latency only, its NoC means nothing).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import av
import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from popcon.settings import Settings  # noqa: E402
from popcon.vision.segment.base import Click, Segmenter  # noqa: E402
from popcon.vision.segment.registry import get_segmenter  # noqa: E402

DEFAULT_DATA = ROOT.parent / "shared" / "bench" / "matte"
CAP = 20


def truth_alpha(path: Path, size: tuple[int, int], index: list[int]) -> dict[int, np.ndarray]:
    """Same reconstruction as shared/bench/score.py `truth_frames`, only for the frames asked."""
    z = np.load(path)
    small, (oy, ox), char = z["rgba"], z["offset"], int(z["char"])
    w, h = size
    out = {}
    for i in index:
        full = np.zeros((h, w), np.uint8)
        a = cv2.resize(small[i], (char, char), interpolation=cv2.INTER_CUBIC).clip(0, 255).astype(np.uint8)
        full[oy : oy + char, ox : ox + char] = a[..., 3]
        out[i] = full > 127
    return out


def decode(video: Path, index: list[int]) -> dict[int, np.ndarray]:
    want, out = set(index), {}
    with av.open(str(video)) as c:
        for i, f in enumerate(c.decode(video=0)):
            if i in want:
                out[i] = f.to_ndarray(format="rgb24")
    return out


def next_click(pred: np.ndarray, gt: np.ndarray) -> Click:
    """Interior point of the largest error region (missed fg -> positive, false fg -> negative)."""
    best: tuple[float, int, int, bool] = (-1.0, 0, 0, True)
    for positive, err in ((True, gt & ~pred), (False, pred & ~gt)):
        if not err.any():
            continue
        e = np.pad(err, 1).astype(np.uint8)  # the image border counts as outside the region
        dt = cv2.distanceTransform(e, cv2.DIST_L2, 5)[1:-1, 1:-1]
        i = int(dt.argmax())
        if dt.flat[i] > best[0]:
            best = (float(dt.flat[i]), i % gt.shape[1], i // gt.shape[1], positive)
    return Click(float(best[1]), float(best[2]), best[3])


def iou(a: np.ndarray, b: np.ndarray) -> float:
    u = (a | b).sum()
    return float((a & b).sum() / u) if u else 1.0


def run_frame(seg: Segmenter, rgb: np.ndarray, gt: np.ndarray, key: str) -> dict:
    t0 = time.perf_counter()
    prep = seg.prepare(rgb, key=key)
    t_prep = time.perf_counter() - t0
    pred = np.zeros_like(gt)
    clicks: list[Click] = []
    ious, lat, cpu = [], [], []
    for _ in range(CAP):
        clicks.append(next_click(pred, gt))
        t0, c0 = time.perf_counter(), time.process_time()
        mask = seg.predict(prep, clicks)
        lat.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
        pred = mask > 0.5
        ious.append(iou(pred, gt))
        if ious[-1] >= 0.95:
            break
    noc = {}
    for thr in (0.90, 0.95):
        hit = [i for i, v in enumerate(ious) if v >= thr]
        noc[thr] = hit[0] + 1 if hit else CAP
    return dict(noc90=noc[0.90], noc95=noc[0.95], ious=ious, lat=lat, cpu=cpu, prep=t_prep)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("data", nargs="?", default=str(DEFAULT_DATA))
    ap.add_argument("--backend", default="all", help="classical, sam2 or all (those available)")
    ap.add_argument("--frames", type=int, default=1, help="frames per clip, spread evenly (default 1)")
    ap.add_argument("--all", action="store_true", help="every frame of every clip")
    ap.add_argument("--only", default="", help="clips whose name contains this")
    ap.add_argument("--limit", type=int, default=0, help="at most this many frames per backend (0: no limit)")
    ap.add_argument("--sam-random", action="store_true", help="SAM 2.1 tiny with random weights")
    ap.add_argument("--json", help="write the numbers here")
    a = ap.parse_args()
    cv2.setNumThreads(2)

    data = Path(a.data)
    meta = json.loads((data / "clips.json").read_text())
    size = tuple(meta["size"])
    settings = Settings()
    backends: list[str] = []
    if a.backend in ("classical", "all"):
        backends.append("classical")
    if a.backend in ("sam2", "all") and (settings.sam_weights or a.sam_random):
        backends.append("sam2")
    tmp = tempfile.TemporaryDirectory()
    if "sam2" in backends and a.sam_random and not settings.sam_weights:
        from popcon.vision.segment.sam2 import write_random_weights

        settings = Settings(sam_weights=write_random_weights(Path(tmp.name) / "sam2.1_t.pt"))

    summary = {}
    for backend in backends:
        seg = get_segmenter(settings, backend)
        rows = []
        print(f"\n== {backend} ==")
        for name, clip in meta["clips"].items():
            if a.only not in name:
                continue
            n = meta.get("frames", 24)
            if a.all:
                index = list(range(n))
            else:
                index = sorted({round((k + 0.5) * n / a.frames) for k in range(a.frames)})
            frames = decode(data / clip["video"], index)
            truth = truth_alpha(data / clip["truth"], size, index)  # type: ignore[arg-type]
            for i in index:
                if a.limit and len(rows) >= a.limit:
                    break
                r = run_frame(seg, frames[i], truth[i], key=f"{name}/{i}")
                r.update(clip=name, frame=i, bg=clip["background"])
                rows.append(r)
                print(
                    f"{name:24s} f{i:02d}  NoC90 {r['noc90']:2d}  NoC95 {r['noc95']:2d}  "
                    f"IoU@1 {r['ious'][0]:.3f}  IoU@3 {r['ious'][min(2, len(r['ious']) - 1)]:.3f}  "
                    f"prep {1000 * r['prep']:4.0f} ms  click {1000 * np.median(r['lat']):4.0f} ms",
                    flush=True,
                )
        lat = np.concatenate([r["lat"] for r in rows]) * 1000
        cpu = np.concatenate([r["cpu"] for r in rows]) * 1000
        s = dict(
            frames=len(rows),
            noc90=float(np.mean([r["noc90"] for r in rows])),
            noc95=float(np.mean([r["noc95"] for r in rows])),
            click_ms_median=float(np.median(lat)),
            click_ms_p95=float(np.percentile(lat, 95)),
            click_cpu_ms_median=float(np.median(cpu)),
            click_cpu_ms_p95=float(np.percentile(cpu, 95)),
            prepare_ms_median=float(np.median([r["prep"] for r in rows]) * 1000),
            clicks=len(lat),
        )
        summary[backend] = s
        print("\nby background:")
        for bg in sorted({r["bg"] for r in rows}):
            rs = [r for r in rows if r["bg"] == bg]
            print(
                f"  {bg:10s} NoC@90 {np.mean([r['noc90'] for r in rs]):5.2f}  "
                f"NoC@95 {np.mean([r['noc95'] for r in rs]):5.2f}"
            )
        note = "  (random weights: latency only)" if backend == "sam2" and a.sam_random else ""
        note += f"  [load avg {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores]"
        print(
            f"{backend}: {s['frames']} frames  NoC@90 {s['noc90']:.2f}  NoC@95 {s['noc95']:.2f}  "
            f"click median {s['click_ms_median']:.0f} ms  p95 {s['click_ms_p95']:.0f} ms  "
            f"prepare median {s['prepare_ms_median']:.0f} ms{note}\n"
            f"{backend}: CPU time per click (all threads; the wall time of an idle machine is at most this "
            f"with 2+ threads): median {s['click_cpu_ms_median']:.0f} ms  p95 {s['click_cpu_ms_p95']:.0f} ms"
        )
    if a.json:
        Path(a.json).write_text(json.dumps(summary, indent=1))
    tmp.cleanup()
    if not backends:
        print("no backend to run")


if __name__ == "__main__":
    main()
