"""`popcon serve`: the web app and its embedded worker pool on one local port."""

from __future__ import annotations

from typing import Annotated

import typer


def register(app: typer.Typer) -> None:
    @app.command()
    def serve(
        ctx: typer.Context,
        host: Annotated[str, typer.Option(help="Interface to bind; keep 127.0.0.1 unless you know why.")] = (
            "127.0.0.1"
        ),
        port: Annotated[int, typer.Option(min=1, max=65535, help="TCP port.")] = 8000,
    ) -> None:
        """Start the web app (UI + API + workers) at http://HOST:PORT; jobs left running are resumed."""
        import uvicorn

        from popcon.cli.context import cli_context
        from popcon.usecases.context import check_data_dir
        from popcon.web import create_app

        s = cli_context(ctx).settings
        check_data_dir(s)
        app_ = create_app(s)
        typer.echo(f"PopCon on http://{host}:{port}  (API docs: /docs, stop: Ctrl-C)")
        uvicorn.run(app_, host=host, port=port, log_level="info", access_log=False)
