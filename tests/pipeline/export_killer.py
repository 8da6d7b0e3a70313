"""A real process that exports a job and kills itself (SIGKILL) at the Nth point where the export
changes what is on disk or in the store: every rename (each staged file, each swap, the round
record) and before and after each platform is recorded. No cleanup code runs, as in a real kill.

`python -m tests.pipeline.export_killer DATA_DIR JOB_ID KILL_AT PLATFORMS` prints how many points
it passed when it finishes (KILL_AT beyond that number).
"""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path
from typing import Any

from popcon.settings import Settings
from popcon.store.db import JobStore
from popcon.usecases.context import open_context


def main() -> None:
    data, job_id, kill_at, platforms = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3]), sys.argv[4]
    passed = 0

    def point() -> None:
        nonlocal passed
        passed += 1
        if passed == kill_at:
            os.kill(os.getpid(), signal.SIGKILL)

    real_replace, real_record = os.replace, JobStore.record_export

    def replace(src: Any, dst: Any, **kw: Any) -> None:
        point()
        real_replace(src, dst, **kw)

    def record(self: JobStore, *args: Any) -> None:
        point()
        real_record(self, *args)
        point()

    os.replace = replace  # type: ignore[assignment]
    JobStore.record_export = record  # type: ignore[method-assign]
    ctx = open_context(Settings(data_dir=data, clip_size=256, workers=1))
    ctx.runner.export(job_id, platforms.split(","))
    print(passed)
    ctx.close()


if __name__ == "__main__":
    main()
