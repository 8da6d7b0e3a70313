"""The `popcon` command line: a thin shell that parses, calls one use case and renders."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from popcon.cli.context import CliContext, cli_context
from popcon.domain.errors import InvalidInput, PopconError, StorageError, as_storage_error
from popcon.domain.exports import ExportSummary
from popcon.domain.models import Job
from popcon.domain.platforms import platform_choices
from popcon.domain.reports import MatteReport

if TYPE_CHECKING:
    from popcon.usecases.context import AppContext

app = typer.Typer(
    name="popcon",
    help="Turn one character image into animated emoji and sticker sets.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
jobs_app = typer.Typer(help="List, inspect, resume, cancel and delete jobs.", no_args_is_help=True)
app.add_typer(jobs_app, name="jobs")
console = Console()
err = Console(stderr=True)
PLATFORM_HELP = f"Target preset (repeatable): {platform_choices()}."


def _register_commands() -> None:
    """Commands that live in their own modules (one per concern); imported lazily inside each."""
    from popcon.cli import providers, rig, segment, serve, validate, worker

    providers.register(app)
    rig.register(app, jobs_app)
    segment.register(app)
    serve.register(app)
    validate.register(app)
    worker.register(app)


@app.callback()
def _root(
    ctx: typer.Context,
    data_dir: Annotated[
        Path | None, typer.Option("--data-dir", help="Where jobs live (env POPCON_DATA_DIR).")
    ] = None,
) -> None:
    ctx.obj = CliContext(data_dir=data_dir)


@app.command()
def make(
    ctx: typer.Context,
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
    platform: Annotated[list[str] | None, typer.Option("--platform", help=PLATFORM_HELP)] = None,
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
    caption: Annotated[
        list[str] | None, typer.Option("--caption", help='Caption of an action: ACTION="text" (repeatable).')
    ] = None,
    caption_lang: Annotated[
        str, typer.Option("--caption-lang", help="Language of the default captions: en, ja, ko, zh-Hant, th.")
    ] = "en",
    captions: Annotated[
        bool, typer.Option("--captions/--no-captions", help="Draw captions on sticker presets.")
    ] = True,
    caption_motion: Annotated[str, typer.Option("--caption-motion", help="none, pop or bounce.")] = "pop",
    title: Annotated[
        list[str] | None, typer.Option("--title", help="Store title per language: LANG=text (LINE, Kakao).")
    ] = None,
    description: Annotated[
        list[str] | None, typer.Option("--description", help="Store description per language: LANG=text.")
    ] = None,
) -> None:
    """Make a set: character -> start poses -> clips -> frames -> cut-outs -> platform files."""
    from popcon.cli.progress import run_with_progress
    from popcon.usecases.captions import caption_choice, store_text
    from popcon.usecases.jobs import NewJob, Upload, actions_from_names, create_job

    cli = cli_context(ctx)
    sources = [x for x in (image is not None, prompt is not None, sample) if x]
    if len(sources) != 1:
        raise InvalidInput("give exactly one of: an IMAGE, --prompt TEXT, or --sample")
    customs = dict(_pair(c, "--custom") for c in custom or [])
    clips = {name: Path(path) for name, path in (_pair(c, "--clip") for c in clip or [])}
    request = NewJob(
        presets=actions_from_names(actions.split(","), customs),
        platforms=platform or ["line-emoji"],
        image=Upload(image.name, path=image) if image is not None else None,
        rig=_rig_file(rig),
        prompt=prompt,
        sample=sample,
        remove_background=remove_background,
        auto_export=not refine,
        clips=clips,
        captions=caption_choice(caption or [], caption_lang, captions, caption_motion),
        submission=store_text(title or [], description or []),
    )
    svc = cli.open(image_provider, video_provider)
    job, _ = create_job(svc, request, start=False)
    if prompt and svc.runner.images.offline:
        console.print(
            "[dim]character: drawn by the offline procedural generator (no image API key set)[/dim]"
        )
    if not svc.offline:
        from popcon.cli.providers import render_estimate

        render_estimate(
            cli.settings,
            len(job.actions),
            prompt is not None,
            console,
            image_provider=svc.runner.images.name,
            video_provider=svc.runner.video.name,
            imported_clips=len(clips),
        )
    console.print(f"job [bold]{job.id}[/bold]: {len(job.actions)} actions -> {', '.join(job.platforms)}")
    job = run_with_progress(svc, job.id, console)
    _finish(svc, job, out)


def _rig_file(path: Path | None) -> bytes | None:
    """The rig file the user gave (`make --rig`); the use case checks it against the character."""
    if path is None:
        return None
    if not path.is_file():
        raise InvalidInput(f"--rig: no such file: {path}")
    return path.read_bytes()


def _pair(text: str, flag: str) -> tuple[str, str]:
    name, sep, value = text.partition("=")
    if not sep or not name.strip() or not value.strip():
        raise InvalidInput(f"{flag} expects NAME=VALUE, got {text!r}")
    return name.strip().lower(), value.strip()


def _matte_warning(report: MatteReport | None, label: str = "") -> None:
    """Say when the matte could not separate the background with confidence (which frames)."""
    if report and report.warning:
        frames = ", ".join(str(f + 1) for f in report.low_frames)
        prefix = f"{label}: " if label else ""
        err.print(f"[yellow]warning:[/yellow] {prefix}{report.warning} (frames {frames})", highlight=False)


def _print_summary(summary: ExportSummary) -> None:
    """A set's files with their verdict and its notes (actions left out are among them)."""
    valid = sum(f.valid for f in summary.files)
    console.print(f"  {len(summary.files)} files, {valid} pass the platform's rules", highlight=False)
    for warning in summary.warnings:
        console.print(f"  [yellow]note:[/yellow] {warning}", highlight=False)


def _finish(svc: AppContext, job: Job, out: Path) -> None:
    from popcon.usecases.exports import copy_exports

    for a in job.actions:
        if a.error:
            err.print(f"[red]{a.action_id} failed:[/red] {a.error}")
        _matte_warning(a.matte, a.action_id)
    if job.status.value == "canceled":  # nothing is copied out: a canceled set is not a finished one
        err.print(f"job {job.id} canceled; continue it with: popcon jobs resume {job.id}", highlight=False)
        raise typer.Exit(1)
    if job.status.value == "awaiting_refinement":
        console.print(f"frames are cut out and wait for refinement: {svc.files(job.id).root}")
        console.print(f"export them with: popcon export {job.id} --platform line-emoji")
        return
    if not job.exports:
        err.print(f"[red]job {job.id} {job.status}:[/red] {job.error or ''}")
        raise typer.Exit(1)
    for copied in copy_exports(svc, job, out):
        console.print(f"[green]{copied.platform}[/green]: {copied.folder}/ and {copied.zip}")
        if copied.preview is not None:
            console.print(f"  preview: {copied.preview}")
        _print_summary(copied.summary)
    if job.status.value == "completed_with_errors":
        console.print(
            f"[yellow]finished with errors[/yellow]: {job.error}. Retry: popcon jobs resume {job.id}"
        )
        raise typer.Exit(1)


@app.command("actions")
def list_actions(
    caption_lang: Annotated[
        str | None,
        typer.Option("--caption-lang", help="Show each action's default caption in this language."),
    ] = None,
) -> None:
    """The action presets, one line each."""
    from popcon.domain.actions import load_presets
    from popcon.domain.captions import default_caption

    for p in load_presets().values():
        caption = f"{default_caption(p.id, caption_lang) or '':<12} " if caption_lang else ""
        console.print(
            f"[bold]{p.id:<11}[/bold] {p.emoji} {p.label:<12} {caption}{p.recipe.seconds}s  "
            f"[dim]{p.motion_prompt[:80]}{'…' if len(p.motion_prompt) > 80 else ''}[/dim]",
            highlight=False,
        )


@jobs_app.command("list")
def jobs_list(
    ctx: typer.Context,
    limit: Annotated[int, typer.Option(help="How many, newest first.", min=1, max=10_000)] = 30,
) -> None:
    """Past jobs, newest first."""
    svc = cli_context(ctx).open()
    table = Table("id", "status", "source", "actions", "platforms", "created")
    for j in svc.list_jobs(limit):
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
def jobs_show(ctx: typer.Context, job_id: str) -> None:
    """One job with each action's status."""
    svc = cli_context(ctx).open()
    j = svc.get_job(job_id)
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
    exports_dir = svc.files(j.id).exports_dir
    for platform, summary in j.exports.items():
        console.print(f"export {platform}: {exports_dir / summary.zip}")
        _print_summary(summary)


@jobs_app.command("resume")
def jobs_resume(
    ctx: typer.Context,
    job_id: str,
    out: Annotated[Path, typer.Option("--out", "-o", help="Where the sets are written.")] = Path("out"),
) -> None:
    """Continue a job from where it stopped (after a crash, a cancel or failures)."""
    from popcon.cli.progress import run_with_progress

    svc = cli_context(ctx).open()
    svc.get_job(job_id)
    job = run_with_progress(svc, job_id, console, resume=True)
    _finish(svc, job, out)


@jobs_app.command("cancel")
def jobs_cancel(ctx: typer.Context, job_id: str) -> None:
    """Stop a job; a running runner notices within a fraction of a second."""
    from popcon.usecases.jobs import cancel_job

    job = cancel_job(cli_context(ctx).open(), job_id)
    console.print(f"job {job.id} {job.status.value}")


@jobs_app.command("delete")
def jobs_delete(
    ctx: typer.Context,
    job_id: str,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Delete without asking.")] = False,
) -> None:
    """Delete a job that is not running: its record and every file it wrote (exports included)."""
    from popcon.usecases.jobs import delete_job

    svc = cli_context(ctx).open()
    job = svc.get_job(job_id)
    if not yes and not typer.confirm(f"delete job {job.id} ({job.status.value}) and all its files?"):
        err.print("nothing deleted")
        raise typer.Exit(1)
    delete_job(svc, job.id)
    console.print(f"job {job.id} deleted")


@app.command()
def export(
    ctx: typer.Context,
    job_id: str,
    platform: Annotated[list[str], typer.Option("--platform", help=PLATFORM_HELP)],
    out: Annotated[Path, typer.Option("--out", "-o")] = Path("out"),
) -> None:
    """Export a job's cut-outs for one or more platforms."""
    from popcon.usecases.jobs import export_job

    svc = cli_context(ctx).open()
    job = export_job(svc, job_id, platform)
    _finish(svc, job, out)


@app.command()
def matte(
    video: Annotated[Path, typer.Argument(help="A clip (MP4, WebM, MOV, GIF...).")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder for one RGBA PNG per frame.")],
) -> None:
    """Decode a clip and cut out every frame (automatic matte only)."""
    from popcon.usecases.tools import matte_clip

    count, report = matte_clip(video, out)
    console.print(f"{count} frames cut out into {out}")
    _matte_warning(report)


@app.command()
def cutout(
    ctx: typer.Context,
    image: Annotated[
        Path, typer.Argument(help="The picture (PNG, JPEG, WebP, ...), no transparency needed.")
    ],
    out: Annotated[Path, typer.Option("--out", "-o", help="Where to write the RGBA PNG cut-out.")],
) -> None:
    """Cut the character out of one picture, as a job cuts an upload (a drawing on paper: its inside
    filled; a figure on a backdrop), and say how sure the cut is."""
    from popcon.usecases.tools import cutout_image

    done = cutout_image(cli_context(ctx).settings, image, out)
    conf = "n/a (the image has its own transparency)" if done.confidence is None else f"{done.confidence:.2f}"
    console.print(f"{out}  ({done.kind}, {100 * done.kept:.1f}% of the image kept, confidence {conf})")
    if done.warning:
        err.print(f"[yellow]warning:[/yellow] {done.warning}", highlight=False)


@app.command()
def version() -> None:
    """Print the version."""
    from popcon import __version__

    console.print(__version__)


_register_commands()


def _error_line(e: BaseException) -> None:
    """The error as one line however narrow the terminal (no wrapping, no markup from the message)."""
    from rich.text import Text

    err.print(Text.assemble(("error:", "red"), " ", str(e)), soft_wrap=True, highlight=False)


def main() -> None:
    try:
        app()
    except StorageError as e:  # the environment, not the input: exit 1, and resume finishes the job later
        _error_line(e)
        raise SystemExit(1) from e
    except PopconError as e:
        _error_line(e)
        raise SystemExit(2) from e
    except Exception as e:
        storage = as_storage_error(e)
        if storage is None:
            raise
        _error_line(storage)
        raise SystemExit(1) from e
    except KeyboardInterrupt:
        err.print("interrupted: the job keeps what it finished; continue it with `popcon jobs resume ID`")
        os._exit(130)
