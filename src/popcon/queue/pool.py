"""The embedded worker pool: threads in this process, with the store as the memory that survives.

Two executors: one runs job orchestrators (which mostly wait), the other runs stage work, so an
orchestrator waiting on its actions can never starve the workers it waits for.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
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

    def shutdown(self, wait: bool = True) -> None:
        self._jobs.shutdown(wait=wait, cancel_futures=not wait)
        self._stages.shutdown(wait=wait, cancel_futures=not wait)
