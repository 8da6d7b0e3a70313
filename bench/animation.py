"""Part animation: render time, the demo set end to end, and how non-rigid the motion is.

usage: python bench/animation.py [--actions a,b,...] [--sheets DIR] [--skip-demo]

- mascot rig: time to draw the procedural mascot in layers with its rig;
- render: seconds per 20-frame clip at 512 px (goal <= 1.5 s), per action;
- demo: the 8 actions of `make demo` end to end through the real runner, the mascot's rig and layers
  stored with the job as the character stage stores them (goal < 20 s);
- non-rigid measure: each frame's silhouette aligned to frame 1 by the best affine transform
  (cv2.findTransformECC on the masks), then the IoU left; rigid whole-body motion stays near 1.0,
  a waving arm lowers it. Printed per action as the minimum over the loop, for the mascot, the rig/
  drawings (hand-placed joints from char_cfg.yaml, so the numbers do not depend on the auto-rig) and
  a face-only sample (whole-body fallback). Effects are left out of this measure (they are not body).
- local motion of the shared characters as uploads: every rig/ character rigged by the auto-rig (the
  product path), 1 - that IoU (motion an affine transform of the whole cut-out cannot explain: 0 for a
  rigid clip; a waving arm on a full body gives a few hundredths) per action of --local-actions;
- --sheets DIR: a contact sheet per character (every 3rd frame of every action) to look at, and
  `uploads.png`: every shared character x the local actions (four-legged ones walk too).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import statistics
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np
import yaml
from PIL import Image

from popcon.animation.animator import prepare_parts, render_frames
from popcon.animation.autorig import auto_rig
from popcon.animation.mascot import draw_mascot_rig
from popcon.animation.mascot_prompt import SAMPLE_PROMPT
from popcon.animation.part_compositing import REST_ORDER, composite
from popcon.animation.part_geometry import map_point, rotate_about, segment_distance
from popcon.animation.part_layers import Prepared
from popcon.domain.actions import load_presets, resolve_actions
from popcon.domain.platforms import get_platform, load_platforms
from popcon.domain.rig import JOINT_NAMES, PART_NAMES, PARTS, Rig
from popcon.queue.embedded import EmbeddedRunner
from popcon.settings import Settings
from popcon.store.db import JobStore
from popcon.store.files import JobFiles

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
DEMO = "wave,jump,laugh,love,cry,happy,dance,sleepy"
KEY = (0, 255, 0)


def load_drawing(folder: Path) -> tuple[Image.Image, Rig]:
    """A rig/ drawing as RGBA (mask as alpha) with its hand-placed joints."""
    rgb = Image.open(folder / "texture.png").convert("RGB")
    mask = Image.open(folder / "mask.png").convert("L").resize(rgb.size)
    im = rgb.copy()
    im.putalpha(mask)
    cfg = yaml.safe_load((folder / "char_cfg.yaml").read_text())
    # A many-armed figure names its arms right_shoulder1, right_shoulder2...: the first pair animates.
    named = {
        str(j["name"]).removesuffix("1"): (float(j["loc"][0]), float(j["loc"][1])) for j in cfg["skeleton"]
    }
    joints = {k: v for k, v in named.items() if k in JOINT_NAMES}
    return im, Rig(width=im.width, height=im.height, source="user", joints=joints)


def silhouette(frame: np.ndarray) -> np.ndarray:
    return (np.abs(frame.astype(np.int16) - np.array(KEY, np.int16)).sum(axis=2) > 60).astype(np.float32)


def residual_iou(first: np.ndarray, other: np.ndarray, scale: int = 128) -> float:
    """IoU of `other` with `first` after the best affine alignment of `other` onto `first`."""
    a = cv2.resize(first, (scale, scale), interpolation=cv2.INTER_AREA)
    b = cv2.resize(other, (scale, scale), interpolation=cv2.INTER_AREA)
    warp = np.eye(2, 3, dtype=np.float32)
    crit = (cv2.TERM_CRITERIA_EPS | cv2.TERM_CRITERIA_COUNT, 80, 1e-5)
    with contextlib.suppress(cv2.error):  # no convergence: the unaligned IoU, a lower bound
        _, warp = cv2.findTransformECC(
            cv2.GaussianBlur(a, (5, 5), 0),
            cv2.GaussianBlur(b, (5, 5), 0),
            warp,
            cv2.MOTION_AFFINE,
            crit,
            None,
            5,
        )
    full = warp.copy()
    full[:, 2] *= first.shape[1] / scale
    aligned = cv2.warpAffine(other, full, first.shape[::-1], flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP)
    fa, fb = first > 0.5, aligned > 0.5
    union = np.logical_or(fa, fb).sum()
    return float(np.logical_and(fa, fb).sum() / union) if union else 1.0


def clip(image: Image.Image, action: str, rig: Rig | None, layers: dict | None, fps: int = 12) -> list:
    recipe = load_presets()[action].recipe.model_copy(update={"effects": []})
    return render_frames(image, recipe, background=KEY, size=512, fps=fps, rig=rig, layers=layers)


def non_rigid(frames: list[np.ndarray]) -> float:
    first = silhouette(frames[0])
    return min(residual_iou(first, silhouette(f)) for f in frames[1:-1:2])


def sheet(rows: list[tuple[str, list[np.ndarray]]], out: Path) -> None:
    strips = []
    for name, frames in rows:
        # Every 3rd frame: every 4th of a 24-frame loop met a 3-cycle wiggle only at its zero crossings,
        # so a waving forearm looked still on every sheet.
        picked = [cv2.resize(f, (192, 192), interpolation=cv2.INTER_AREA) for f in frames[::3]]
        strip = np.concatenate(picked, axis=1)
        cv2.putText(strip, name, (4, 16), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (0, 0, 0), 1)
        strips.append(strip)
    w = max(s.shape[1] for s in strips)
    strips = [np.pad(s, ((0, 2), (0, w - s.shape[1]), (0, 0)), constant_values=255) for s in strips]
    out.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.concatenate(strips, axis=0)).save(out)


def demo_end_to_end(actions: list[str], platforms: tuple[str, ...] = ("line-emoji",)) -> float:
    """The demo set through the real runner, the mascot's rig and layers stored with the job; with
    several platforms, prints each export's largest file against its budget and any action left out."""
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp))
        store = JobStore(settings.db_url)
        job = store.create_job(source="sample", actions=resolve_actions(actions), platforms=list(platforms))
        t0 = time.time()
        drawn = draw_mascot_rig(SAMPLE_PROMPT)
        files = JobFiles(settings.data_dir, job.id)
        files.character.parent.mkdir(parents=True, exist_ok=True)
        drawn.image.save(files.character)
        files.rig.write_text(drawn.rig.to_json())
        files.rig_layers_dir.mkdir(exist_ok=True)
        for name, im in drawn.layers.items():
            im.save(files.rig_layers_dir / f"{name}.png")
        runner = EmbeddedRunner(settings, store)
        done = runner.run_job(job.id)
        total = time.time() - t0
        if len(platforms) > 1:
            for pid in platforms:
                manifest = json.loads((files.exports_dir / pid / "manifest.json").read_text())
                sizes = [f.get("bytes", 0) for f in manifest.get("files", [])]
                budget = get_platform(pid).max_bytes
                print(
                    f"  {pid:<24} largest {max(sizes or [0]):>7} B (budget {budget}), left out: "
                    f"{manifest.get('failed') or 'none'}"
                )
        runner.close()
        store.close()
    if done.status.value != "completed":
        raise SystemExit(f"demo job ended {done.status}: {done.error}")
    return total


def local_motion(actions: list[str], sheets: Path | None) -> None:
    """Every shared rig/ character as an upload (auto-rigged): the motion no whole-body affine explains."""
    presets = load_presets()
    print("local motion of uploads (auto-rig): 1 - IoU after the best affine alignment, max over the loop")
    print(f"  {'character':<14}{'rig':<34}" + "".join(f"{x:>8}" for x in actions) + "  (walk: four legs)")
    strips: list[tuple[str, list[np.ndarray]]] = []
    for folder in sorted(p.parent for p in (SHARED / "bench" / "rig").glob("*/char_cfg.yaml")):
        rgb = Image.open(folder / "texture.png").convert("RGB")
        im = rgb.copy()
        im.putalpha(Image.open(folder / "mask.png").convert("L").resize(rgb.size))
        rig = auto_rig(im)
        what = "+".join(rig.limbs) or "whole body"
        if rig.note and "four legs" in rig.note:
            what += " (four legs)"
        acts = list(actions)
        if rig.note and "four legs" in rig.note and "walk" in presets and "walk" not in acts:
            acts.append("walk")
        line = f"  {folder.name:<14}{what:<34}"
        for act in acts:
            frames = clip(im, act, rig, None)
            line += f"{1.0 - non_rigid(frames):8.3f}"
            strips.append((f"{folder.name} {act}", frames))
        print(line, flush=True)
    if sheets:
        sheet(strips, sheets / "uploads.png")
        print(f"contact sheet: {sheets / 'uploads.png'}")


SEAM_TURNS = (("right_upper_arm", 25.0), ("left_upper_arm", 25.0), ("right_thigh", 12.0), ("head", 10.0))
# Far swings (a dance, a hop): what sticks out of the body round the joint (spikes of a limb's top).
CHILD = {"right_upper_arm": "right_forearm", "right_thigh": "right_shin", "left_thigh": "left_shin"}
SPILL_TURNS = (("right_upper_arm", 40.0), ("right_thigh", 35.0), ("left_thigh", 35.0))


def _turned(prep: Prepared, part: str, angle: float) -> np.ndarray:
    """The layers composited with one part (and its children) turned at its joint, the rest at rest."""
    pivot_of = {name: pivot for name, pivot, _ in PARTS}
    parent_of = {name: parent for name, _, parent in PARTS}
    m = {name: np.eye(3) for name in PART_NAMES}
    for name in (part, *(c for c, p in parent_of.items() if p == part)):
        m[name] = rotate_about(prep.joints[pivot_of[part]], angle)
    return composite(prep, m, REST_ORDER)


def joint_seams() -> None:
    """Every shared rig/ character as an upload: turn one part at its joint (both ways) with the rest
    at rest, and count the pixels round that joint (within 3.5 % of the height) that were solid at
    rest and are not opaque now: the seams and wedges a turning part opens (0 when parts overlap).
    Then turn a limb far and count the pixels within its upper segment's length of its joint, outside
    the silhouette at rest and beyond the limb's own width round its turned bone, that are opaque now:
    spikes of the limb's top (a rump's corner) swung out of the body."""
    print("open pixels round a turned joint (upload, 512 px clip), per part turned +-, sum of both;")
    print("then spill: opaque pixels outside the body round a joint turned far (+-, sum of both):")
    print(
        f"  {'character':<14}"
        + "".join(f"{p:>18}" for p, _ in SEAM_TURNS)
        + " |"
        + "".join(f"{p + ' ' + str(round(a)):>20}" for p, a in SPILL_TURNS)
    )
    pivot_of = {name: pivot for name, pivot, _ in PARTS}
    for folder in sorted(p.parent for p in (SHARED / "bench" / "rig").glob("*/char_cfg.yaml")):
        rgb = Image.open(folder / "texture.png").convert("RGB")
        im = rgb.copy()
        im.putalpha(Image.open(folder / "mask.png").convert("L").resize(rgb.size))
        rig = auto_rig(im)
        base, prep = prepare_parts(im, rig, None, 512)
        solid = cv2.erode((base.premul[..., 3] == 255).astype(np.uint8), np.ones((5, 5), np.uint8)) > 0
        body = cv2.dilate((base.premul[..., 3] > 0).astype(np.uint8), np.ones((5, 5), np.uint8)) > 0
        yy, xx = np.mgrid[0 : prep.size, 0 : prep.size]
        line = f"  {folder.name:<14}"
        for part, angle in SEAM_TURNS:
            if part not in prep.layers:
                line += f"{'-':>18}"
                continue
            px, py = prep.joints[pivot_of[part]]
            near = solid & (np.hypot(xx - px, yy - py) < 0.035 * prep.height)
            count = sum(
                int((near & (_turned(prep, part, sign * angle)[..., 3] < 250)).sum()) for sign in (1.0, -1.0)
            )
            line += f"{count:>18}"
        line += " |"
        inside = cv2.distanceTransform((base.premul[..., 3] > 127).astype(np.uint8), cv2.DIST_L2, 5)
        for part, angle in SPILL_TURNS:
            if part not in prep.layers:
                line += f"{'-':>20}"
                continue
            piv = prep.joints[pivot_of[part]]
            end = prep.joints[pivot_of[CHILD[part]]]
            mid = (round((piv[0] + end[0]) / 2), round((piv[1] + end[1]) / 2))
            width = float(inside[min(511, max(0, mid[1])), min(511, max(0, mid[0]))])
            reach = ~body & (np.hypot(xx - piv[0], yy - piv[1]) < math.dist(piv, end))
            count = 0
            for sign in (1.0, -1.0):
                bone = (piv, map_point(rotate_about(piv, sign * angle), end))
                # The limb's own width round its turned bone may leave the body; past it is a spike.
                spike = reach & (segment_distance(xx, yy, *bone) > 1.5 * width + 2.0)
                count += int((spike & (_turned(prep, part, sign * angle)[..., 3] > 127)).sum())
            line += f"{count:>20}"
        print(line, flush=True)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--actions", default=",".join(load_presets()))
    ap.add_argument("--sheets", type=Path, default=None)
    ap.add_argument("--skip-demo", action="store_true")
    ap.add_argument("--budgets", action="store_true", help="export the most moving actions to every platform")
    ap.add_argument("--local-actions", default="wave,jump,clap,dance")
    ap.add_argument("--only-local", action="store_true", help="only the shared characters' local motion")
    ap.add_argument("--seams", action="store_true", help="only the open pixels round turned joints")
    a = ap.parse_args()
    actions = [x for x in a.actions.split(",") if x]
    if a.seams:
        joint_seams()
        return
    if a.only_local:
        local_motion([x for x in a.local_actions.split(",") if x], a.sheets)
        return

    t0 = time.perf_counter()
    drawn = draw_mascot_rig(SAMPLE_PROMPT)
    print(f"mascot drawn in layers with its rig: {time.perf_counter() - t0:.2f} s")

    times = []
    for act in actions:
        recipe = load_presets()[act].recipe
        t0 = time.perf_counter()
        render_frames(
            drawn.image, recipe, background=KEY, size=512, fps=10, rig=drawn.rig, layers=drawn.layers
        )
        times.append(time.perf_counter() - t0)
    print(
        f"render per 20-frame clip at 512 px (effects on): median {statistics.median(times):.2f} s, "
        f"max {max(times):.2f} s ({actions[times.index(max(times))]})"
    )
    if not a.skip_demo:
        print(f"demo set ({DEMO}) end to end: {demo_end_to_end(DEMO.split(',')):.1f} s")
    if a.budgets:
        print("byte budgets, rigged mascot (wave, jump, dance, celebrate) on every platform:")
        demo_end_to_end(["wave", "jump", "dance", "celebrate"], tuple(load_platforms()))

    characters: list[tuple[str, Image.Image, Rig | None, dict | None]] = [
        ("mascot", drawn.image, drawn.rig, drawn.layers),
        ("mascot-whole-body", drawn.image, None, None),
        ("mascot-upload", drawn.image, auto_rig(drawn.image), None),  # the same image rigged as an upload
    ]
    for folder in sorted((SHARED / "bench" / "rig").glob("char*")):
        im, rig = load_drawing(folder)
        characters.append((f"rig/{folder.name}", im, rig, None))
    face = SHARED / "samples" / "fox.png"
    if face.exists():
        characters.append(("face-only fox.png", Image.open(face).convert("RGBA"), None, None))
    print("non-rigid measure: min over the loop of the IoU left after the best affine alignment to frame 1")
    print(f"  {'action':<11}" + "".join(f"{c[0]:>19}" for c in characters))
    rows: dict[str, list] = {c[0]: [] for c in characters}
    for act in actions:
        line = f"  {act:<11}"
        for name, im, rig, layers in characters:
            frames = clip(im, act, rig, layers)
            rows[name].append((act, frames))
            line += f"{non_rigid(frames):>19.3f}"
        print(line, flush=True)
    local_motion([x for x in a.local_actions.split(",") if x], a.sheets)
    if a.sheets:
        for name, strips in rows.items():
            out = a.sheets / f"sheet-{name.replace('/', '-').replace(' ', '-')}.png"
            sheet(strips, out)
            print(f"contact sheet: {out}")


if __name__ == "__main__":
    main()
