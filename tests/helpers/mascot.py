"""The built-in mascot as a keyed frame whose parts are known exactly: each drawn layer's visible pixels."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from popcon.animation.mascot import Z_ORDER, draw_mascot_rig
from popcon.animation.mascot_prompt import SAMPLE_PROMPT

KEY = (0, 255, 0)


@dataclass
class MascotFrame:
    rgb: np.ndarray  # the mascot over the key colour
    rgba: np.ndarray  # the exact cut-out
    limbs: dict[str, np.ndarray]  # limb -> bool mask of its visible layers (arm = upper arm + forearm)
    joints: dict[str, tuple[float, float]]


def mascot_frame(size: int = 768) -> MascotFrame:
    drawn = draw_mascot_rig(SAMPLE_PROMPT, size=size)
    rgba = np.asarray(drawn.image).copy()
    a = rgba[..., 3:4].astype(np.float32) / 255.0
    rgb = (rgba[..., :3] * a + np.array(KEY, np.float32) * (1 - a)).round().astype(np.uint8)
    visible: dict[str, np.ndarray] = {}
    above = np.zeros(rgba.shape[:2], bool)
    for name in reversed(Z_ORDER):  # front to back: a layer shows where nothing in front covers it
        m = np.asarray(drawn.layers[name])[..., 3] > 127
        visible[name] = m & ~above
        above |= m
    limbs = {}
    for side in ("right", "left"):
        limbs[f"{side}_arm"] = visible[f"{side}_upper_arm"] | visible[f"{side}_forearm"]
        limbs[f"{side}_leg"] = visible[f"{side}_thigh"] | visible[f"{side}_shin"]
    limbs["torso"] = visible["torso"]
    return MascotFrame(rgb, rgba, limbs, dict(drawn.rig.joints))


def iou(a: np.ndarray, b: np.ndarray) -> float:
    return float((a & b).sum()) / max(1, int((a | b).sum()))


def inside_point(mask: np.ndarray) -> tuple[float, float]:
    """A point deep inside the mask (the maximum of its distance transform)."""
    import cv2

    d = cv2.distanceTransform(mask.astype(np.uint8), cv2.DIST_L2, 5)
    y, x = np.unravel_index(int(np.argmax(d)), d.shape)
    return float(x), float(y)


def seed_refine_job(data_dir: Path, frames: list[np.ndarray], cutouts: list[np.ndarray]) -> str:
    """A job at awaiting_refinement whose one action ("wave") has exactly these frames and cut-outs."""
    from popcon.domain.actions import load_presets
    from popcon.domain.status import ActionStatus, JobStatus
    from popcon.store.db import JobStore
    from popcon.store.files import JobFiles, write_frames
    from tests.helpers.web import web_settings

    settings = web_settings(data_dir)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    store = JobStore(settings.db_url)
    job = store.create_job(source="upload", actions=[load_presets()["wave"]], platforms=["line-emoji"])
    store.update_job(job.id, key_color=KEY)
    for st in (ActionStatus.EXTRACTING, ActionStatus.MATTING):
        store.set_action_status(job.id, 0, st)
    files = JobFiles(settings.data_dir, job.id)
    write_frames(files.frames_dir(0, "wave"), frames)
    write_frames(files.cutouts_dir(0, "wave"), cutouts)
    store.set_action_status(job.id, 0, ActionStatus.DONE, frame_count=len(frames), seconds=1)
    for js in (
        JobStatus.GENERATING_CHARACTER,
        JobStatus.GENERATING_POSES,
        JobStatus.ANIMATING,
        JobStatus.EXTRACTING,
        JobStatus.MATTING,
        JobStatus.AWAITING_REFINEMENT,
    ):
        store.set_job_status(job.id, js)
    store.close()
    return job.id
