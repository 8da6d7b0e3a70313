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


def register(app: typer.Typer) -> None:
    app.command("rig")(rig_command)
