"""What a clip with its own alpha costs against the keyed round trip, per action, in one process.

usage: python bench/clip_alpha.py [--actions a,b,...] [--size N] [--repeat N]

Keyed (before): render on the key colour, H.264 encode, decode, matte every sampled frame.
Alpha (now):    render RGBA, QuickTime RLE encode, decode with alpha; the frames are their own cut-outs.
Both run alternately on the same machine state (shared CPUs make separate runs hard to compare);
medians over the repeats, summed over the actions.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from popcon.animation.animator import render_clip
from popcon.animation.effects import effect_colors
from popcon.animation.mascot import sample_character
from popcon.domain.actions import resolve_actions
from popcon.media.loop import crop_dark_borders, find_loop, frames_for, sample_loop
from popcon.media.video import decode_frames
from popcon.providers.keycolor import choose_key_color
from popcon.vision.matte import matte_clip

DEFAULT_ACTIONS = "wave,jump,laugh,love,cry,happy,dance,sleepy"


def one(alpha: bool, actions: list[str], size: int, folder: Path) -> dict[str, float]:
    character = sample_character()
    presets = resolve_actions(actions)
    effects = sorted({e for p in presets for e in p.recipe.effects})
    key = choose_key_color(character, extra_colors=effect_colors(effects))
    t = {"animate": 0.0, "extract": 0.0, "matte": 0.0}
    for p in presets:
        path = folder / (f"{p.id}.mov" if alpha else f"{p.id}.mp4")
        t0 = time.perf_counter()
        render_clip(character, p.recipe, path, background=None if alpha else key, size=size, fps=24)
        t1 = time.perf_counter()
        frames, fps = decode_frames(path, keep_alpha=alpha)
        frames = crop_dark_borders(frames)
        loop = find_loop(frames, fps, prefer_seconds=p.recipe.seconds)
        picked = sample_loop(frames, loop, frames_for(loop.seconds))
        t2 = time.perf_counter()
        if not alpha:
            matte_clip(picked, key_color=key)
        t3 = time.perf_counter()
        t["animate"] += t1 - t0
        t["extract"] += t2 - t1
        t["matte"] += t3 - t2
    t["total"] = sum(t.values())
    return t


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--actions", default=DEFAULT_ACTIONS)
    ap.add_argument("--size", type=int, default=512)
    ap.add_argument("--repeat", type=int, default=3)
    a = ap.parse_args()
    actions = [x for x in a.actions.split(",") if x]
    runs: dict[str, list[dict[str, float]]] = {"keyed": [], "alpha": []}
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(a.repeat):
            for name in ("keyed", "alpha"):
                runs[name].append(one(name == "alpha", actions, a.size, Path(tmp)))
    print(
        f"{len(actions)} actions of the built-in sample, {a.size} px, {a.repeat} alternating runs, median s:"
    )
    print(f"  {'stage':<10} {'keyed':>8} {'alpha':>8}")
    for stage in ("animate", "extract", "matte", "total"):
        k = statistics.median(r[stage] for r in runs["keyed"])
        v = statistics.median(r[stage] for r in runs["alpha"])
        print(f"  {stage:<10} {k:8.2f} {v:8.2f}")


if __name__ == "__main__":
    main()
