"""`popcon worker`: a Celery worker of the distributed mode (`POPCON_QUEUE=celery`)."""

from __future__ import annotations

from typing import Annotated

import typer


def register(app: typer.Typer) -> None:
    @app.command()
    def worker(
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
        from popcon.cli.app import settings
        from popcon.queue.celery_app import QUEUE, make_celery
        from popcon.store.db import JobStore

        s = settings()
        s.data_dir.mkdir(parents=True, exist_ok=True)
        JobStore(s.db_url).close()  # create or migrate the schema once, before any task runs
        argv = [
            "worker",
            f"--concurrency={concurrency or s.workers}",
            f"--pool={pool}",
            f"--loglevel={loglevel}",
            f"--queues={QUEUE}",
            "--without-gossip",
            "--without-mingle",
        ]
        if hostname:
            argv.append(f"--hostname={hostname}")
        if logfile:
            argv.append(f"--logfile={logfile}")
        make_celery(s).worker_main(argv)


def main() -> None:
    """`python -m popcon.cli.worker`: the same command without the rest of the CLI."""
    app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
    register(app)
    app()


if __name__ == "__main__":
    main()
