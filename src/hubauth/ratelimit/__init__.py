"""Throttling of failures (RFC 6749 §10.10: guessing credentials), framework-free.

One interface, two backends: :class:`~hubauth.ratelimit.memory.MemoryLimiter` (in-process,
per worker) and :class:`~hubauth.ratelimit.redis.RedisLimiter` (shared by every worker and node
through Redis). Both implement the same sliding-window counter (:mod:`.window`), so a limit
means the same thing whichever backend enforces it. The web layer decides what counts as a
failure and which keys (client id, source address) are charged.
"""

from __future__ import annotations

from hubauth.ratelimit.base import Limit, RateLimiter, Reservation, Verdict

__all__ = ["Limit", "RateLimiter", "Reservation", "Verdict"]
