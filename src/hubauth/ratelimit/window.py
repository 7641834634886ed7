"""The sliding-window counter both backends share.

Time is cut into fixed windows of ``W`` ms; each key keeps the count of the current and the
previous window. The rolling count at time ``t`` weighs the previous window by the part of it
still inside ``[t - W, t]``::

    estimate = previous * (W - elapsed) / W + current        (elapsed = t mod W)

This is the approximation Cloudflare and others use: O(1) memory per key, one atomic script in
Redis, and no burst of 2x the limit at window boundaries as a plain fixed window allows.
"""

from __future__ import annotations

import math


def window_index(now_ms: int, window_ms: int) -> int:
    return now_ms // window_ms


def estimate(previous: int, current: int, now_ms: int, window_ms: int) -> float:
    elapsed = now_ms % window_ms
    return previous * (window_ms - elapsed) / window_ms + current


def retry_after_s(previous: int, current: int, now_ms: int, window_ms: int, limit: int) -> int:
    """Whole seconds until the estimate drops below ``limit`` if nothing else is counted."""
    elapsed = now_ms % window_ms
    if estimate(previous, current, now_ms, window_ms) < limit:
        return 0
    if current >= limit:
        # Wait for the next window, then until the current count (now "previous") has decayed.
        wait = (window_ms - elapsed) + window_ms * (1 - limit / current)
    else:
        # Within this window: previous * (W - e) / W < limit - current.
        wait = window_ms * (1 - (limit - current) / previous) - elapsed
    # +1 ms: the estimate must drop strictly below the limit, not just reach it.
    return max(1, math.ceil((wait + 1) / 1000))
