"""`popcon validate FILE... --platform P`: check files against a platform's rules before submitting.

Kept in its own module so the command can be registered on the app with one line and tested
without the rest of the CLI. Exit status: 0 when every file passes, 1 on any failure (warnings
are shown but do not fail), 2 for an unknown platform or unreadable file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from popcon.domain.errors import InvalidInput
from popcon.domain.platforms import get_platform, load_platforms
from popcon.media.formats import validate_file
from popcon.media.validate import RuleResult, failures


def _fmt(value: object, width: int = 60) -> str:
    text = str(value)
    return text if len(text) <= width else text[: width - 3] + "..."


def _status(r: RuleResult) -> str:
    if r.passed:
        return "[green]pass[/green]"
    return "[yellow]warn[/yellow]" if r.severity == "warning" else "[red]FAIL[/red]"


def validate_command(
    files: Annotated[list[Path], typer.Argument(help="Exported files (APNG .png, .gif, .webm).")],
    platform: Annotated[
        str, typer.Option("--platform", "-p", help=f"Preset id: {', '.join(sorted(load_platforms()))}.")
    ],
) -> None:
    """Print every rule of PLATFORM for each FILE with pass/fail and the measured value."""
    console = Console()
    try:
        preset = get_platform(platform)
    except InvalidInput as e:
        console.print(f"[red]error:[/red] {e}")
        raise typer.Exit(2) from None
    any_failed = False
    for path in files:
        if not path.is_file():
            console.print(f"[red]error:[/red] {path} is not a file")
            raise typer.Exit(2)
        results = validate_file(path, preset)
        bad = failures(results)
        any_failed |= bool(bad)
        table = Table(title=f"{path} ({preset.id})", title_justify="left")
        for col in ("rule", "result", "measured", "limit"):
            table.add_column(col)
        for r in results:
            table.add_row(r.rule, _status(r), _fmt(r.measured), _fmt(r.limit))
        console.print(table)
        verdict = "[red]FAIL[/red] " + ", ".join(r.rule for r in bad) if bad else "[green]ok[/green]"
        console.print(f"{path.name}: {verdict}")
    raise typer.Exit(1 if any_failed else 0)


def register(app: typer.Typer) -> None:
    """Add the `validate` command to the popcon CLI."""
    app.command("validate")(validate_command)
