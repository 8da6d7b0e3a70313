"""A live Rich display of one job: a line for the job, a bar per action through its stages."""

from __future__ import annotations

import queue
import time

from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TaskID, TextColumn, TimeElapsedColumn

from popcon.domain.events import Event
from popcon.domain.models import Job
from popcon.usecases.context import AppContext
from popcon.usecases.jobs import run_job

_STEPS = {"pending": 0, "posing": 1, "animating": 2, "extracting": 3, "matting": 4, "done": 5}
_WORDS = {
    "pending": "waiting",
    "posing": "start pose",
    "animating": "animating",
    "extracting": "extracting loop",
    "matting": "cutting out",
    "done": "[green]cut out[/green]",
    "failed": "[red]failed[/red]",
    "canceled": "[yellow]canceled[/yellow]",
}


def run_with_progress(svc: AppContext, job_id: str, console: Console, *, resume: bool = False) -> Job:
    """Run the job and render its events until it ends (`resume`: bring a failed/canceled job back)."""
    events: queue.Queue[Event] = queue.Queue()
    unsubscribe = svc.subscribe(lambda e: events.put(e) if e.job_id == job_id else None)
    job = svc.get_job(job_id)
    progress = Progress(
        SpinnerColumn(),
        TextColumn("{task.description:<22}"),
        BarColumn(bar_width=24),
        TextColumn("{task.fields[stage]}"),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    )
    tasks: dict[int, TaskID] = {}
    with progress:
        overall = progress.add_task(f"job {job_id}", total=None, stage=job.status.value)
        for a in job.actions:
            tasks[a.index] = progress.add_task(
                f"  {a.preset.emoji} {a.preset.label}"[:22],
                total=len(_STEPS) - 1,
                completed=_STEPS.get(a.status.value, 0),
                stage=_WORDS.get(a.status.value, a.status.value),
            )
        future = run_job(svc, job_id, resume=resume)
        started = time.monotonic()
        while True:
            try:
                e = events.get(timeout=0.1)
            except queue.Empty:
                if future.done():
                    break
                continue
            if e.kind == "job":
                progress.update(overall, stage=e.status)
            elif e.kind == "action" and e.action_index in tasks:
                t = tasks[e.action_index]
                if e.status in _STEPS:
                    progress.update(t, completed=_STEPS[e.status], stage=_WORDS[e.status])
                else:
                    progress.update(t, stage=_WORDS.get(e.status, e.status))
                    progress.stop_task(t)
            elif e.kind == "export":
                progress.update(overall, stage=f"export {e.message}: {e.status}")
            elif e.kind == "log" and e.message:
                progress.console.print(f"[dim]{e.message}[/dim]")
        progress.update(overall, total=1, completed=1)
    unsubscribe()
    job = future.result()
    console.print(f"job {job.id}: [bold]{job.status.value}[/bold] in {time.monotonic() - started:.1f}s")
    return job
