"""`popcon rig IMAGE`: the rig PopCon would use for a character, to score it or to edit and pass back.

`--joints-out` writes the joints alone ({name: [x, y]} in image pixels, the layout benchmarks score);
`--rig-out` writes the full rig file, which `popcon make IMAGE --rig FILE` takes back after editing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console


def rig_command(
    ctx: typer.Context,
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
    from popcon.cli.context import cli_context
    from popcon.usecases.rig import detect_rig, write_joints, write_rig_file

    console = Console(stderr=True, soft_wrap=True)
    found = detect_rig(cli_context(ctx).settings, image, remove_background=remove_background)
    rig, seconds = found.rig, found.seconds
    if joints_out:
        write_joints(rig, joints_out)
    if rig_out:
        write_rig_file(rig, rig_out)
    if rig.animates_parts:
        limbs = " and ".join(rig.limbs)
        console.print(f"rig: {limbs}, confidence {rig.confidence:.2f}, {seconds * 1000:.0f} ms")
        if rig.note:
            console.print(f"  note: {rig.note}", highlight=False)
    else:
        console.print(f"rig: whole body ({rig.note}), {seconds * 1000:.0f} ms", highlight=False)


def job_rig_command(
    ctx: typer.Context,
    job_id: Annotated[str, typer.Argument(help="The job.")],
    set_rig: Annotated[
        Path | None, typer.Option("--set", help="Replace the job's rig with this (edited) rig file.")
    ] = None,
    out: Annotated[Path | None, typer.Option("--out", help="Write the job's rig file here.")] = None,
) -> None:
    """Show, save or replace a job's rig. A bad file is refused naming the field; the job keeps its rig."""
    from popcon.cli.context import cli_context
    from popcon.domain.errors import InvalidInput
    from popcon.usecases.rig import job_rig, replace_job_rig, write_rig_file

    console = Console(soft_wrap=True)
    svc = cli_context(ctx).open()
    if set_rig is not None:
        if not set_rig.is_file():
            raise InvalidInput(f"--set: no such file: {set_rig}")
        replace_job_rig(svc, job_id, set_rig.read_bytes())
        console.print("rig replaced: clips made from now on move these joints")
    rig = job_rig(svc, job_id)
    if out:
        write_rig_file(rig, out)
    what = " and ".join(rig.limbs) if rig.limbs else f"whole body ({rig.note})"
    console.print(f"{job_id}: {rig.source} rig, {what}, {len(rig.joints)} joints", highlight=False)


def register(app: typer.Typer, jobs_app: typer.Typer | None = None) -> None:
    app.command("rig")(rig_command)
    if jobs_app is not None:
        jobs_app.command("rig")(job_rig_command)
