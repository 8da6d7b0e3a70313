#!/usr/bin/env python3
"""Contact sheets of a clip's cut-outs on a dark (40,40,48) and a magenta background, to look at.

usage: python bench/matte_sheet.py FRAMES_DIR_OR_VIDEO --out test-artifacts/wave [--crf 18]
A folder of frame_*.png is encoded to H.264 first (as realscore.py does), so the sheet shows what the
matte makes of a service's clip.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import av
import numpy as np
from PIL import Image

BACKS = {"dark": (40, 40, 48), "magenta": (255, 0, 255)}


def _frames(src: Path, crf: int) -> list[np.ndarray]:
    if src.is_dir():
        imgs = [np.asarray(Image.open(p).convert("RGB")) for p in sorted(src.glob("frame_*.png"))]
        with tempfile.TemporaryDirectory() as td:
            video = Path(td) / "clip.mp4"
            with av.open(str(video), "w") as c:
                s = c.add_stream("libx264", rate=12)
                h, w = imgs[0].shape[:2]
                s.width, s.height, s.pix_fmt = w - w % 2, h - h % 2, "yuv420p"
                s.options = {"crf": str(crf)}
                for f in imgs:
                    c.mux(
                        s.encode(av.VideoFrame.from_ndarray(np.ascontiguousarray(f[: s.height, : s.width])))
                    )
                c.mux(s.encode())
            return _frames(video, crf)
    with av.open(str(src)) as c:
        return [f.to_ndarray(format="rgb24") for f in c.decode(video=0)]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("src")
    ap.add_argument("--out", required=True)
    ap.add_argument("--crf", type=int, default=18)
    ap.add_argument("--cols", type=int, default=4)
    ap.add_argument("--tile", type=int, default=320)
    a = ap.parse_args(argv)
    from popcon.vision.matte import matte_clip

    frames = _frames(Path(a.src), a.crf)
    result = matte_clip(frames)
    print("confidence per frame:", " ".join(f"{c:.2f}" for c in result.confidence))
    for name, colour in BACKS.items():
        tiles = []
        for o in result.cutouts:
            al = o[..., 3:].astype(np.float32) / 255
            comp = o[..., :3].astype(np.float32) * al + np.array(colour, np.float32) * (1 - al)
            tiles.append(
                Image.fromarray((comp + 0.5).astype(np.uint8)).resize(
                    (a.tile, a.tile * o.shape[0] // o.shape[1])
                )
            )
        th = tiles[0].height
        rows = -(-len(tiles) // a.cols)
        sheet = Image.new("RGB", (a.cols * a.tile, rows * th), colour)
        for i, t in enumerate(tiles):
            sheet.paste(t, ((i % a.cols) * a.tile, (i // a.cols) * th))
        path = Path(f"{a.out}_{name}.png")
        path.parent.mkdir(parents=True, exist_ok=True)
        sheet.save(path)
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
