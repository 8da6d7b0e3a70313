"""The `popcon` command line: a thin shell that parses, calls the pipeline and renders."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from popcon.domain.errors import InvalidInput, PopconError
from popcon.settings import Settings

app = typer.Typer(
    name="popcon",
    help="Turn one character image into animated emoji and sticker sets.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
jobs_app = typer.Typer(help="List, inspect, resume and cancel jobs.", no_args_is_help=True)
app.add_typer(jobs_app, name="jobs")
console = Console()
err = Console(stderr=True)


def _register_commands() -> None:
    """Commands that live in their own modules (one per concern); imported lazily inside each."""
    from popcon.cli import providers, rig, segment, serve, validate, worker

    providers.register(app)
    rig.register(app, jobs_app)
    segment.register(app)
    serve.register(app)
    validate.register(app)
    worker.register(app)


class State:
    settings: Settings | None = None


def settings() -> Settings:
    if State.settings is None:
        State.settings = Settings()
    return State.settings


@app.callback()
def _root(
    data_dir: Annotated[
        Path | None, typer.Option("--data-dir", help="Where jobs live (env POPCON_DATA_DIR).")
    ] = None,
) -> None:
    State.settings = Settings(data_dir=data_dir) if data_dir else Settings()


def _services(image_provider: str | None = None, video_provider: str | None = None):  # type: ignore[no-untyped-def]
    from popcon.providers.registry import image_provider as make_images
    from popcon.providers.registry import video_provider as make_video
    from popcon.queue.dispatch import make_runner
    from popcon.store.db import JobStore

    s = settings()
    s.data_dir.mkdir(parents=True, exist_ok=True)
    store = JobStore(s.db_url)
    runner = make_runner(s, store, images=make_images(s, image_provider), video=make_video(s, video_provider))
    return store, runner


@app.command()
def make(
    image: Annotated[
        Path | None, typer.Argument(help="The character (PNG, JPEG, WebP, GIF, BMP, TIFF).")
    ] = None,
    prompt: Annotated[
        str | None, typer.Option("--prompt", "-p", help="Describe a character instead of giving an image.")
    ] = None,
    actions: Annotated[
        str, typer.Option("--actions", "-a", help="Comma-separated presets (see `popcon actions`).")
    ] = "wave,jump,laugh,love",
    custom: Annotated[
        list[str] | None,
        typer.Option("--custom", help="A custom action as NAME='motion prompt' (repeatable)."),
    ] = None,
    clip: Annotated[
        list[str] | None, typer.Option("--clip", help="Use your own clip for an action: ACTION=clip.mp4.")
    ] = None,
    platform: Annotated[
        list[str] | None, typer.Option("--platform", help="Target preset (repeatable).")
    ] = None,
    out: Annotated[Path, typer.Option("--out", "-o", help="Where the sets are written.")] = Path("out"),
    remove_background: Annotated[
        bool,
        typer.Option("--remove-bg/--keep-bg", help="Cut the character out of a plain background."),
    ] = True,
    refine: Annotated[
        bool, typer.Option("--refine", help="Stop at awaiting_refinement instead of exporting.")
    ] = False,
    sample: Annotated[bool, typer.Option("--sample", help="Use the built-in sample character.")] = False,
    image_provider: Annotated[
        str | None,
        typer.Option("--image-provider", help="Character / start-pose provider (see `popcon providers`)."),
    ] = None,
    video_provider: Annotated[
        str | None, typer.Option("--video-provider", help="Animation provider (see `popcon providers`).")
    ] = None,
    rig: Annotated[
        Path | None, typer.Option("--rig", help="A rig file (from `popcon rig --rig-out`, edited) to use.")
    ] = None,
) -> None:
    """Make a set: character -> start poses -> clips -> frames -> cut-outs -> platform files."""
    from popcon.cli.progress import run_with_progress
    from popcon.domain.actions import resolve_actions
    from popcon.domain.platforms import get_platform
    from popcon.media.images import load_image
    from popcon.media.video import probe
    from popcon.store.files import JobFiles

    s = settings()
    sources = [x for x in (image is not None, prompt is not None, sample) if x]
    if len(sources) != 1:
        raise InvalidInput("give exactly one of: an IMAGE, --prompt TEXT, or --sample")
    platforms = list(dict.fromkeys(platform or ["line-emoji"]))
    for p in platforms:
        get_platform(p)
    customs = dict(_pair(c, "--custom") for c in custom or [])
    chosen = [n.strip().lower() for n in actions.split(",") if n.strip()]
    names = chosen + [n for n in customs if n not in chosen]
    presets = resolve_actions(names, customs)
    clips = dict(_pair(c, "--clip") for c in clip or [])
    ids = {p.id for p in presets}
    for name, path in clips.items():
        if name not in ids:
            raise InvalidInput(f"--clip {name}=...: {name} is not one of the chosen actions")
        probe(Path(path))
    upload: bytes | None = None
    if image is not None:
        loaded = load_image(image, max_bytes=s.max_upload_bytes, max_pixels=s.max_image_pixels)
        upload = image.read_bytes()
    rig_text = _user_rig(rig, loaded.size if image is not None else None, prompt is not None)

    store, runner = _services(image_provider, video_provider)
    from popcon.store.db import new_job_id

    job_id = new_job_id()
    files = JobFiles(s.data_dir, job_id)
    options: dict[str, str] = {}
    if upload is not None and image is not None:
        options["upload"] = files.save_input(image.name, upload).name
    if rig_text is not None:
        from popcon.pipeline.rig import USER_RIG_OPTION

        options[USER_RIG_OPTION] = files.save_input("rig.json", rig_text).name
    imported = {
        n: files.save_input(f"clip-{n}{Path(p).suffix}", Path(p).read_bytes()).name for n, p in clips.items()
    }
    job = store.create_job(
        job_id=job_id,
        source="upload" if image else ("prompt" if prompt else "sample"),
        prompt=prompt,
        actions=presets,
        platforms=platforms,
        remove_background=remove_background,
        auto_export=not refine,
        options=options,
        imported_clips=imported,
    )
    if prompt and runner.images.offline:
        console.print(
            "[dim]character: drawn by the offline procedural generator (no image API key set)[/dim]"
        )
    if not (runner.images.offline and runner.video.offline):
        from popcon.cli.providers import render_estimate

        render_estimate(
            s,
            len(presets),
            prompt is not None,
            console,
            image_provider=runner.images.name,
            video_provider=runner.video.name,
            imported_clips=len(clips),
        )
    console.print(f"job [bold]{job.id}[/bold]: {len(presets)} actions -> {', '.join(platforms)}")
    job = run_with_progress(runner, job.id, console)
    _finish(job, out, s)


def _user_rig(path: Path | None, size: tuple[int, int] | None, from_prompt: bool) -> bytes | None:
    """The user's rig file, checked now (a bad file fails before any work, naming the field)."""
    if path is None:
        return None
    from popcon.domain.rig import fit_rig, parse_rig

    if from_prompt:
        raise InvalidInput("--rig goes with an IMAGE or --sample: a prompt's character does not exist yet")
    if not path.is_file():
        raise InvalidInput(f"--rig: no such file: {path}")
    data = path.read_bytes()
    parsed = parse_rig(data)
    if size is None:  # the built-in sample
        from popcon.providers.offline.mascot import sample_character

        size = sample_character().size
    fit_rig(parsed, *size)
    return data


def _pair(text: str, flag: str) -> tuple[str, str]:
    name, sep, value = text.partition("=")
    if not sep or not name.strip() or not value.strip():
        raise InvalidInput(f"{flag} expects NAME=VALUE, got {text!r}")
    return name.strip().lower(), value.strip()


def _finish(job, out: Path, s: Settings) -> None:  # type: ignore[no-untyped-def]
    from popcon.store.files import JobFiles

    files = JobFiles(s.data_dir, job.id)
    for a in job.actions:
        if a.error:
            err.print(f"[red]{a.action_id} failed:[/red] {a.error}")
    if job.status.value == "awaiting_refinement":
        console.print(f"frames are cut out and wait for refinement: {files.root}")
        console.print(f"export them with: popcon export {job.id} --platform line-emoji")
        return
    if not job.exports:
        err.print(f"[red]job {job.id} {job.status}:[/red] {job.error or ''}")
        raise typer.Exit(1)
    out.mkdir(parents=True, exist_ok=True)
    for platform in job.exports:
        src_dir, src_zip = files.exports_dir / platform, files.exports_dir / f"{platform}.zip"
        dst_dir, dst_zip = out / platform, out / f"{platform}.zip"
        if dst_dir.exists():
            shutil.rmtree(dst_dir)
        shutil.copytree(src_dir, dst_dir)
        if src_zip.exists():
            shutil.copyfile(src_zip, dst_zip)
        console.print(f"[green]{platform}[/green]: {dst_dir}/ and {dst_zip}")
        preview = dst_dir / "preview.html"
        if preview.exists():
            console.print(f"  preview: {preview}")
        for warning in job.exports[platform].get("warnings", []):
            console.print(f"  [yellow]note:[/yellow] {warning}", highlight=False)
    if job.status.value == "completed_with_errors":
        console.print(
            f"[yellow]finished with errors[/yellow]: {job.error}. Retry: popcon jobs resume {job.id}"
        )
        raise typer.Exit(1)


@app.command("actions")
def list_actions() -> None:
    """The action presets, one line each."""
    from popcon.domain.actions import load_presets

    for p in load_presets().values():
        console.print(
            f"[bold]{p.id:<11}[/bold] {p.emoji} {p.label:<12} {p.recipe.seconds}s  "
            f"[dim]{p.motion_prompt[:80]}{'…' if len(p.motion_prompt) > 80 else ''}[/dim]",
            highlight=False,
        )


@jobs_app.command("list")
def jobs_list(limit: Annotated[int, typer.Option(help="How many, newest first.")] = 30) -> None:
    """Past jobs, newest first."""
    store, _ = _services()
    table = Table("id", "status", "source", "actions", "platforms", "created")
    for j in store.list_jobs(limit):
        done = len(j.done_actions)
        table.add_row(
            j.id,
            j.status.value,
            j.source,
            f"{done}/{len(j.actions)}",
            ",".join(j.platforms),
            f"{j.created_at:%Y-%m-%d %H:%M}" if j.created_at else "",
        )
    console.print(table)


@jobs_app.command("show")
def jobs_show(job_id: str) -> None:
    """One job with each action's status."""
    store, _ = _services()
    j = store.get_job(job_id)
    console.print(
        f"job [bold]{j.id}[/bold]  {j.status.value}  ({j.source}{': ' + j.prompt if j.prompt else ''})"
    )
    if j.error:
        console.print(f"[red]{j.error}[/red]")
    table = Table("#", "action", "status", "seconds", "frames", "tries", "error")
    for a in j.actions:
        table.add_row(
            str(a.index + 1),
            a.action_id,
            a.status.value,
            str(a.seconds or ""),
            str(a.frame_count or ""),
            str(a.attempts),
            a.error or "",
        )
    console.print(table)
    for currency, total in j.cost.items():
        console.print(f"cost reported by the providers: {total:.2f} {currency}")
    for platform, summary in j.exports.items():
        console.print(f"export {platform}: {summary.get('zip') or summary.get('dir')}")


@jobs_app.command("resume")
def jobs_resume(
    job_id: str,
    out: Annotated[Path, typer.Option("--out", "-o", help="Where the sets are written.")] = Path("out"),
) -> None:
    """Continue a job from where it stopped (after a crash, a cancel or failures)."""
    from popcon.cli.progress import run_with_progress

    store, runner = _services()
    store.get_job(job_id)
    job = run_with_progress(runner, job_id, console, resume=True)
    _finish(job, out, settings())


@jobs_app.command("cancel")
def jobs_cancel(job_id: str) -> None:
    """Stop a job; a running runner notices within a fraction of a second."""
    _, runner = _services()
    job = runner.cancel(job_id)
    console.print(f"job {job.id} {job.status.value}")


@app.command()
def export(
    job_id: str,
    platform: Annotated[list[str], typer.Option("--platform", help="Target preset (repeatable).")],
    out: Annotated[Path, typer.Option("--out", "-o")] = Path("out"),
) -> None:
    """Export a job's cut-outs for one or more platforms."""
    from popcon.domain.platforms import get_platform

    for p in platform:
        get_platform(p)
    _, runner = _services()
    job = runner.export(job_id, list(dict.fromkeys(platform)))
    _finish(job, out, settings())


@app.command()
def matte(
    video: Annotated[Path, typer.Argument(help="A clip (MP4, WebM, MOV, GIF...).")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder for one RGBA PNG per frame.")],
) -> None:
    """Decode a clip and cut out every frame (automatic matte only)."""
    from concurrent.futures import ThreadPoolExecutor

    from popcon.media.images import write_png
    from popcon.media.video import decode_frames
    from popcon.vision.matte import matte_frames

    frames, _ = decode_frames(video)
    cutouts = matte_frames(frames)
    out.mkdir(parents=True, exist_ok=True)
    with ThreadPoolExecutor(max_workers=2) as ex:
        list(ex.map(lambda ia: write_png(out / f"{ia[0]:05d}.png", ia[1]), enumerate(cutouts)))
    console.print(f"{len(cutouts)} frames cut out into {out}")


@app.command()
def version() -> None:
    """Print the version."""
    from popcon import __version__

    console.print(__version__)


_register_commands()


def main() -> None:
    try:
        app()
    except PopconError as e:
        err.print(f"[red]error:[/red] {e}")
        raise SystemExit(2) from e
    except KeyboardInterrupt:
        err.print("interrupted: the job keeps what it finished; continue it with `popcon jobs resume ID`")
        os._exit(130)
