"""In-process backend: one dict per worker process, bounded in size.

Each granian worker keeps its own counts, so with N workers a client gets up to N times the
limit; configure ``HUBAUTH_REDIS_URL`` to share counts across workers and nodes.
"""

from __future__ import annotations

from hubauth.core.clock import Clock
from hubauth.ratelimit import window
from hubauth.ratelimit.base import Limit, Reservation, Verdict


class MemoryLimiter:
    """Sliding-window counters in a dict; at most ``max_keys`` entries.

    Attackers choose the subjects (random client ids, many addresses), so the table is
    bounded: when full, entries older than two windows are dropped first, then the least
    recently touched ones. No locking: asyncio runs each call to completion (no awaits inside).
    """

    def __init__(self, clock: Clock, max_keys: int = 100_000) -> None:
        self._clock = clock
        self._max_keys = max_keys
        # (group, subject) -> (window index, count in that window, count in the window before).
        # Subjects are kept as given (no digest as in Redis): they never leave the process and
        # the middleware truncates them.
        self._counts: dict[tuple[str, str], tuple[int, int, int]] = {}
        self._clean: dict[Limit, Verdict] = {}

    def __len__(self) -> int:
        return len(self._counts)

    def _read(self, key: tuple[str, str], index: int) -> tuple[int, int]:
        entry = self._counts.get(key)
        if entry is None:
            return 0, 0
        at, current, previous = entry
        if at == index:
            return current, previous
        if at == index - 1:
            return 0, current
        return 0, 0

    def _verdict(self, current: int, previous: int, now: int, limit: Limit) -> Verdict:
        count = window.estimate(previous, current, now, limit.window_ms)
        return Verdict(
            allowed=count < limit.limit,
            count=count,
            retry_after_s=window.retry_after_s(
                previous, current, now, limit.window_ms, limit.limit
            ),
            limit=limit,
        )

    async def peek(self, subject: str, limit: Limit) -> Verdict:
        key = (limit.group, subject)
        if key not in self._counts:
            # Every request to an OAuth route peeks; nearly all subjects have no failures.
            clean = self._clean.get(limit)
            if clean is None:
                clean = self._clean[limit] = Verdict(True, 0, 0, limit)
            return clean
        now = self._clock.now_ms()
        index = window.window_index(now, limit.window_ms)
        current, previous = self._read(key, index)
        return self._verdict(current, previous, now, limit)

    async def hit(self, subject: str, limit: Limit) -> Verdict:
        now = self._clock.now_ms()
        index = window.window_index(now, limit.window_ms)
        key = (limit.group, subject)
        current, previous = self._read(key, index)
        current += 1
        self._counts.pop(key, None)  # re-insert at the end: dict order = recency
        if len(self._counts) >= self._max_keys:
            self._evict(index)
        self._counts[key] = (index, current, previous)
        return self._verdict(current, previous, now, limit)

    async def reserve(self, subject: str, limit: Limit) -> Verdict:
        # No await between the check and the count: atomic within this worker's event loop.
        now = self._clock.now_ms()
        index = window.window_index(now, limit.window_ms)
        key = (limit.group, subject)
        current, previous = self._read(key, index)
        if window.estimate(previous, current, now, limit.window_ms) >= limit.limit:
            return self._verdict(current, previous, now, limit)
        # As hit() does, inline: every request to an OAuth route reserves (and nearly all
        # are refunded), so this is on the hot path of every token request and lookup.
        current += 1
        counts = self._counts
        counts.pop(key, None)  # re-insert at the end: dict order = recency
        if len(counts) >= self._max_keys:
            self._evict(index)
        counts[key] = (index, current, previous)
        return Verdict(
            allowed=True,
            count=window.estimate(previous, current, now, limit.window_ms),
            retry_after_s=0,
            limit=limit,
            reservation=Reservation(subject, limit, index),
        )

    async def refund(self, reservation: Reservation) -> None:
        key = (reservation.limit.group, reservation.subject)
        entry = self._counts.get(key)
        if entry is None:
            return
        at, current, previous = entry
        if at == reservation.window_index and current > 0:
            self._counts[key] = (at, current - 1, previous)
        elif at == reservation.window_index + 1 and previous > 0:
            self._counts[key] = (at, current, previous - 1)

    def _evict(self, index: int) -> None:
        stale = [k for k, (at, _, _) in self._counts.items() if at < index - 1]
        for k in stale:
            del self._counts[k]
        while len(self._counts) >= self._max_keys:
            del self._counts[next(iter(self._counts))]

    async def close(self) -> None:
        self._counts.clear()
