"""``AsyncTokenManager``: :class:`~hubauth.client.TokenManager` for asyncio.

An ``asyncio.Lock`` single-flights the refresh among the tasks of one event loop; the shared
store's lease does across processes. Store calls run in a worker thread (the stores are
synchronous and quick), so a slow store never blocks the loop.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping
from types import TracebackType
from typing import Any, Self, TypeVar

import httpx

from hubauth.client import plan
from hubauth.client.base import ManagerBase, log
from hubauth.client.errors import RefreshError, RetryLater
from hubauth.client.protocol import HEADERS, read_token_response, transport_error
from hubauth.client.stores.base import StoredState
from hubauth.client.tokens import TokenSet

T = TypeVar("T")


class AsyncTokenManager(ManagerBase):
    """Async token manager; ``tokens`` seeds the store, ``http`` is an optional
    ``httpx.AsyncClient``."""

    def __init__(
        self,
        client_id: str,
        client_secret: str,
        *,
        tokens: TokenSet | Mapping[str, Any] | None = None,
        http: httpx.AsyncClient | None = None,
        **options: Any,
    ) -> None:
        super().__init__(client_id, client_secret, **options)
        self._http = http or httpx.AsyncClient(timeout=self.timing.timeout_s)
        self._own_http = http is None
        self._lock = asyncio.Lock()
        if tokens is not None:  # stores are synchronous and quick: fine in a constructor
            self._stored(self.store.put(self.key, self._tokens_from(tokens)))

    # --- public -------------------------------------------------------------------------------

    async def get_access_token(self) -> str:
        """A valid access token, refreshed first when less than the margin is left."""
        tokens = self._fresh_cached()
        if tokens is None:
            async with self._lock:
                tokens = self._fresh_cached() or await self._obtain()
        return tokens.access_token

    async def set_tokens(self, tokens: TokenSet | Mapping[str, Any]) -> TokenSet:
        """Store tokens from an install or reconnect; clears a "reconnect required" mark."""
        async with self._lock:
            state = await self._store(self.store.put, self.key, self._tokens_from(tokens))
            return self._stored(state)

    async def exchange_code(
        self, code: str, redirect_uri: str, code_verifier: str | None = None
    ) -> TokenSet:
        """Finish an install: trade the authorization code for tokens and store them."""
        form = self.app.code_form(code, redirect_uri, code_verifier)
        return await self.set_tokens(await self._post(form, None))

    async def current(self) -> TokenSet | None:
        state = await self._store(self.store.load, self.key)
        return state.tokens if state else None

    async def aclose(self) -> None:
        if self._own_http:
            await self._http.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    # --- the refresh --------------------------------------------------------------------------

    async def _store(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        return await asyncio.to_thread(fn, *args, **kwargs)

    async def _obtain(self) -> TokenSet:
        deadline = time.monotonic() + self.timing.wait_s
        while True:
            state = await self._store(self.store.load, self.key)
            if self._decide(state) is plan.Step.USE:
                assert state is not None
                return state.tokens
            assert state is not None
            leased = await self._store(
                self.store.try_lease, self.key, state.version, self.owner, self.timing.lease_s
            )
            if leased:
                tokens = await self._refresh_leased(state)
                if tokens is not None:
                    return tokens
                continue
            if time.monotonic() >= deadline:
                raise RetryLater("timed out waiting for another worker's refresh")
            await asyncio.sleep(plan.poll_delay_s(self.timing))

    async def _refresh_leased(self, state: StoredState) -> TokenSet | None:
        try:
            tokens = await self._post_refresh(state)
        except RefreshError as exc:
            release, still_usable = self._after_failure(state, exc)
            await self._store(self.store.release, self.key, state.version, self.owner, **release)
            if still_usable is not None:
                return still_usable
            raise
        except BaseException:
            # Cancelled mid-refresh: give the lease back so the next task need not wait it out.
            await asyncio.shield(
                self._store(self.store.release, self.key, state.version, self.owner)
            )
            raise
        if not await self._store(self.store.commit, self.key, state.version, tokens):
            return None
        return self._committed(state, tokens)

    async def _post_refresh(self, state: StoredState) -> TokenSet:
        """The refresh request, sent again (same token, bounded) when its answer may have been
        lost after the server acted on it: see ``Timing.resends``."""
        form = self.app.refresh_form(state.tokens.refresh_token)
        resends = self.timing.resends_within_lease
        for attempt in range(resends + 1):
            try:
                return await self._post(form, state)
            except RetryLater as exc:
                if attempt == resends or not plan.response_may_be_lost(exc):
                    raise
                log.info("refresh of %s got no usable answer, sending it again", self.key)
            await asyncio.sleep(self.timing.resend_delay_s)
        raise AssertionError("unreachable")

    async def _post(self, form: dict[str, str], state: StoredState | None) -> TokenSet:
        try:
            response = await self._http.post(self.app.token_url, data=form, headers=HEADERS)
        except httpx.TransportError as exc:
            raise transport_error(exc) from exc
        previous = state.tokens.refresh_token if state else None
        return read_token_response(response, self._now(), previous)
