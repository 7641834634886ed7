"""Redis backend: counts shared by every worker and node (redis-py asyncio).

One Lua script per call reads (and, for a hit, increments) the current and previous window
counters atomically, so concurrent hits from many nodes never lose an increment. Keys expire
on their own two windows after they start: no clean-up job, no unbounded growth.

If Redis is unreachable the limiter *fails open* (logs a warning at most once a minute): rate
limiting is defence in depth, and an outage of it must not take the authorization server down.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from redis.asyncio import BlockingConnectionPool, Redis
from redis.exceptions import RedisError

from hubauth.core.clock import Clock
from hubauth.ratelimit import window
from hubauth.ratelimit.base import Limit, Verdict, subject_key

_log = logging.getLogger("hubauth.ratelimit")

# KEYS[1] current window, KEYS[2] previous window; ARGV[1] increment (0 = peek),
# ARGV[2] time-to-live of the current window's key in ms.
_SCRIPT = """
local current
local increment = tonumber(ARGV[1])
if increment > 0 then
  current = redis.call('INCRBY', KEYS[1], increment)
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
else
  current = tonumber(redis.call('GET', KEYS[1]) or '0')
end
local previous = tonumber(redis.call('GET', KEYS[2]) or '0')
return {current, previous}
"""


class RedisLimiter:
    def __init__(
        self,
        url: str,
        clock: Clock,
        *,
        prefix: str = "hubauth:rl:",
        timeout_s: float = 0.5,
        max_connections: int = 32,
    ) -> None:
        self._clock = clock
        self._prefix = prefix
        # A blocking pool: a burst waits (up to the timeout) for a connection instead of
        # failing, so concurrent hits are counted rather than let through.
        pool = BlockingConnectionPool.from_url(
            url,
            max_connections=max_connections,
            timeout=timeout_s,
            socket_timeout=timeout_s,
            socket_connect_timeout=timeout_s,
        )
        self._redis: Redis = Redis(connection_pool=pool)
        self._script: Any = self._redis.register_script(_SCRIPT)
        self._last_warning = 0.0

    async def _run(self, subject: str, limit: Limit, increment: int) -> Verdict:
        now = self._clock.now_ms()
        w = limit.window_ms
        index = window.window_index(now, w)
        base = self._prefix + subject_key(limit.group, subject)
        # Alive until the end of the next window, when it stops being "previous".
        ttl_ms = (index + 2) * w - now + 1000
        try:
            current, previous = await self._script(
                keys=[f"{base}:{index}", f"{base}:{index - 1}"], args=[increment, ttl_ms]
            )
        except (RedisError, OSError, TimeoutError) as exc:
            self._warn(exc)
            return Verdict(allowed=True, count=0.0, retry_after_s=0, limit=limit)
        current, previous = int(current), int(previous)
        count = window.estimate(previous, current, now, w)
        return Verdict(
            allowed=count < limit.limit,
            count=count,
            retry_after_s=window.retry_after_s(previous, current, now, w, limit.limit),
            limit=limit,
        )

    def _warn(self, exc: BaseException) -> None:
        moment = time.monotonic()  # operational log throttling, not domain time
        if moment - self._last_warning > 60:
            self._last_warning = moment
            _log.warning("rate limiter: Redis unavailable, not limiting (%s)", type(exc).__name__)

    async def peek(self, subject: str, limit: Limit) -> Verdict:
        return await self._run(subject, limit, 0)

    async def hit(self, subject: str, limit: Limit) -> Verdict:
        return await self._run(subject, limit, 1)

    async def close(self) -> None:
        await self._redis.aclose(close_connection_pool=True)
