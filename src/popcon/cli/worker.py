"""`popcon worker`: a Celery worker of the distributed mode (`POPCON_QUEUE=celery`)."""

from __future__ import annotations

from typing import Annotated

import typer


def register(app: typer.Typer) -> None:
    @app.command()
    def worker(
        ctx: typer.Context,
        concurrency: Annotated[
            int | None,
            typer.Option("--concurrency", "-c", help="Tasks at once (default: POPCON_WORKERS)."),
        ] = None,
        pool: Annotated[
            str, typer.Option("--pool", help="prefork (processes), threads, or solo (one task, no fork).")
        ] = "prefork",
        loglevel: Annotated[str, typer.Option("--loglevel", "-l")] = "info",
        hostname: Annotated[str | None, typer.Option("--hostname", "-n", help="Worker node name.")] = None,
        logfile: Annotated[str | None, typer.Option("--logfile", help="Log here instead of stderr.")] = None,
    ) -> None:
        """Run stage tasks from the Redis queue. Every worker shares POPCON_DATA_DIR and the database.

        Needs POPCON_REDIS_URL and POPCON_DATABASE_URL (PostgreSQL, or a SQLite file every worker
        on this machine reaches); the web app and the CLI enqueue when POPCON_QUEUE=celery.
        """
        from popcon.cli.context import cli_context
        from popcon.usecases.worker import run_worker

        s = cli_context(ctx).settings
        argv = [
            "worker",
            f"--concurrency={concurrency or s.workers}",
            f"--pool={pool}",
            f"--loglevel={loglevel}",
            "--without-gossip",
            "--without-mingle",
        ]
        if hostname:
            argv.append(f"--hostname={hostname}")
        if logfile:
            argv.append(f"--logfile={logfile}")
        run_worker(s, argv)


def main() -> None:
    """`python -m popcon.cli.worker`: the same command without the rest of the CLI."""
    app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
    register(app)
    app()


if __name__ == "__main__":
    main()
