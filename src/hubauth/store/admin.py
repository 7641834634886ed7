"""The admin side of the store: purge, counts and listings for the CLI and operators
(``hubauth tokens purge-expired|list``, ``hubauth keys status``). Never on a request's path."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import (
    and_,
    delete,
    func,
    or_,
    select,
)
from sqlalchemy.ext.asyncio import AsyncEngine

from hubauth.core.models import (
    TokenSummary,
)
from hubauth.store.errors import unavailable_on_db_loss
from hubauth.store.rows import token_summary
from hubauth.store.schema import (
    access_tokens,
    apps,
    auth_codes,
    browser_sessions,
    client_assertion_jtis,
    hubs,
    install_flows,
    installs,
    refresh_tokens,
    users,
)

#: How long revoked/rotated refresh tokens are kept so that reuse is still detected.
REFRESH_RETENTION_MS = 30 * 24 * 3600 * 1000


class AdminQueries:
    """Purge, count and list; mixed into :class:`~hubauth.store.sql.SqlStore`."""

    engine: AsyncEngine
    dialect: str

    @unavailable_on_db_loss
    async def purge_expired(self, now_ms: int, batch_size: int = 1000) -> int:
        """Delete expired access tokens and codes, and refresh tokens dead for longer than
        the retention window, ``batch_size`` rows per short transaction."""
        cutoff = now_ms - REFRESH_RETENTION_MS
        targets = (
            (access_tokens, access_tokens.c.access_id, access_tokens.c.expires_ms < now_ms),
            (auth_codes, auth_codes.c.code_hash, auth_codes.c.expires_ms < now_ms),
            (
                browser_sessions,
                browser_sessions.c.session_id,
                or_(
                    browser_sessions.c.idle_expires_ms < now_ms,
                    browser_sessions.c.expires_ms < now_ms,
                ),
            ),
            (install_flows, install_flows.c.flow_id, install_flows.c.expires_ms < now_ms),
            (
                client_assertion_jtis,
                client_assertion_jtis.c.jti_hash,
                client_assertion_jtis.c.expires_ms < now_ms,
            ),
            (
                refresh_tokens,
                refresh_tokens.c.refresh_id,
                or_(
                    and_(
                        refresh_tokens.c.revoked_ms.is_not(None),
                        refresh_tokens.c.revoked_ms < cutoff,
                    ),
                    and_(
                        refresh_tokens.c.rotated_ms.is_not(None),
                        refresh_tokens.c.rotated_ms < cutoff,
                    ),
                ),
            ),
        )
        removed = 0
        for table, key, dead in targets:
            while True:
                batch = select(key).where(dead).limit(batch_size).scalar_subquery()
                async with self.engine.begin() as conn:
                    count = (await conn.execute(delete(table).where(key.in_(batch)))).rowcount
                removed += count
                if count < batch_size:
                    break
                await asyncio.sleep(0)  # let serving requests in between batches
        return removed

    @unavailable_on_db_loss
    async def count_by_key(self, now_ms: int) -> dict[str, dict[str | None, int]]:
        """Stored secrets that still work, per table and server key id (None = legacy): what
        ``hubauth keys status`` shows before an old key is dropped. Dead rows (expired,
        consumed, revoked, rotated) are left out: losing their key changes nothing."""
        live: dict[str, tuple[Any, list[Any]]] = {
            "apps": (apps, []),
            "auth_codes": (
                auth_codes,
                [auth_codes.c.consumed_ms.is_(None), auth_codes.c.expires_ms >= now_ms],
            ),
            "refresh_tokens": (
                refresh_tokens,
                [refresh_tokens.c.revoked_ms.is_(None), refresh_tokens.c.rotated_ms.is_(None)],
            ),
            "access_tokens": (
                access_tokens,
                [access_tokens.c.revoked_ms.is_(None), access_tokens.c.expires_ms >= now_ms],
            ),
        }
        out: dict[str, dict[str | None, int]] = {}
        async with self.engine.connect() as conn:
            for name, (table, where) in live.items():
                stmt = select(table.c.key_id, func.count()).where(*where).group_by(table.c.key_id)
                out[name] = {row[0]: int(row[1]) for row in (await conn.execute(stmt)).all()}
        return out

    @unavailable_on_db_loss
    async def count_rows(self) -> dict[str, int]:
        out: dict[str, int] = {}
        async with self.engine.connect() as conn:
            for table in (apps, hubs, users, installs, auth_codes, refresh_tokens, access_tokens):
                out[table.name] = (
                    await conn.execute(select(func.count()).select_from(table))
                ).scalar_one()
        return out

    @unavailable_on_db_loss
    async def list_tokens(
        self,
        *,
        app_id: int | None = None,
        hub_id: int | None = None,
        user_id: int | None = None,
        limit: int = 100,
    ) -> list[TokenSummary]:
        found: list[TokenSummary] = []
        async with self.engine.connect() as conn:
            for table, key in (
                (refresh_tokens, refresh_tokens.c.refresh_id),
                (access_tokens, access_tokens.c.access_id),
            ):
                filters = [
                    column == value
                    for column, value in (
                        (table.c.app_id, app_id),
                        (table.c.hub_id, hub_id),
                        (table.c.user_id, user_id),
                    )
                    if value is not None
                ]
                stmt = select(table).where(*filters).order_by(key.desc()).limit(limit)
                for row in (await conn.execute(stmt)).all():
                    found.append(token_summary(table is refresh_tokens, row))
        found.sort(key=lambda t: (t.created_ms, t.row_id), reverse=True)
        return found[:limit]
