"""`popcon serve`: the web app and its embedded worker pool on one local port."""

from __future__ import annotations

import ipaddress
from typing import Annotated

import typer

from popcon.domain.errors import InvalidInput

MIN_TOKEN_CHARS = 16


def is_loopback(host: str) -> bool:
    """Only this machine can connect (127.0.0.0/8, ::1, localhost)."""
    if host.strip().lower() in ("localhost", "localhost."):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a host name: it may resolve to any interface


def check_serve_auth(host: str, token: str | None, no_auth: bool) -> None:
    """A server reachable from the network needs a token, unless the user says so explicitly."""
    if token is not None and len(token.strip()) < MIN_TOKEN_CHARS:
        raise InvalidInput(f"POPCON_API_TOKEN is too short: use at least {MIN_TOKEN_CHARS} random characters")
    if is_loopback(host) or token is not None or no_auth:
        return
    raise InvalidInput(
        f"--host {host} exposes every job to the network: set POPCON_API_TOKEN (at least "
        f"{MIN_TOKEN_CHARS} characters; clients send 'Authorization: Bearer <token>', the page asks once), "
        "or pass --no-auth to serve without one"
    )


def register(app: typer.Typer) -> None:
    @app.command()
    def serve(
        ctx: typer.Context,
        host: Annotated[str, typer.Option(help="Interface to bind; keep 127.0.0.1 unless you know why.")] = (
            "127.0.0.1"
        ),
        port: Annotated[int, typer.Option(min=1, max=65535, help="TCP port.")] = 8000,
        no_auth: Annotated[
            bool,
            typer.Option(
                "--no-auth",
                help="Serve a non-loopback HOST without POPCON_API_TOKEN (anyone who can reach it).",
            ),
        ] = False,
    ) -> None:
        """Start the web app (UI + API + workers) at http://HOST:PORT; jobs left running are resumed."""
        import uvicorn

        from popcon.cli.context import cli_context
        from popcon.usecases.context import check_data_dir
        from popcon.web import create_app

        s = cli_context(ctx).settings
        check_serve_auth(host, s.api_token.get_secret_value() if s.api_token else None, no_auth)
        check_data_dir(s)
        app_ = create_app(s)
        typer.echo(f"PopCon on http://{host}:{port}  (API docs: /docs, stop: Ctrl-C)")
        if s.api_token is not None:
            typer.echo("API token required (POPCON_API_TOKEN): the page asks for it once")
        elif no_auth and not is_loopback(host):
            typer.echo(
                f"warning: no API token: every job is open to anyone who can reach {host}:{port}", err=True
            )
        uvicorn.run(app_, host=host, port=port, log_level="info", access_log=False)
