"""The shared token store: where the processes of one integration keep an install's tokens,
and the lease that lets exactly one of them refresh per expiry.

The protocol is optimistic concurrency plus a lease:

1. every worker :meth:`~TokenStore.load`\\ s the record and, when the tokens are due, asks for
   the lease *for the version it saw* (:meth:`~TokenStore.try_lease`);
2. the one that gets it refreshes and :meth:`~TokenStore.commit`\\ s the new tokens, which bumps
   the version and drops the lease;
3. the others poll :meth:`~TokenStore.load` until the version moves, then use the new tokens.
   A worker that saw an old version can never take the lease, so a late worker cannot start a
   second refresh for an expiry that was already handled.

Lease expiry is measured by the store's own clock (SQL ``now``, Redis ``PX``), not the
client's: a worker that dies mid-refresh frees the install after ``lease_s`` of real time,
whatever clock the tokens' expiry is judged by. Token freshness (``expires_at_ms``,
``retry_not_before_ms``) is judged by the manager's injectable clock.

Stores are synchronous; :class:`~hubauth.client.AsyncTokenManager` calls them in a worker
thread. Implementations: :class:`MemoryTokenStore` (one process),
:class:`~hubauth.client.stores.sqlite.SqliteTokenStore`,
:class:`~hubauth.client.stores.postgres.PostgresTokenStore` and
:class:`~hubauth.client.stores.redis.RedisTokenStore`.
"""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass, replace
from typing import Protocol

from hubauth.client.tokens import TokenSet

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,62}")


def checked_identifier(name: str) -> str:
    """A table name safe to splice into SQL (it cannot be a bound parameter)."""
    if not _IDENTIFIER.fullmatch(name):
        raise ValueError(f"not a plain SQL identifier: {name!r}")
    return name


@dataclass(frozen=True, slots=True)
class StoredState:
    """One install's record. ``version`` moves on every commit and put."""

    tokens: TokenSet
    version: int
    #: Set when the grant is gone (ReconnectRequired); cleared by the next put.
    reconnect_reason: str | None = None
    #: No refresh before this (epoch ms, manager's clock): Retry-After / backoff, shared.
    retry_not_before_ms: int = 0


class TokenStore(Protocol):
    def load(self, key: str) -> StoredState | None:
        """The record, or None if nothing was ever put under ``key``."""
        ...

    def put(self, key: str, tokens: TokenSet) -> StoredState:
        """Store tokens from an install or a reconnect: clears failure marks and any lease."""
        ...

    def try_lease(self, key: str, version: int, owner: str, lease_s: float) -> bool:
        """Take the refresh lease iff the record is still at ``version`` and no live lease
        is held. Atomic."""
        ...

    def commit(self, key: str, version: int, tokens: TokenSet) -> bool:
        """Store refreshed tokens iff still at ``version``; bumps it and drops the lease."""
        ...

    def release(
        self,
        key: str,
        version: int,
        owner: str,
        *,
        reconnect_reason: str | None = None,
        retry_not_before_ms: int = 0,
    ) -> None:
        """Give the lease back after a failed refresh, recording why (iff still at
        ``version`` and ``owner`` holds the lease)."""
        ...

    def delete(self, key: str) -> None: ...

    def close(self) -> None: ...


class MemoryTokenStore:
    """In one process: what a :class:`~hubauth.client.TokenManager` uses when given no store.
    Leases expire by ``time.monotonic``."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._records: dict[str, StoredState] = {}
        self._leases: dict[str, tuple[str, float]] = {}

    def load(self, key: str) -> StoredState | None:
        with self._lock:
            return self._records.get(key)

    def put(self, key: str, tokens: TokenSet) -> StoredState:
        with self._lock:
            old = self._records.get(key)
            state = StoredState(tokens, (old.version + 1) if old else 1)
            self._records[key] = state
            self._leases.pop(key, None)
            return state

    def try_lease(self, key: str, version: int, owner: str, lease_s: float) -> bool:
        with self._lock:
            state = self._records.get(key)
            if state is None or state.version != version:
                return False
            holder = self._leases.get(key)
            now = time.monotonic()
            if holder is not None and holder[1] > now:
                return False
            self._leases[key] = (owner, now + lease_s)
            return True

    def commit(self, key: str, version: int, tokens: TokenSet) -> bool:
        with self._lock:
            state = self._records.get(key)
            if state is None or state.version != version:
                return False
            self._records[key] = StoredState(tokens, version + 1)
            self._leases.pop(key, None)
            return True

    def release(
        self,
        key: str,
        version: int,
        owner: str,
        *,
        reconnect_reason: str | None = None,
        retry_not_before_ms: int = 0,
    ) -> None:
        with self._lock:
            state = self._records.get(key)
            holder = self._leases.get(key)
            if state is None or state.version != version or holder is None or holder[0] != owner:
                return
            del self._leases[key]
            self._records[key] = replace(
                state,
                reconnect_reason=reconnect_reason or state.reconnect_reason,
                retry_not_before_ms=max(state.retry_not_before_ms, retry_not_before_ms),
            )

    def delete(self, key: str) -> None:
        with self._lock:
            self._records.pop(key, None)
            self._leases.pop(key, None)

    def close(self) -> None:
        pass
