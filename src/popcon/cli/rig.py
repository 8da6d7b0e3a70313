"""`popcon rig IMAGE`: the rig PopCon would use for a character, to score it or to edit and pass back.

`--joints-out` writes the joints alone ({name: [x, y]} in image pixels, the layout benchmarks score);
`--rig-out` writes the full rig file, which `popcon make IMAGE --rig FILE` takes back after editing.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from popcon.atomic import write_bytes_atomic


def rig_command(
    image: Annotated[Path, typer.Argument(help="The character: a cut-out with transparency, or any image.")],
    joints_out: Annotated[
        Path | None, typer.Option("--joints-out", help="Write the joints as {name: [x, y]} JSON.")
    ] = None,
    rig_out: Annotated[
        Path | None,
        typer.Option("--rig-out", help="Write the full rig file (edit it, pass it to make --rig)."),
    ] = None,
    remove_background: Annotated[
        bool, typer.Option("--remove-bg/--keep-bg", help="Cut out an image that has no transparency first.")
    ] = True,
) -> None:
    """Find the joints of a character (head, torso, arms, legs) without any learned model."""
    import numpy as np
    from PIL import Image

    from popcon.media.images import has_transparency, load_image
    from popcon.vision.rig import auto_rig

    console = Console(stderr=True, soft_wrap=True)
    character = load_image(image)
    if remove_background and not has_transparency(character):
        from popcon.vision.matte import matte_image

        character = Image.fromarray(matte_image(np.asarray(character.convert("RGB"))), "RGBA")
    t0 = time.perf_counter()
    rig = auto_rig(character)
    seconds = time.perf_counter() - t0
    if joints_out:
        joints = {k: [round(x, 1), round(y, 1)] for k, (x, y) in rig.joints.items()}
        write_bytes_atomic(joints_out, (json.dumps(joints, indent=1) + "\n").encode())
    if rig_out:
        write_bytes_atomic(rig_out, rig.to_json().encode())
    if rig.animates_parts:
        limbs = " and ".join(n for n, f in (("arms", rig.has_arms), ("legs", rig.has_legs)) if f)
        console.print(f"rig: {limbs}, confidence {rig.confidence:.2f}, {seconds * 1000:.0f} ms")
        if rig.note:
            console.print(f"  note: {rig.note}", highlight=False)
    else:
        console.print(f"rig: whole body ({rig.note}), {seconds * 1000:.0f} ms", highlight=False)


def job_rig_command(
    job_id: Annotated[str, typer.Argument(help="The job.")],
    set_rig: Annotated[
        Path | None, typer.Option("--set", help="Replace the job's rig with this (edited) rig file.")
    ] = None,
    out: Annotated[Path | None, typer.Option("--out", help="Write the job's rig file here.")] = None,
) -> None:
    """Show, save or replace a job's rig. A bad file is refused naming the field; the job keeps its rig."""
    from PIL import Image

    from popcon.cli.app import settings
    from popcon.domain.errors import InvalidInput
    from popcon.domain.rig import fit_rig, parse_rig
    from popcon.pipeline.rig import read_rig, save_rig
    from popcon.store.files import JobFiles

    console = Console(soft_wrap=True)
    files = JobFiles(settings().data_dir, job_id)
    if not files.character.exists():
        raise InvalidInput(f"job {job_id} has no character yet (its rig is made with it)")
    if set_rig is not None:
        if not set_rig.is_file():
            raise InvalidInput(f"--set: no such file: {set_rig}")
        with Image.open(files.character) as im:
            size = im.size
        new = fit_rig(parse_rig(set_rig.read_bytes()), *size).model_copy(update={"source": "user"})
        save_rig(files, new)
        console.print("rig replaced: clips made from now on move these joints")
    rig = read_rig(files)
    if rig is None:
        raise InvalidInput(f"job {job_id} has no rig yet")
    if out:
        write_bytes_atomic(out, rig.to_json().encode())
    parts = [n for n, f in (("arms", rig.has_arms), ("legs", rig.has_legs)) if f]
    what = " and ".join(parts) if parts else f"whole body ({rig.note})"
    console.print(f"{job_id}: {rig.source} rig, {what}, {len(rig.joints)} joints", highlight=False)


def register(app: typer.Typer, jobs_app: typer.Typer | None = None) -> None:
    app.command("rig")(rig_command)
    if jobs_app is not None:
        jobs_app.command("rig")(job_rig_command)
