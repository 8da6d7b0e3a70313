import threading

from popcon.queue.pool import WorkerPool


def test_orchestrators_never_starve_stage_workers():
    pool = WorkerPool(workers=1, max_jobs=2)
    results = []

    def job(n: int) -> int:
        # a job waits on its own stage work: with one stage worker this must still finish
        return pool.submit_stage(lambda: n * 2).result(timeout=5)

    futures = [pool.submit_job(job, n) for n in range(4)]
    results = [f.result(timeout=10) for f in futures]
    pool.shutdown()
    assert results == [0, 2, 4, 6]


def test_stage_work_runs_in_parallel_up_to_the_worker_count():
    pool = WorkerPool(workers=2)
    barrier = threading.Barrier(2, timeout=5)
    futures = [pool.submit_stage(barrier.wait) for _ in range(2)]
    assert sorted(f.result() for f in futures) == [0, 1]
    pool.shutdown()
