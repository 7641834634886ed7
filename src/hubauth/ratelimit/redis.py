"""Redis backend: counts shared by every worker and node (redis-py asyncio).

One Lua script per call reads (and, for a hit, increments) the current and previous window
counters atomically, so concurrent hits from many nodes never lose an increment. Keys expire
on their own two windows after they start: no clean-up job, no unbounded growth.

If Redis is unreachable the limiter *fails open* (logs a warning at most once a minute): rate
limiting is defence in depth, and an outage of it must not take the authorization server down.

A burst is not an outage. Calls wait for one of ``max_connections`` slots (a semaphore, up to
``acquire_timeout_s``) before they touch the connection pool, so a burst queues instead of
timing out; a call that still finds no slot is *refused* (429), never let through. Before this,
the pool's own wait shared the 0.5 s socket timeout, and a burst of a few hundred calls on a
busy machine timed out waiting for a connection and failed open: the burst itself switched the
limiter off (issue 15).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import Any

from redis.asyncio import BlockingConnectionPool, Redis
from redis.exceptions import RedisError

from hubauth.core.clock import Clock
from hubauth.ratelimit import window
from hubauth.ratelimit.base import Limit, Reservation, Verdict, subject_key

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

# Check-and-count in one step (RateLimiter.reserve): KEYS as above; ARGV[1] the limit,
# ARGV[2] the previous window's weight (its share still inside the rolling window, 0..1),
# ARGV[3] time-to-live of the current window's key in ms. Returns {counted, current, previous}.
_RESERVE = """
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
local previous = tonumber(redis.call('GET', KEYS[2]) or '0')
if previous * tonumber(ARGV[2]) + current >= tonumber(ARGV[1]) then
  return {0, current, previous}
end
current = redis.call('INCR', KEYS[1])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return {1, current, previous}
"""

# Refund: one less in the reservation's window, never below zero, never creating a key.
_REFUND = """
local value = tonumber(redis.call('GET', KEYS[1]) or '0')
if value > 0 then
  redis.call('DECR', KEYS[1])
end
return value
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
        acquire_timeout_s: float = 5.0,
        read_timeout_s: float = 2.0,
    ) -> None:
        self._clock = clock
        self._prefix = prefix
        self._acquire_timeout_s = acquire_timeout_s
        # The semaphore, not the pool, makes a burst wait: its timeout can be long (local
        # congestion) while the socket timeouts stay short (a dead Redis is noticed quickly).
        self._slots = asyncio.Semaphore(max_connections)
        pool = BlockingConnectionPool.from_url(
            url,
            max_connections=max_connections,
            timeout=acquire_timeout_s,
            # On a busy machine (two cores, a test suite beside the server) the event loop can
            # be starved for longer than 0.5 s: a timeout that short fired on a healthy Redis
            # and failed open in the middle of a burst. A refused connection (Redis down) is
            # still noticed at once; only a black-holed host costs the full timeout.
            socket_timeout=max(timeout_s, read_timeout_s),
            socket_connect_timeout=max(timeout_s, read_timeout_s),
        )
        self._redis: Redis = Redis(connection_pool=pool)
        self._script: Any = self._redis.register_script(_SCRIPT)
        self._reserve: Any = self._redis.register_script(_RESERVE)
        self._refund: Any = self._redis.register_script(_REFUND)
        self._last_warning = 0.0

    def _key(self, subject: str, limit: Limit, index: int) -> str:
        return f"{self._prefix}{subject_key(limit.group, subject)}:{index}"

    async def _call(self, script: Any, keys: list[str], args: list[Any]) -> Any:
        """Run ``script``; :class:`_Busy` when no slot freed up in time, ``None`` when Redis
        failed (the caller fails open)."""
        try:
            await asyncio.wait_for(self._slots.acquire(), self._acquire_timeout_s)
        except TimeoutError:
            raise _Busy from None
        try:
            return await script(keys=keys, args=args)
        except (RedisError, OSError, TimeoutError) as exc:
            self._warn(exc)
            return None
        finally:
            self._slots.release()

    async def _run(self, subject: str, limit: Limit, increment: int) -> Verdict:
        now = self._clock.now_ms()
        w = limit.window_ms
        index = window.window_index(now, w)
        # Alive until the end of the next window, when it stops being "previous".
        ttl_ms = (index + 2) * w - now + 1000
        keys = [self._key(subject, limit, index), self._key(subject, limit, index - 1)]
        try:
            answer = await self._call(self._script, keys, [increment, ttl_ms])
        except _Busy:
            return _busy(limit)
        if answer is None:
            return Verdict(allowed=True, count=0.0, retry_after_s=0, limit=limit)
        current, previous = int(answer[0]), int(answer[1])
        count = window.estimate(previous, current, now, w)
        return Verdict(
            allowed=count < limit.limit,
            count=count,
            retry_after_s=window.retry_after_s(previous, current, now, w, limit.limit),
            limit=limit,
        )

    async def reserve(self, subject: str, limit: Limit) -> Verdict:
        now = self._clock.now_ms()
        w = limit.window_ms
        index = window.window_index(now, w)
        ttl_ms = (index + 2) * w - now + 1000
        weight = (w - now % w) / w
        keys = [self._key(subject, limit, index), self._key(subject, limit, index - 1)]
        try:
            answer = await self._call(self._reserve, keys, [limit.limit, repr(weight), ttl_ms])
        except _Busy:
            return _busy(limit)
        if answer is None:
            return Verdict(allowed=True, count=0.0, retry_after_s=0, limit=limit)
        counted, current, previous = int(answer[0]), int(answer[1]), int(answer[2])
        count = window.estimate(previous, current, now, w)
        if not counted:
            return Verdict(
                allowed=False,
                count=count,
                retry_after_s=window.retry_after_s(previous, current, now, w, limit.limit),
                limit=limit,
            )
        return Verdict(True, count, 0, limit, Reservation(subject, limit, index))

    async def refund(self, reservation: Reservation) -> None:
        key = self._key(reservation.subject, reservation.limit, reservation.window_index)
        # When busy, the attempt stays counted: errs on the side of limiting.
        with contextlib.suppress(_Busy):
            await self._call(self._refund, [key], [])

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


class _Busy(Exception):
    """Every Redis slot stayed taken for ``acquire_timeout_s``."""


def _busy(limit: Limit) -> Verdict:
    """Refuse: so many calls are queued on this node that it is under a burst, which is when
    a limiter must not step aside."""
    return Verdict(allowed=False, count=float(limit.limit), retry_after_s=1, limit=limit)
