"""How PopCon spends the machine's cores: on its own parallel work, not on nested BLAS threads.

The pipeline already runs actions and encodes side by side (one per core). NumPy's OpenBLAS would
start its own threads inside each of them; on a laptop those spin against each other: the demo's
eight encodes took 5.8 s and 11 s of CPU with them, 4.0 s and 7.9 s with one BLAS thread each.
"""

from __future__ import annotations

import threading

from threadpoolctl import threadpool_limits

_done = False
_lock = threading.Lock()


def one_blas_thread() -> None:
    """Limit BLAS to one thread in this process (idempotent; the limit is process-wide)."""
    global _done
    with _lock:
        if not _done:
            threadpool_limits(limits=1, user_api="blas")
            _done = True
