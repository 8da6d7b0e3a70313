"""`popcon segment`: cut one object out of an image from a few clicks (the /refine engine, headless)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

__all__ = ["parse_click", "register"]


def parse_click(text: str) -> tuple[float, float, bool]:
    """'X,Y,fg' or 'X,Y,bg' (also +/-, 1/0, pos/neg) -> (x, y, foreground?)."""
    from popcon.domain.errors import InvalidInput

    parts = [p.strip().lower() for p in text.split(",")]
    if len(parts) == 2:
        parts.append("fg")
    if len(parts) != 3:
        raise InvalidInput(f"click {text!r} should look like X,Y,fg or X,Y,bg")
    try:
        x, y = float(parts[0]), float(parts[1])
    except ValueError as e:
        raise InvalidInput(f"click {text!r}: X and Y must be numbers") from e
    if parts[2] in ("fg", "+", "1", "pos", "positive", "keep"):
        return (x, y, True)
    if parts[2] in ("bg", "-", "0", "neg", "negative"):
        return (x, y, False)
    raise InvalidInput(f"click {text!r}: label must be fg or bg")


def register(app: typer.Typer) -> None:
    """Add the `segment` command to the main app (called once from popcon.cli.app)."""

    @app.command()
    def segment(
        ctx: typer.Context,
        image: Annotated[Path, typer.Argument(help="The image to cut out (PNG, JPEG, WebP, ...).")],
        click: Annotated[
            list[str],
            typer.Option("--click", "-c", help="X,Y,fg or X,Y,bg in image pixels (repeatable)."),
        ],
        out: Annotated[Path, typer.Option("--out", "-o", help="Where to write the RGBA PNG cut-out.")],
        backend: Annotated[
            str | None, typer.Option("--backend", "-b", help="classical (default) or sam2.")
        ] = None,
        prior: Annotated[
            Path | None, typer.Option("--prior", help="Current mask (grey or RGBA PNG) to refine.")
        ] = None,
        mask_out: Annotated[
            Path | None, typer.Option("--mask-out", help="Also write the soft mask as a grey PNG.")
        ] = None,
    ) -> None:
        """Cut out the object the clicks point at and write it as an RGBA PNG."""
        from rich.console import Console

        from popcon.cli.context import cli_context
        from popcon.domain.errors import PopconError
        from popcon.usecases.tools import segment_image

        err = Console(stderr=True)
        try:
            clicks = [parse_click(c) for c in click]
            done = segment_image(
                cli_context(ctx).settings, image, clicks, out, backend=backend, prior=prior, mask_out=mask_out
            )
        except PopconError as e:
            err.print(f"[red]error:[/red] {e}")
            raise typer.Exit(2) from e
        typer.echo(f"{out}  ({done.backend}, {done.clicks} clicks, {100 * done.kept:.1f}% of the image kept)")
