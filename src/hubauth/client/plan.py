"""The decisions a token manager makes, without I/O, shared by the sync and async managers.

Given the stored record and "now" (the manager's clock), :func:`decide` says: use the stored
tokens, or try to refresh; or it raises when neither is possible (grant gone, or backing off
with nothing usable in hand).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from enum import Enum

from hubauth.client.errors import ReconnectRequired, RetryLater
from hubauth.client.stores.base import StoredState
from hubauth.client.tokens import TokenSet


@dataclass(frozen=True, slots=True)
class Timing:
    """When to refresh and how to wait. Defaults suit HubSpot's 30-minute tokens (spec §3.2).

    * ``margin_s`` (300): refresh once less than 5 minutes are left — long enough to ride out
      a slow or briefly failing token endpoint (several backoff rounds fit before expiry),
      short enough that a token is used for 25 of its 30 minutes. Capped at half a token's
      lifetime (see :meth:`TokenSet.refresh_due`).
    * ``min_validity_s`` (30): while a refresh is failing transiently, a token with more than
      this left is still handed out instead of raising :class:`RetryLater`.
    * ``lease_s`` (30): how long one process may hold the refresh before others may take over
      (longer than ``timeout_s``, so a live refresher never loses it).
    * ``wait_s`` (35): how long a process waits for another's refresh before giving up.
    * ``poll_s`` (0.02): how often a waiting process re-reads the store (with jitter).
    * ``backoff_s`` / ``max_backoff_s`` (1 / 60): pause after a transient failure without
      ``Retry-After``, doubling per consecutive failure. ``Retry-After`` wins when sent.
    * ``timeout_s`` (10): HTTP timeout of a token request.
    * ``resends`` / ``resend_delay_s`` (1 / 0.5): a refresh whose answer may have been lost
      after the server acted on it (no answer, a reset, a timeout, a 5xx) is sent again this
      many times, this long apart, with the same refresh token, before the failure counts.
      Under rotation the first attempt may have rotated the token; the server accepts the
      same token again only within its rotation grace (hubauth: 30 s by default, while the
      unseen successor is unused; docs/decisions.md), so the resend must come soon, not
      after the backoff. Bounded: at most ``resends`` extra requests per refresh.
    """

    margin_s: float = 300.0
    min_validity_s: float = 30.0
    lease_s: float = 30.0
    wait_s: float = 35.0
    poll_s: float = 0.02
    backoff_s: float = 1.0
    max_backoff_s: float = 60.0
    timeout_s: float = 10.0
    resends: int = 1
    resend_delay_s: float = 0.5

    def __post_init__(self) -> None:
        if self.lease_s <= self.timeout_s:
            raise ValueError("lease_s must exceed timeout_s, or a slow refresh loses its lease")
        durations = (self.margin_s, self.min_validity_s, self.poll_s, self.backoff_s)
        if min(*durations, self.resend_delay_s, self.resends) < 0:
            raise ValueError("durations cannot be negative")

    @property
    def resends_within_lease(self) -> int:
        """``resends``, cut so that every attempt fits in the lease (a slow endpoint must not
        make two processes refresh at once)."""
        fits = (self.lease_s - self.timeout_s) // (self.timeout_s + self.resend_delay_s)
        return max(0, min(self.resends, int(fits)))


class Step(Enum):
    USE = "use"
    REFRESH = "refresh"


def decide(
    state: StoredState | None, now_ms: int, timing: Timing, rejected: str | None = None
) -> Step:
    """What to do with this record now; raises when the answer is "nothing"."""
    if state is None:
        raise ReconnectRequired("no tokens stored for this install; complete the install first")
    if state.reconnect_reason is not None:
        raise ReconnectRequired(state.reconnect_reason)
    tokens = state.tokens
    if not due(tokens, now_ms, timing, rejected):
        return Step.USE
    if state.retry_not_before_ms > now_ms:
        if usable(tokens, now_ms, timing, rejected):
            return Step.USE
        raise RetryLater(
            "token endpoint asked us to wait",
            retry_after=(state.retry_not_before_ms - now_ms) / 1000,
        )
    return Step.REFRESH


def due(tokens: TokenSet, now_ms: int, timing: Timing, rejected: str | None = None) -> bool:
    return tokens.access_token == rejected or tokens.refresh_due(now_ms, timing.margin_s)


def usable(tokens: TokenSet, now_ms: int, timing: Timing, rejected: str | None = None) -> bool:
    """Still worth handing out while a refresh cannot happen."""
    return (
        tokens.access_token != rejected
        and tokens.remaining_ms(now_ms) > timing.min_validity_s * 1000
    )


def retry_delay_s(exc: RetryLater, consecutive_failures: int, timing: Timing) -> float:
    """``Retry-After`` when the server sent one, else exponential backoff."""
    if exc.retry_after is not None:
        return float(exc.retry_after)
    return min(timing.backoff_s * 2.0 ** max(0, consecutive_failures - 1), timing.max_backoff_s)


def response_may_be_lost(exc: RetryLater) -> bool:
    """No answer (reset, timeout, refused) or a 5xx: the server may have refreshed anyway.
    429, 408 and 477 say the request was not acted on; waiting for them is the backoff's job.
    """
    return exc.http_status is None or exc.http_status >= 500


def poll_delay_s(timing: Timing) -> float:
    # Jitter spreads the re-reads of many waiters; it is not a security measure.
    return timing.poll_s * (0.5 + random.random())  # noqa: S311
