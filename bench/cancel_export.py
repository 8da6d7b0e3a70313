"""How long a cancel takes to stop an export that is encoding WebM (Telegram video stickers).

usage: python bench/cancel_export.py [--actions wave,jump,laugh,love] [--after 1.5] [--runs 3]

One job is cut out once; then, per run, the set is exported for telegram-video-sticker on a thread
and canceled `--after` seconds into the export. Printed: seconds from the cancel to the export
returning, with the per-frame checkpoint (now) and with it switched off (the encoders' checkpoint
replaced by a no-op: the behaviour before, where a cancel was seen only between clips).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import threading
import time
from pathlib import Path

from popcon.domain.events import Event
from popcon.domain.status import JobStatus
from popcon.settings import Settings
from popcon.usecases.context import open_context
from popcon.usecases.jobs import NewJob, Upload, actions_from_names, create_job

SAMPLES = Path(__file__).resolve().parents[2] / "shared" / "samples"


def cancel_latency(ctx, job_id: str, after: float) -> float:  # type: ignore[no-untyped-def]
    started = threading.Event()

    def on_event(e: Event) -> None:
        if e.kind == "export" and e.status == "running":
            started.set()

    stop = ctx.subscribe(on_event)
    result: dict[str, float] = {}

    def run() -> None:
        ctx.runner.export(job_id, ["telegram-video-sticker"])
        result["end"] = time.perf_counter()

    t = threading.Thread(target=run)
    t.start()
    started.wait(60)
    time.sleep(after)
    t0 = time.perf_counter()
    ctx.runner.cancel(job_id)
    t.join()
    stop()
    return result["end"] - t0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--actions", default="wave,jump,laugh,love")
    ap.add_argument("--after", type=float, default=1.5)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    import popcon.media.budget as budget
    import popcon.media.canvas as canvas
    import popcon.media.formats.webm as webm

    with tempfile.TemporaryDirectory() as tmp:
        ctx = open_context(Settings(data_dir=Path(tmp) / "data"))
        try:
            req = NewJob(
                presets=actions_from_names(args.actions.split(",")),
                platforms=["telegram-video-sticker"],
                image=Upload("fox.png", path=SAMPLES / "fox.png"),
                auto_export=False,
            )
            job, _ = create_job(ctx, req, start=False)
            assert ctx.run_job(job.id).status == JobStatus.AWAITING_REFINEMENT
            real = (webm.checkpoint, budget.checkpoint, canvas.checkpoint)
            for label, patched in (("per-frame checkpoint", False), ("between clips only (before)", True)):
                if patched:
                    webm.checkpoint = budget.checkpoint = canvas.checkpoint = lambda: None  # type: ignore[assignment]
                times = []
                for _ in range(args.runs):
                    times.append(cancel_latency(ctx, job.id, args.after))
                    assert (
                        ctx.run_job(job.id, resume=True).status == JobStatus.AWAITING_REFINEMENT
                    )  # next run
                webm.checkpoint, budget.checkpoint, canvas.checkpoint = real
                print(
                    f"{label:<28} cancel -> export returned: median {statistics.median(times):.2f} s, "
                    f"max {max(times):.2f} s over {len(times)} runs ({len(req.presets)} actions)"
                )
        finally:
            ctx.close()


if __name__ == "__main__":
    main()
