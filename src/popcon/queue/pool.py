"""The embedded worker pool: threads in this process, with the store as the memory that survives.

Two executors: one runs job orchestrators (which mostly wait), the other runs stage work, so an
orchestrator waiting on its actions can never starve the workers it waits for.
"""

from __future__ import annotations

import concurrent.futures.thread as _cf_thread
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from typing import Any, TypeVar

from popcon.pipeline.parallel import one_blas_thread

T = TypeVar("T")


class WorkerPool:
    def __init__(self, workers: int = 2, max_jobs: int = 4) -> None:
        one_blas_thread()  # the workers are the parallelism
        self.workers = workers
        self._stages = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="popcon-stage")
        self._jobs = ThreadPoolExecutor(max_workers=max_jobs, thread_name_prefix="popcon-job")

    def submit_stage(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> Future[T]:
        return self._stages.submit(fn, *args, **kwargs)

    def submit_job(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> Future[T]:
        return self._jobs.submit(fn, *args, **kwargs)

    def wait_stages(self, futures: Sequence[Future[Any]]) -> bool:
        """Wait for stage work; False when the process is exiting first. At exit CPython stops the
        stage threads, so work queued in that instant would never run and a job waiting on it would
        hold the exit forever; the job is left as it stands instead (resume continues it)."""
        while True:
            _, pending = wait(futures, timeout=0.5)
            if not pending:
                return True
            if getattr(_cf_thread, "_shutdown", False):
                for f in pending:
                    f.cancel()
                return False

    def shutdown(self, wait: bool = True) -> None:
        self._jobs.shutdown(wait=wait, cancel_futures=not wait)
        self._stages.shutdown(wait=wait, cancel_futures=not wait)
