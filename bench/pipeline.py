"""Wall time per stage and per set, and peak memory, for one offline set.

usage: python bench/pipeline.py [--image PATH | --sample] [--actions a,b,...] [--workers N] [--repeat N]

Runs the real runner in-process on a fresh data folder; stage times come from the runner's own
progress events (time from entering a stage to leaving it, summed over actions).
"""

from __future__ import annotations

import argparse
import resource
import statistics
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from popcon.domain.actions import resolve_actions
from popcon.domain.events import Event
from popcon.domain.models import JobOptions
from popcon.queue.embedded import EmbeddedRunner
from popcon.settings import Settings
from popcon.store.db import JobStore
from popcon.store.files import JobFiles

REPO = Path(__file__).resolve().parents[1]
DEFAULT_IMAGE = REPO.parent / "shared" / "samples" / "fox_on_white.jpg"
DEFAULT_ACTIONS = "wave,jump,laugh,love,cry,happy,dance,sleepy"


def run_once(image: Path | None, actions: list[str], workers: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp), workers=workers)
        store = JobStore(settings.db_url)
        job = store.create_job(
            source="upload" if image else "sample",
            actions=resolve_actions(actions),
            platforms=["line-emoji"],
        )
        if image:
            name = JobFiles(settings.data_dir, job.id).save_input(image.name, image.read_bytes()).name
            store.update_job(job.id, options=JobOptions(upload=name))
        events: list[Event] = []
        runner = EmbeddedRunner(settings, store)
        runner.bus.subscribe(events.append)
        t0 = time.time()
        done = runner.run_job(job.id)
        total = time.time() - t0
        runner.close()
        store.close()
    if done.status.value != "completed":
        raise SystemExit(f"job ended {done.status}: {done.error}")

    stage_sum: dict[str, float] = defaultdict(float)
    last: dict[int, tuple[str, float]] = {}
    job_marks: list[tuple[str, float]] = []
    for e in events:
        if e.kind == "action" and e.action_index is not None:
            if e.action_index in last:
                status, since = last[e.action_index]
                stage_sum[status] += e.at - since
            last[e.action_index] = (e.status, e.at)
        elif e.kind == "job":
            job_marks.append((e.status, e.at))
    marks = dict(job_marks)
    out = {f"action {k} (sum)": v for k, v in stage_sum.items()}
    out["character (wall)"] = marks.get("generating_poses", t0) - marks.get("generating_character", t0)
    out["export (wall)"] = marks.get("completed", t0 + total) - marks.get("exporting", t0 + total)
    out["set (wall)"] = total
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--image", type=Path, default=DEFAULT_IMAGE)
    ap.add_argument("--sample", action="store_true", help="use the built-in sample character")
    ap.add_argument("--actions", default=DEFAULT_ACTIONS)
    ap.add_argument("--workers", type=int, default=Settings().workers)
    ap.add_argument("--repeat", type=int, default=1)
    a = ap.parse_args()
    image = None if a.sample else a.image
    actions = [x for x in a.actions.split(",") if x]
    runs = [run_once(image, actions, a.workers) for _ in range(a.repeat)]
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"{len(actions)} actions from {image.name if image else 'the built-in sample'}, "
        f"{a.workers} workers, {a.repeat} run(s), median seconds:"
    )
    for key in runs[0]:
        vals = [r.get(key, 0.0) for r in runs]
        print(f"  {key:<28} {statistics.median(vals):7.2f}")
    print(f"  {'peak memory (MB)':<28} {peak_mb:7.0f}")


if __name__ == "__main__":
    main()
