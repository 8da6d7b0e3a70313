#!/usr/bin/env python3
"""Export benchmark: every platform preset on the same frames, beside the pngquant + apngasm route.

Why: issue 4 item 6. For each preset it prints file size, encode time and quality (PSNR and
SSIM of every exported frame composited on white and on #1e1e1e, against the source cut-out at
the same size, same frames). For LINE (emoji and sticker) it also runs what a practitioner does
with Debian tools: pngquant on each frame, apngasm to assemble, fewer colours until the file is
under the 300 KB budget; our files must be at least as good (PSNR) and no larger. For Telegram
(WebM) it encodes the same frames with FFmpeg's libvpx-vp9 at its default settings (through PyAV,
as `ffmpeg -c:v libvpx-vp9 -b:v RATE` would), the rate tuned until the file is as large as ours but
not larger; ours must be at least as good there too. It also counts background alpha specks:
pixels transparent in the source but visible (alpha > 0) in the decoded file.

Frames come from the matte benchmark's ground truth (`../shared/bench/matte/truth/*.npz`, read
as shared/bench/score.py does) or from a folder of RGBA PNGs (`--frames DIR`, e.g. a job's cut-outs).

usage: python bench/export.py [--clips 1f600,1f47b,1f525] [--presets line-emoji,...] [--frames DIR]
                              [--seconds 1] [--json FILE]
Needs `pngquant` and `apngasm` on PATH for the comparison (apt-get install pngquant apngasm).
"""

from __future__ import annotations

import argparse
import io
import json
import shutil
import subprocess
import sys
import tempfile
import time
from fractions import Fraction
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from popcon.domain.exports import EncodeKnobs  # noqa: E402
from popcon.domain.platforms import PlatformPreset, load_platforms  # noqa: E402
from popcon.media.budget import select_frames  # noqa: E402
from popcon.media.canvas import fit_frames, resize_premultiplied  # noqa: E402
from popcon.media.formats import validate_bytes  # noqa: E402
from popcon.media.validate import failures, parse_webm  # noqa: E402
from popcon.pipeline.export import ExportInput, encode_action  # noqa: E402

TRUTH = REPO.parent / "shared" / "bench" / "matte" / "truth"
WHITE, DARK = (255.0, 255.0, 255.0), (30.0, 30.0, 30.0)  # #1e1e1e
DEFAULT_CLIPS = "1f600,1f47b,1f525"
LINE_IDS = ("line-emoji", "line-sticker")
WEBM_IDS = ("telegram-video-sticker", "telegram-emoji")


def truth_cutout(path: Path) -> list[np.ndarray]:
    """The exact RGBA character of every frame at its size in the clip (as score.py builds it)."""
    z = np.load(path)
    char = int(z["char"])
    return [
        cv2.resize(f, (char, char), interpolation=cv2.INTER_CUBIC).clip(0, 255).astype(np.uint8)
        for f in z["rgba"]
    ]


def folder_frames(folder: Path) -> list[np.ndarray]:
    return [np.asarray(Image.open(p).convert("RGBA")) for p in sorted(folder.glob("*.png"))]


def decode_any(data: bytes) -> list[np.ndarray]:
    """RGBA frames of an APNG / GIF (Pillow composites disposal) or a WebM (libvpx, alpha kept)."""
    if data[:4] == b"\x1a\x45\xdf\xa3":
        return parse_webm(data).frames
    out = []
    with Image.open(io.BytesIO(data)) as im:
        for i in range(getattr(im, "n_frames", 1)):
            im.seek(i)
            out.append(np.asarray(im.convert("RGBA")).copy())
    return out


def composite(rgba: np.ndarray, bg: tuple[float, float, float]) -> np.ndarray:
    a = rgba[..., 3:4].astype(np.float64) / 255.0
    return rgba[..., :3].astype(np.float64) * a + np.asarray(bg) * (1.0 - a)


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = float(((a - b) ** 2).mean())
    return 99.0 if mse == 0 else min(99.0, 10.0 * np.log10(255.0**2 / mse))


def ssim(a: np.ndarray, b: np.ndarray) -> float:
    """Mean SSIM of the luma (Gaussian window 11, sigma 1.5, the usual constants)."""
    w = np.array([0.299, 0.587, 0.114])
    x, y = a @ w, b @ w
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
    blur = lambda m: cv2.GaussianBlur(m, (11, 11), 1.5)  # noqa: E731
    mx, my = blur(x), blur(y)
    sxx, syy, sxy = blur(x * x) - mx * mx, blur(y * y) - my * my, blur(x * y) - mx * my
    s = ((2 * mx * my + c1) * (2 * sxy + c2)) / ((mx * mx + my * my + c1) * (sxx + syy + c2))
    return float(s.mean())


def quality(out: list[np.ndarray], ref: list[np.ndarray]) -> dict[str, float]:
    """PSNR / SSIM on white and on #1e1e1e, averaged over frames (output cropped to the reference)."""
    vals: dict[str, list[float]] = {"psnr_white": [], "psnr_dark": [], "ssim_white": [], "ssim_dark": []}
    for o, r in zip(out, ref, strict=False):
        o = o[: r.shape[0], : r.shape[1]]
        for name, bg in (("white", WHITE), ("dark", DARK)):
            co, cr = composite(o, bg), composite(r, bg)
            vals[f"psnr_{name}"].append(psnr(co, cr))
            vals[f"ssim_{name}"].append(ssim(co, cr))
    return {k: round(float(np.mean(v)), 3 if k.startswith("ssim") else 2) for k, v in vals.items()}


def specks(out: list[np.ndarray], ref: list[np.ndarray]) -> tuple[float, int]:
    """Mean visible pixels per frame where the source is fully transparent, and their highest alpha."""
    counts, peak = [], 0
    for o, r in zip(out, ref, strict=False):
        o = o[: r.shape[0], : r.shape[1]]
        bg = (r[..., 3] == 0) & (o[..., 3] > 0)
        counts.append(int(bg.sum()))
        peak = max(peak, int(o[..., 3][bg].max()) if bg.any() else 0)
    return round(float(np.mean(counts)), 1) if counts else 0.0, peak


def reference(
    frames: list[np.ndarray], preset: PlatformPreset, knobs: EncodeKnobs, size: tuple[int, int]
) -> list:
    canvas = fit_frames(frames, preset.canvas, preset.margin_px)
    picks = [canvas[i] for i in knobs.source_frames]
    w, h = size
    if picks and (picks[0].shape[1], picks[0].shape[0]) != (w, h):
        ch, cw = picks[0].shape[:2]
        if (cw + cw % 2, ch + ch % 2) != (w, h):  # scaled by the budget search, not WebM's even padding
            picks = [resize_premultiplied(f, (w, h)) for f in picks]
    return picks


def ours(frames: list[np.ndarray], preset: PlatformPreset, seconds: int) -> dict:
    t0 = time.perf_counter()
    data, knobs, _, _ = encode_action(ExportInput("bench", "bench", frames, seconds), preset)
    secs = time.perf_counter() - t0
    out = decode_any(data)
    ref = reference(frames, preset, knobs, (out[0].shape[1], out[0].shape[0]))
    valid = not failures(validate_bytes(data, preset))
    knob = f"crf {knobs.crf}" if knobs.crf is not None else f"{knobs.colours} col"
    speck_px, speck_max = specks(out, ref)
    if knobs.scale != 1.0:
        knob += f" x{knobs.scale}"
    return {
        "route": "popcon",
        "bytes": len(data),
        "seconds": round(secs, 2),
        "frames": len(out),
        "knob": knob,
        "valid": valid,
        "specks": f"{speck_px}/{speck_max}",
        "ref": ref,
        "picks_seconds": knobs.seconds,
        **quality(out, ref),
    }


def ffmpeg_vp9(clip: list[np.ndarray], seconds: float, rate: int) -> bytes:
    """FFmpeg's libvpx-vp9 with its default settings at bit rate `rate`, yuva420p, same timestamps."""
    import av

    buf = io.BytesIO()
    n = len(clip)
    with av.open(buf, "w", format="webm") as out:
        st = out.add_stream("libvpx-vp9", rate=Fraction(n * 1000, round(seconds * 1000)))
        st.height, st.width = clip[0].shape[:2]
        st.pix_fmt = "yuva420p"
        st.bit_rate = rate
        st.codec_context.time_base = Fraction(1, 1000)
        for i, f in enumerate(clip):
            vf = av.VideoFrame.from_ndarray(np.ascontiguousarray(f), format="rgba").reformat(
                format="yuva420p"
            )
            vf.pts, vf.time_base = i * round(seconds * 1000) // n, Fraction(1, 1000)
            for pkt in st.encode(vf):
                out.mux(pkt)
        for pkt in st.encode():
            out.mux(pkt)
    return buf.getvalue()


def ffmpeg_route(ref: list[np.ndarray], preset: PlatformPreset, seconds: float, target: int) -> dict:
    """The same frames through FFmpeg's VP9 at the largest rate whose file is not larger than `target`."""
    t0 = time.perf_counter()
    even = [np.pad(f, ((0, f.shape[0] % 2), (0, f.shape[1] % 2), (0, 0))) for f in ref]
    rate = int(target * 8 / seconds)
    best: bytes | None = None
    smallest: bytes | None = None
    for _ in range(5):
        data = ffmpeg_vp9(even, seconds, rate)
        if smallest is None or len(data) < len(smallest):
            smallest = data
        if len(data) <= target and (best is None or len(data) > len(best)):
            best = data
        if best is not None and len(best) >= 0.98 * target:
            break
        rate = int(rate * (0.99 * target / len(data)))
    data = best or smallest
    assert data is not None
    out = decode_any(data)
    speck_px, speck_max = specks(out, ref)
    return {
        "route": "ffmpeg libvpx-vp9",
        "bytes": len(data),
        "seconds": round(time.perf_counter() - t0, 2),
        "frames": len(out),
        "knob": f"{rate // 1000} kbit/s",
        "valid": not failures(validate_bytes(data, preset)),
        "specks": f"{speck_px}/{speck_max}",
        **quality(out, ref),
    }


def debian_route(frames: list[np.ndarray], preset: PlatformPreset, seconds: int, tmp: Path) -> dict:
    """pngquant each frame (default settings: dithered, per-frame palette), apngasm to assemble.

    Colours 256, 128, 64, ... until the file fits the budget, as a person would retry by hand.
    """
    canvas = fit_frames(frames, preset.canvas, preset.margin_px)
    n = min(max(len(canvas), preset.frames.min), preset.frames.max)
    picks = select_frames(len(canvas), n)
    clip = [canvas[i] for i in picks]
    loops = preset.loops_for(seconds)
    t0 = time.perf_counter()
    best: tuple[bytes, int] | None = None
    for colours in (256, 128, 64, 32, 16):
        work = tmp / f"q{colours}"
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir()
        for i, f in enumerate(clip):
            Image.fromarray(f, "RGBA").save(work / f"src{i:03d}.png")
        qs = [f"q{i:03d}.png" for i in range(len(clip))]
        for i, q in enumerate(qs):  # apngasm reads a numbered sequence: q000.png, q001.png, ...
            cmd = ["pngquant", "--force", "--output", q, str(colours), f"src{i:03d}.png"]
            subprocess.run(cmd, cwd=work, check=True)
        cmd = ["apngasm", "out.png", *qs, str(seconds), str(n), f"-l{loops}"]
        subprocess.run(cmd, cwd=work, check=True, stdout=subprocess.DEVNULL)
        data = (work / "out.png").read_bytes()
        best = (data, colours)
        if len(data) <= preset.max_bytes:
            break
    secs = time.perf_counter() - t0
    assert best is not None
    data, colours = best
    out = decode_any(data)
    results = validate_bytes(data, preset)
    return {
        "route": "pngquant+apngasm",
        "bytes": len(data),
        "seconds": round(secs, 2),
        "frames": len(out),
        "knob": f"{colours} col",
        "valid": not failures(results),
        "specks": "-",
        "broken_rules": [r.rule for r in failures(results)],
        **quality(out, clip[: len(out)] if len(out) == len(clip) else clip),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--clips", default=DEFAULT_CLIPS, help="truth ids from the matte benchmark, comma-separated"
    )
    ap.add_argument("--frames", type=Path, help="a folder of RGBA PNG frames instead of the truth clips")
    ap.add_argument("--presets", default="", help="preset ids, comma-separated (default: all)")
    ap.add_argument(
        "--seconds", type=int, default=1, help="loop length (the truth clips are 24 frames = 1 s)"
    )
    ap.add_argument("--json", type=Path, help="keep every number in this JSON file")
    ap.add_argument(
        "--no-ffmpeg", action="store_true", help="skip the FFmpeg VP9 comparison (slow at 512 px)"
    )
    a = ap.parse_args(argv)
    presets = load_platforms()
    ids = [p for p in a.presets.split(",") if p] or list(presets)
    sources = (
        {a.frames.name: folder_frames(a.frames)}
        if a.frames
        else {c: truth_cutout(TRUTH / f"{c}.npz") for c in a.clips.split(",") if c}
    )
    have_tools = bool(shutil.which("pngquant") and shutil.which("apngasm"))
    if not have_tools:
        print("pngquant/apngasm not found: comparison skipped (apt-get install pngquant apngasm)")
    rows: list[dict] = []
    with tempfile.TemporaryDirectory() as tmp:
        for clip_id, frames in sources.items():
            for pid in ids:
                r = ours(frames, presets[pid], a.seconds)
                ref, secs = r.pop("ref"), r.pop("picks_seconds")
                rows.append({"clip": clip_id, "preset": pid, **r})
                print(f"  {clip_id} {pid}: {r['bytes']} B in {r['seconds']} s", file=sys.stderr, flush=True)
                if pid in WEBM_IDS and not a.no_ffmpeg:
                    rows.append(
                        {"clip": clip_id, "preset": pid, **ffmpeg_route(ref, presets[pid], secs, r["bytes"])}
                    )
                if pid in LINE_IDS and have_tools:
                    d = debian_route(frames, presets[pid], a.seconds, Path(tmp))
                    rows.append({"clip": clip_id, "preset": pid, **d})
    cols = ["clip", "preset", "route", "knob", "frames", "bytes", "seconds"]
    cols += ["psnr_white", "psnr_dark", "ssim_white", "ssim_dark", "specks", "valid"]
    widths = {c: max(len(c), *(len(str(r[c])) for r in rows)) for c in cols}
    print(" | ".join(c.ljust(widths[c]) for c in cols))
    print("-|-".join("-" * widths[c] for c in cols))
    for r in rows:
        print(" | ".join(str(r[c]).ljust(widths[c]) for c in cols))
    verdicts = []
    for clip_id in sources:
        for pid in LINE_IDS:
            pair = [r for r in rows if r["clip"] == clip_id and r["preset"] == pid]
            if len(pair) != 2:
                continue
            us, them = pair
            ok = (
                us["bytes"] <= max(them["bytes"], 0)
                or not them["valid"]
                or them["bytes"] > presets[pid].max_bytes
            )
            q_ok = min(us["psnr_white"] - them["psnr_white"], us["psnr_dark"] - them["psnr_dark"]) >= 0
            verdicts.append(ok and q_ok and us["valid"])
            print(
                f"{clip_id} {pid}: popcon {us['bytes']} B, PSNR {us['psnr_white']}/{us['psnr_dark']} dB vs "
                f"pngquant+apngasm {them['bytes']} B, PSNR {them['psnr_white']}/{them['psnr_dark']} dB"
                f"{'' if them['valid'] else ' (theirs breaks: ' + ', '.join(them['broken_rules']) + ')'}"
                f" -> {'OK' if ok and q_ok else 'WORSE'}"
            )
    for clip_id in sources:
        for pid in WEBM_IDS:
            pair = [r for r in rows if r["clip"] == clip_id and r["preset"] == pid]
            if len(pair) != 2:
                continue
            us, them = pair
            q_ok = min(us["psnr_white"] - them["psnr_white"], us["psnr_dark"] - them["psnr_dark"]) >= 0
            ok = us["valid"] and q_ok and us["bytes"] <= presets[pid].max_bytes
            verdicts.append(ok)
            used = us["bytes"] / presets[pid].max_bytes
            print(
                f"{clip_id} {pid}: popcon {us['bytes']} B ({used:.0%} of budget), "
                f"PSNR {us['psnr_white']}/{us['psnr_dark']} dB, specks {us['specks']} vs ffmpeg VP9 "
                f"{them['bytes']} B, PSNR {them['psnr_white']}/{them['psnr_dark']} dB, "
                f"specks {them['specks']} -> {'OK' if ok else 'WORSE'}"
            )
    if a.json:
        a.json.write_text(json.dumps(rows, indent=2))
    return 0 if all(verdicts) else 1


if __name__ == "__main__":
    raise SystemExit(main())
