"""Checking tokens straight from hubauth's database, for a resource server deployed beside the
authorization server (needs ``hubauth[server]``): no HTTP round trip, the same lookup as
introspection (:func:`hubauth.core.metadata.live_access_token`)."""

from __future__ import annotations

from hubauth.config import Settings
from hubauth.core import metadata
from hubauth.core.audit import null_audit
from hubauth.core.clock import Clock, SystemClock
from hubauth.core.context import Context
from hubauth.core.errors import TokenNotFound
from hubauth.core.tokens import TokenHasher
from hubauth.resource import TokenInfo
from hubauth.store.sql import SqlStore

__all__ = ["DatabaseVerifier"]


class DatabaseVerifier:
    """A :class:`~hubauth.resource.Verifier` reading hubauth's store with its server key."""

    def __init__(self, ctx: Context) -> None:
        self._ctx = ctx
        self._store: SqlStore | None = None

    @classmethod
    def from_settings(
        cls, settings: Settings, *, clock: Clock | None = None, pool_size: int = 5
    ) -> DatabaseVerifier:
        """Open hubauth's database as ``settings`` (``HUBAUTH_DATABASE_URL``,
        ``HUBAUTH_SECRET_KEY``...) describe it; call :meth:`close` when done."""
        store = SqlStore.from_url(settings.database_url, pool_size=pool_size)
        ctx = Context(
            store=store,
            clock=clock or SystemClock(),
            hasher=TokenHasher(settings.keyring()),
            policy=settings.policy(),
            audit=null_audit,
        )
        verifier = cls(ctx)
        verifier._store = store
        return verifier

    async def verify(self, token: str) -> TokenInfo | None:
        try:
            record, remaining = await metadata.live_access_token(self._ctx, token)
        except TokenNotFound:
            return None
        return TokenInfo(
            client_id=record.client_id,
            app_id=record.app_id,
            hub_id=record.hub_id or 0,
            user_id=record.user_id or 0,
            scopes=frozenset(record.scopes),
            expires_in=remaining,
            user=record.user_email,
            hub_domain=record.hub_domain,
        )

    async def close(self) -> None:
        if self._store is not None:
            await self._store.close()
