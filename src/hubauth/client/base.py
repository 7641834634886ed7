"""What the sync and async token managers share: configuration, the cached record, and the
bookkeeping after a refresh attempt. The I/O (HTTP, store, sleeping, locking) is theirs."""

from __future__ import annotations

import logging
import os
import socket
import uuid
from collections.abc import Mapping
from typing import Any

from hubauth.client import plan
from hubauth.client.clock import Clock, SystemClock
from hubauth.client.errors import ReconnectRequired, RefreshError, RetryLater
from hubauth.client.protocol import HUBSPOT_API, TOKEN_PATH_V1, OAuthApp
from hubauth.client.stores.base import MemoryTokenStore, StoredState, TokenStore
from hubauth.client.tokens import TokenSet

log = logging.getLogger("hubauth.client")


class ManagerBase:
    def __init__(
        self,
        client_id: str,
        client_secret: str,
        *,
        base_url: str = HUBSPOT_API,
        token_path: str = TOKEN_PATH_V1,
        store: TokenStore | None = None,
        key: str = "default",
        clock: Clock | None = None,
        timing: plan.Timing | None = None,
        refresh_margin: float | None = None,
    ) -> None:
        """``store`` shares the install's tokens (and the refresh lease) between processes;
        without one, tokens live in this object only. ``key`` names the install in the store
        (e.g. ``f"hub:{hub_id}"``). ``clock`` judges expiry (epoch ms); ``refresh_margin``
        overrides ``timing.margin_s``."""
        self.app = OAuthApp(client_id, client_secret, base_url, token_path)
        self.key = key
        self.store: TokenStore = store if store is not None else MemoryTokenStore()
        self.clock: Clock = clock or SystemClock()
        timing = timing or plan.Timing()
        if refresh_margin is not None:
            timing = plan.Timing(**{**_fields(timing), "margin_s": refresh_margin})
        self.timing = timing
        #: Identifies this manager's lease in the shared store.
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:12]}"
        self._cache: StoredState | None = None
        self._rejected: str | None = None
        self._failures = 0
        self.refreshes = 0  # refreshes this manager performed (the others were waits)

    def token_rejected(self, access_token: str) -> None:
        """Tell the manager an API answered 401 for this access token (revoked early, or the
        clocks disagree): the next call refreshes instead of handing it out again.

        Refreshing is driven by ``expires_in`` first (docs/sources.md: USAGE, AIRBYTE); this is the
        fallback.
        """
        self._rejected = access_token

    def _now(self) -> int:
        return self.clock.now_ms()

    def _fresh_cached(self) -> TokenSet | None:
        state = self._cache
        if state is None or state.reconnect_reason is not None:
            return None
        if plan.due(state.tokens, self._now(), self.timing, self._rejected):
            return None
        return state.tokens

    def _decide(self, state: StoredState | None) -> plan.Step:
        self._cache = state
        return plan.decide(state, self._now(), self.timing, self._rejected)

    def _tokens_from(self, tokens: TokenSet | Mapping[str, Any]) -> TokenSet:
        if isinstance(tokens, TokenSet):
            return tokens
        return TokenSet.from_response(tokens, self._now())

    def _stored(self, state: StoredState) -> TokenSet:
        self._cache = state
        self._rejected = None
        self._failures = 0
        return state.tokens

    def _after_failure(
        self, state: StoredState, exc: RefreshError
    ) -> tuple[dict[str, Any], TokenSet | None]:
        """What to record in the store (``release`` keywords) and a token still worth handing
        out, after a refresh failed with ``exc``."""
        now = self._now()
        if isinstance(exc, ReconnectRequired):
            log.warning("refresh of %s failed, reconnect required: %s", self.key, exc.describe())
            return {"reconnect_reason": exc.describe()}, None
        if isinstance(exc, RetryLater):
            self._failures += 1
            delay = plan.retry_delay_s(exc, self._failures, self.timing)
            if exc.retry_after is None:
                exc.retry_after = delay
            log.warning(
                "refresh of %s failed, retry in %.1f s: %s", self.key, delay, exc.describe()
            )
            still = plan.usable(state.tokens, now, self.timing, self._rejected)
            return {"retry_not_before_ms": now + round(delay * 1000)}, (
                state.tokens if still else None
            )
        log.error("refresh of %s failed: %s", self.key, exc.describe())
        return {}, None

    def _committed(self, state: StoredState, tokens: TokenSet) -> TokenSet:
        self.refreshes += 1
        return self._stored(StoredState(tokens, state.version + 1))


def _fields(timing: plan.Timing) -> dict[str, Any]:
    return {name: getattr(timing, name) for name in plan.Timing.__dataclass_fields__}
