"""The character's rig as a user sees it: detect it on an image, check a rig they placed, read and
replace a job's rig. Shared by `popcon rig` / `popcon jobs rig` / `make --rig` and the web routes."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from popcon.domain.errors import InvalidInput, NotFound
from popcon.domain.rig import Rig, fit_rig, parse_rig
from popcon.settings import Settings
from popcon.usecases.context import AppContext

RIG_SIDE = 512  # an upload's rig is found on a copy this size, then scaled to the upload


@dataclass(frozen=True)
class DetectedRig:
    rig: Rig
    seconds: float  # the auto-rig's own time (the cut-out before it not counted)


def detect_rig(
    settings: Settings,
    source: Path | bytes,
    *,
    remove_background: bool = True,
    working_side: int | None = None,
) -> DetectedRig:
    """The rig a job would start from, in the image's own pixels (cut out first as the job would when
    the image has no transparency). `working_side` finds it on a smaller copy, then scales it back."""
    from popcon.animation.api import auto_rig
    from popcon.media.images import has_transparency, load_image
    from popcon.vision.cutout import cut_out

    image = load_image(source, max_bytes=settings.max_upload_bytes, max_pixels=settings.max_image_pixels)
    small = image.convert("RGBA")
    if working_side:
        small.thumbnail((working_side, working_side))
    if remove_background and not has_transparency(small):
        small = Image.fromarray(cut_out(np.asarray(small.convert("RGB"))).rgba, "RGBA")
    t0 = time.perf_counter()
    rig = auto_rig(small)
    seconds = time.perf_counter() - t0
    if small.size != image.size:
        rig = fit_rig(rig, image.width, image.height)
    return DetectedRig(rig, seconds)


def user_rig(text: str | bytes, size: tuple[int, int]) -> Rig:
    """A rig the user placed, checked against the character it goes with (errors name the field)."""
    return fit_rig(parse_rig(text), *size).model_copy(update={"source": "user"})


def sample_size() -> tuple[int, int]:
    """The built-in sample character's size (a rig for `--sample` is placed on it)."""
    from popcon.animation.api import sample_character

    return sample_character().size


def job_rig(ctx: AppContext, job_id: str) -> Rig:
    """The job's rig (NotFound before the character stage made it)."""
    from popcon.pipeline.rig import read_rig

    job = ctx.get_job(job_id)
    files = ctx.files(job.id)
    if not files.character.exists():
        raise NotFound(f"job {job.id} has no character yet (its rig is made with it)")
    rig = read_rig(files)
    if rig is None:
        raise NotFound(f"job {job.id} has no rig yet (it is made with the character)")
    return rig


def replace_job_rig(ctx: AppContext, job_id: str, text: str | bytes) -> Rig:
    """Replace the job's rig (clips made after this use it); a bad rig changes nothing."""
    from popcon.pipeline.rig import save_rig

    job = ctx.get_job(job_id)
    files = ctx.files(job.id)
    if not files.character.exists():
        raise NotFound(f"job {job.id} has no character yet")
    with Image.open(files.character) as im:
        size = im.size
    new = user_rig(text, size)
    save_rig(files, new)
    return new


def check_new_job_rig(text: bytes, upload_size: tuple[int, int] | None, *, sample: bool) -> bytes:
    """The rig a new job starts from, checked before the job exists: it goes with an upload or the
    sample (a prompt's character does not exist yet). Returns the rig file to keep with the inputs."""
    if upload_size is None and not sample:
        raise InvalidInput(
            "a rig goes with an uploaded image or the sample: a prompt's character does not exist yet"
        )
    return user_rig(text, upload_size or sample_size()).to_json().encode()


def write_rig_file(rig: Rig, path: Path) -> Path:
    """The full rig file (edit it, pass it back to `make --rig` or `jobs rig --set`)."""
    from popcon.atomic import write_bytes_atomic

    return write_bytes_atomic(path, rig.to_json().encode())


def write_joints(rig: Rig, path: Path) -> Path:
    """The joints alone as {name: [x, y]} in image pixels, the layout the rig benchmark scores."""
    import json

    from popcon.atomic import write_bytes_atomic

    # A whole-body rig found no joints: what it carries is only a start for placing them by hand.
    found = rig.scored_joints() if rig.animates_parts else {}
    joints = {k: [round(x, 1), round(y, 1)] for k, (x, y) in found.items()}
    return write_bytes_atomic(path, (json.dumps(joints, indent=1) + "\n").encode())
