"""`popcon serve`: the web app and its embedded worker pool on one local port."""

from __future__ import annotations

from typing import Annotated

import typer


def register(app: typer.Typer) -> None:
    @app.command()
    def serve(
        host: Annotated[str, typer.Option(help="Interface to bind; keep 127.0.0.1 unless you know why.")] = (
            "127.0.0.1"
        ),
        port: Annotated[int, typer.Option(min=1, max=65535, help="TCP port.")] = 8000,
    ) -> None:
        """Start the web app (UI + API + workers) at http://HOST:PORT; jobs left running are resumed."""
        import uvicorn

        from popcon.atomic import ensure_writable
        from popcon.cli.app import settings
        from popcon.web import create_app

        s = settings()
        ensure_writable(s.data_dir)  # a read-only data folder is one clear line, not a startup traceback
        app_ = create_app(s)
        typer.echo(f"PopCon on http://{host}:{port}  (API docs: /docs, stop: Ctrl-C)")
        uvicorn.run(app_, host=host, port=port, log_level="info", access_log=False)
