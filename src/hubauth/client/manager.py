"""``TokenManager``: a thread-safe holder of one install's tokens that refreshes ahead of expiry,
once per expiry, however many threads (and, with a shared store, processes) ask at once.

Within a process a ``threading.Lock`` single-flights the refresh; across processes the store's
lease does (see :mod:`hubauth.client.stores.base`). RFC 6749 §6 (refresh); HubSpot's lifetimes,
rotation, revocation and error bodies, and the pitfalls it avoids: docs/sources.md (G-V3, USAGE,
NANGO, POSTHOG, CL-30MIN).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from types import TracebackType
from typing import Any, Self

import httpx

from hubauth.client import plan
from hubauth.client.base import ManagerBase, log
from hubauth.client.errors import RefreshError, RetryLater
from hubauth.client.protocol import HEADERS, read_token_response, transport_error
from hubauth.client.stores.base import StoredState
from hubauth.client.tokens import TokenSet


class TokenManager(ManagerBase):
    """Sync token manager. See :class:`~hubauth.client.base.ManagerBase` for the arguments;
    ``tokens`` seeds the store (as after an install), ``http`` is an optional ``httpx.Client``.
    """

    def __init__(
        self,
        client_id: str,
        client_secret: str,
        *,
        tokens: TokenSet | Mapping[str, Any] | None = None,
        http: httpx.Client | None = None,
        **options: Any,
    ) -> None:
        super().__init__(client_id, client_secret, **options)
        self._http = http or httpx.Client(timeout=self.timing.timeout_s)
        self._own_http = http is None
        self._lock = threading.Lock()
        if tokens is not None:
            self.set_tokens(tokens)

    # --- public -------------------------------------------------------------------------------

    def get_access_token(self) -> str:
        """A valid access token, refreshed first when less than the margin is left.

        Raises :class:`RetryLater`, :class:`ReconnectRequired` or :class:`Misconfigured`
        (see :mod:`hubauth.client.errors`).
        """
        tokens = self._fresh_cached()
        if tokens is None:
            with self._lock:
                tokens = self._fresh_cached() or self._obtain()
        return tokens.access_token

    def set_tokens(self, tokens: TokenSet | Mapping[str, Any]) -> TokenSet:
        """Store tokens from an install or reconnect (a TokenSet, or a token response body
        received just now); clears a previous "reconnect required" mark."""
        with self._lock:
            return self._stored(self.store.put(self.key, self._tokens_from(tokens)))

    def exchange_code(
        self, code: str, redirect_uri: str, code_verifier: str | None = None
    ) -> TokenSet:
        """Finish an install: trade the authorization code for tokens and store them."""
        form = self.app.code_form(code, redirect_uri, code_verifier)
        return self.set_tokens(self._post(form, None))

    def current(self) -> TokenSet | None:
        """The stored tokens as they are, without refreshing."""
        state = self.store.load(self.key)
        return state.tokens if state else None

    def close(self) -> None:
        if self._own_http:
            self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # --- the refresh --------------------------------------------------------------------------

    def _obtain(self) -> TokenSet:
        deadline = time.monotonic() + self.timing.wait_s
        while True:
            state = self.store.load(self.key)
            if self._decide(state) is plan.Step.USE:
                assert state is not None
                return state.tokens
            assert state is not None
            if self.store.try_lease(self.key, state.version, self.owner, self.timing.lease_s):
                tokens = self._refresh_leased(state)
                if tokens is not None:
                    return tokens
                continue  # another worker committed first: read what it stored
            if time.monotonic() >= deadline:
                raise RetryLater("timed out waiting for another worker's refresh")
            time.sleep(plan.poll_delay_s(self.timing))

    def _refresh_leased(self, state: StoredState) -> TokenSet | None:
        try:
            tokens = self._post_refresh(state)
        except RefreshError as exc:
            release, still_usable = self._after_failure(state, exc)
            self.store.release(self.key, state.version, self.owner, **release)
            if still_usable is not None:
                return still_usable
            raise
        except BaseException:
            self.store.release(self.key, state.version, self.owner)
            raise
        if not self.store.commit(self.key, state.version, tokens):
            return None
        return self._committed(state, tokens)

    def _post_refresh(self, state: StoredState) -> TokenSet:
        """The refresh request, sent again (same token, bounded) when its answer may have been
        lost after the server acted on it: see ``Timing.resends``."""
        form = self.app.refresh_form(state.tokens.refresh_token)
        resends = self.timing.resends_within_lease
        for attempt in range(resends + 1):
            try:
                return self._post(form, state)
            except RetryLater as exc:
                if attempt == resends or not plan.response_may_be_lost(exc):
                    raise
                log.info("refresh of %s got no usable answer, sending it again", self.key)
            time.sleep(self.timing.resend_delay_s)
        raise AssertionError("unreachable")

    def _post(self, form: dict[str, str], state: StoredState | None) -> TokenSet:
        try:
            response = self._http.post(self.app.token_url, data=form, headers=HEADERS)
        except httpx.TransportError as exc:
            raise transport_error(exc) from exc
        previous = state.tokens.refresh_token if state else None
        return read_token_response(response, self._now(), previous)
