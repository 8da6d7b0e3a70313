"""Per-provider concurrency limits: how many calls to one cloud service may run at once.

Cloud models allow only a few concurrent tasks per key (about 2 for Wan video), and every worker
uses the same key, so in the distributed mode the limit must hold across machines: `RedisLimiter`
is a counting semaphore in Redis whose slots expire, so a worker killed while holding one gives it
back after `ttl` seconds instead of leaking it. The embedded mode needs no more than the limit the
cloud clients already hold per process (`popcon.providers.cloud.limits`).
"""

from __future__ import annotations

import random
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

CancelCheck = Callable[[], None]


def _never() -> None:
    return None


# Take (or renew) a slot: drop expired holders, then add ours if there is room. Time comes from the
# Redis server so workers with skewed clocks agree on what has expired.
_ACQUIRE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local ttl = tonumber(ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZSCORE', KEYS[1], ARGV[3]) or redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[2]) then
  redis.call('ZADD', KEYS[1], now + ttl, ARGV[3])
  redis.call('PEXPIRE', KEYS[1], math.ceil(ttl * 2000))
  return 1
end
return 0
"""


class RedisLimiter:
    """A `popcon.pipeline.jobrunner.Limiter`: slots shared by every worker that reaches the same Redis;
    each slot expires unless renewed."""

    def __init__(
        self, client: Any, *, ttl: float = 60.0, poll: float = 0.25, prefix: str = "popcon:limit:"
    ) -> None:
        self.client = client
        self.ttl = ttl
        self.poll = poll
        self.prefix = prefix
        self._acquire = client.register_script(_ACQUIRE)

    def holders(self, key: str) -> int:
        """How many live slots `key` has now (for tests and operators)."""
        return int(self.client.zcount(self.prefix + key, time.time(), "+inf"))

    @contextmanager
    def slot(self, key: str, limit: int, check_cancel: CancelCheck = _never) -> Iterator[None]:
        name = self.prefix + key
        token = uuid.uuid4().hex
        args = [self.ttl, max(1, limit), token]
        while not self._acquire(keys=[name], args=args):
            check_cancel()
            threading.Event().wait(self.poll * (0.5 + random.random()))
        stop = threading.Event()

        def renew() -> None:
            while not stop.wait(self.ttl / 3):
                try:
                    self._acquire(keys=[name], args=args)
                except Exception:  # Redis briefly away: the next beat tries before the slot expires
                    continue

        beat = threading.Thread(target=renew, daemon=True, name=f"slot-{key}")
        beat.start()
        try:
            yield
        finally:
            stop.set()
            self.client.zrem(name, token)
