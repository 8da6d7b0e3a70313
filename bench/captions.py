#!/usr/bin/env python3
"""Captions benchmark: a set captioned in ja, ko and en through every sticker preset, checked and shown.

Why: issue 24 items 1 and 3. For each sticker preset it exports the same set with captions and without,
runs every file through the preset's validator (what `popcon validate` prints), and prints files, rule
failures, bytes (mean and max, with and without captions) and encode time. It writes a contact sheet of
the LINE sticker set (frame 0, the store's still, and a mid-loop frame) on a light and a dark chat
background, to look at: is the caption readable on both, and off the face?

Frames come from a job's cut-outs (`--job DATA/jobs/<id>`, the rig's head protected as at export) or,
by default, from the shared sample characters rocking on a loop (no rig: the whole character is kept
free of the caption).

usage: python bench/captions.py [--job DIR] [--langs ja,ko,en] [--presets line-sticker,...] [--out DIR]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image, ImageSequence

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from popcon.domain.captions import CaptionOptions, caption_for  # noqa: E402
from popcon.domain.platforms import get_platform, load_platforms  # noqa: E402
from popcon.media.formats import validate_file  # noqa: E402
from popcon.media.validate import failures  # noqa: E402
from popcon.pipeline.captions import rig_head  # noqa: E402
from popcon.pipeline.export import ExportInput, export_set  # noqa: E402
from popcon.store.files import JobFiles, read_frames  # noqa: E402

SAMPLES = REPO.parent / "shared" / "samples"
SAMPLE_ACTIONS = {"fox": "wave", "frog": "bow", "panda": "love", "mage": "happy"}


def _rocking(name: str, n: int = 16, size: int = 320) -> list[np.ndarray]:
    im = Image.open(SAMPLES / f"{name}.png").convert("RGBA").resize((size, size), Image.Resampling.LANCZOS)
    out = []
    for i in range(n):
        ph = 2 * np.pi * i / n
        r = im.rotate(10 * np.sin(ph), Image.Resampling.BICUBIC, translate=(0, -16 * abs(np.sin(ph))))
        out.append(np.asarray(r).copy())
    return out


def _clips(job: Path | None) -> tuple[list[tuple[str, list[np.ndarray], int]], tuple[float, float] | None]:
    """(action, frames, seconds) per action, and the rig's head span when a job gives one."""
    if job is None:
        return [(action, _rocking(name), 2) for name, action in SAMPLE_ACTIONS.items()], None
    files = JobFiles(job.parent.parent, job.name)
    clips = []
    for folder in sorted((job / "actions").iterdir()):
        frames = read_frames(folder / "cutouts")
        clips.append((folder.name.split("-", 1)[1], frames, 2 if len(frames) > 12 else 1))
    return clips, rig_head(files)


def _inputs(clips, head, langs: list[str], kind: str, captions: bool) -> list[ExportInput]:  # type: ignore[no-untyped-def]
    out = []
    for lang in langs:
        for action, frames, seconds in clips:
            caption = (
                caption_for(CaptionOptions(lang=lang, on_emoji=True), action, kind, head)
                if captions
                else None
            )
            out.append(
                ExportInput(f"{action}-{lang}", f"{action} ({lang})", frames, seconds, caption=caption)
            )
    return out


def _frames_of(path: Path) -> list[Image.Image]:
    with Image.open(path) as im:
        return [f.convert("RGBA").copy() for f in ImageSequence.Iterator(im)]


def contact_sheet(files: list[Path], target: Path) -> None:
    """Frame 0 and a mid-loop frame of each file, on a light and a dark chat background."""
    tiles = [(fs[0], fs[len(fs) // 2]) for fs in (_frames_of(p) for p in files)]
    w = max(t[0].width for t in tiles) + 8
    h = max(t[0].height for t in tiles) + 8
    cols = 4
    rows = (len(tiles) + cols - 1) // cols
    sheet = Image.new("RGBA", (2 * cols * w * 2 + 24, rows * h), (128, 128, 128, 255))
    for half, bg in enumerate(((255, 255, 255, 255), (30, 31, 34, 255))):
        for k, pair in enumerate(tiles):
            for j, frame in enumerate(pair):
                x = half * (2 * cols * w + 24) + ((k % cols) * 2 + j) * w
                tile = Image.new("RGBA", (w, h), bg)
                tile.alpha_composite(frame, ((w - frame.width) // 2, (h - frame.height) // 2))
                sheet.paste(tile, (x, (k // cols) * h))
    sheet.save(target)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--job", type=Path, help="a job folder (DATA/jobs/<id>) whose cut-outs to caption")
    ap.add_argument("--langs", default="ja,ko,en")
    stickers = [p.id for p in load_platforms().values() if p.implemented and p.kind == "sticker"]
    ap.add_argument("--presets", default=",".join(stickers))
    ap.add_argument("--out", type=Path, default=Path(tempfile.gettempdir()) / "popcon-captions-bench")
    args = ap.parse_args()
    clips, head = _clips(args.job)
    langs = [x for x in args.langs.split(",") if x]
    args.out.mkdir(parents=True, exist_ok=True)
    print(f"{len(clips)} actions x {len(langs)} languages ({','.join(langs)}); rig head span: {head}")
    print(f"{'preset':24} {'files':>5} {'fail':>4} {'mean B':>8} {'max B':>8} {'bare mean B':>11} {'s':>6}")
    for preset_id in args.presets.split(","):
        preset = get_platform(preset_id)
        row = {}
        for captioned in (True, False):
            t0 = time.perf_counter()
            report = export_set(
                _inputs(clips, head, langs, preset.kind, captioned),
                preset_id,
                args.out / ("captioned" if captioned else "bare"),
            )
            secs = time.perf_counter() - t0
            sizes = [f.bytes for f in report.files]
            bad = sum(
                bool(failures(validate_file(report.directory / f.file_name, preset))) for f in report.files
            )
            row[captioned] = (len(report.files), bad, np.mean(sizes), max(sizes), secs, report)
        n, bad, mean, biggest, secs, report = row[True]
        print(f"{preset_id:24} {n:5d} {bad:4d} {mean:8.0f} {biggest:8d} {row[False][2]:11.0f} {secs:6.1f}")
        if report.failed:
            print(f"  left out (over budget): {[f.action_id for f in report.failed]}")
        if preset_id == "line-sticker":
            sheet = args.out / "line-sticker-captions.png"
            contact_sheet([report.directory / f.file_name for f in report.files], sheet)
            print(f"  contact sheet (light | dark): {sheet}")


if __name__ == "__main__":
    main()
