"""The limiter interface and its value types."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class Limit:
    """At most ``limit`` events per rolling ``window_s`` seconds for each key of ``group``."""

    group: str
    limit: int
    window_s: int

    def __post_init__(self) -> None:
        if self.limit < 1 or self.window_s < 1:
            raise ValueError("a limit needs a positive count and window")

    @property
    def window_ms(self) -> int:
        return self.window_s * 1000

    @property
    def policy_name(self) -> str:
        """HubSpot's naming of rolling windows (``TEN_SECONDLY_ROLLING`` is its app limit)."""
        known = {1: "SECONDLY", 10: "TEN_SECONDLY_ROLLING", 60: "MINUTELY_ROLLING", 86400: "DAILY"}
        return known.get(self.window_s, f"{self.window_s}_SECONDLY_ROLLING")


@dataclass(frozen=True, slots=True)
class Reservation:
    """One attempt counted by :meth:`RateLimiter.reserve`: the window it went into, so a
    refund takes it back from that window even if the clock has moved on since."""

    subject: str
    limit: Limit
    window_index: int


@dataclass(frozen=True, slots=True)
class Verdict:
    """``allowed`` is False once the rolling count has reached the limit; ``retry_after_s``
    says when (with no further events) it will have dropped below again. ``reservation`` is
    set when :meth:`RateLimiter.reserve` counted an attempt (None when it refused, or when a
    failing-open backend counted nothing)."""

    allowed: bool
    count: float
    retry_after_s: int
    limit: Limit
    reservation: Reservation | None = None


def subject_key(group: str, subject: str) -> str:
    """A fixed-size key: subjects (client ids, addresses) are attacker-chosen strings, and
    addresses are personal data that need not sit in Redis in clear."""
    digest = hashlib.sha256(subject.encode("utf-8", "surrogatepass")).hexdigest()[:32]
    return f"{group}:{digest}"


class RateLimiter(Protocol):
    async def peek(self, subject: str, limit: Limit) -> Verdict:
        """Where ``subject`` stands, without counting anything."""
        ...

    async def hit(self, subject: str, limit: Limit) -> Verdict:
        """Count one event for ``subject`` and return where it now stands."""
        ...

    async def reserve(self, subject: str, limit: Limit) -> Verdict:
        """Check and count in one atomic step: if the rolling count is below the limit, count
        one attempt and return an allowed verdict carrying its :class:`Reservation`;
        otherwise count nothing and refuse.

        This is what makes a limit hold under concurrency (CWE-367): a check followed later
        by a count lets every request of a burst pass the check before any is counted. The
        caller reserves *before* the costly or decisive work and :meth:`refund` s the
        reservation when the attempt turned out not to be a failure."""
        ...

    async def refund(self, reservation: Reservation) -> None:
        """Take back one reserved attempt (never below zero)."""
        ...

    async def close(self) -> None: ...
