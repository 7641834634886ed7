"""The install pages' server-side sessions and single-use install flows."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import orjson
from sqlalchemy import (
    delete,
    insert,
    select,
    update,
)
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncEngine

from hubauth.core.models import (
    BrowserSession,
    InstallFlow,
)
from hubauth.store.errors import unavailable_on_db_loss
from hubauth.store.queries import Hashes, hashes_of
from hubauth.store.schema import (
    browser_sessions,
    install_flows,
)


class SessionQueries:
    """Browser sessions and install flows; mixed into :class:`~hubauth.store.sql.SqlStore`."""

    engine: AsyncEngine
    _one: Callable[[Any], Awaitable[Row[Any] | None]]

    @unavailable_on_db_loss
    async def create_browser_session(
        self, token_hash: bytes, csrf_token: str, now_ms: int, idle_expires_ms: int, expires_ms: int
    ) -> int:
        async with self.engine.begin() as conn:
            result = await conn.execute(
                insert(browser_sessions).values(
                    token_hash=token_hash,
                    csrf_token=csrf_token,
                    created_ms=now_ms,
                    idle_expires_ms=idle_expires_ms,
                    expires_ms=expires_ms,
                )
            )
            key = result.inserted_primary_key
            assert key is not None  # an INSERT always reports its key
            return int(key[0])

    @unavailable_on_db_loss
    async def find_browser_session(self, token_hash: Hashes, now_ms: int) -> BrowserSession | None:
        t = browser_sessions.c
        row = await self._one(
            select(browser_sessions).where(
                t.token_hash.in_(hashes_of(token_hash)),
                t.idle_expires_ms > now_ms,
                t.expires_ms > now_ms,
            )
        )
        if row is None:
            return None
        return BrowserSession(
            session_id=row.session_id,
            csrf_token=row.csrf_token,
            user_id=row.user_id,
            signed_in_ms=row.signed_in_ms,
            created_ms=row.created_ms,
            idle_expires_ms=row.idle_expires_ms,
            expires_ms=row.expires_ms,
        )

    @unavailable_on_db_loss
    async def touch_browser_session(self, session_id: int, idle_expires_ms: int) -> None:
        async with self.engine.begin() as conn:
            await conn.execute(
                update(browser_sessions)
                .where(browser_sessions.c.session_id == session_id)
                .values(idle_expires_ms=idle_expires_ms)
            )

    @unavailable_on_db_loss
    async def sign_in_browser_session(
        self,
        session_id: int,
        new_token_hash: bytes,
        csrf_token: str,
        user_id: int,
        now_ms: int,
        idle_expires_ms: int,
    ) -> bool:
        async with self.engine.begin() as conn:
            result = await conn.execute(
                update(browser_sessions)
                .where(browser_sessions.c.session_id == session_id)
                .values(
                    token_hash=new_token_hash,
                    csrf_token=csrf_token,
                    user_id=user_id,
                    signed_in_ms=now_ms,
                    idle_expires_ms=idle_expires_ms,
                )
            )
        return result.rowcount == 1

    @unavailable_on_db_loss
    async def delete_browser_session(self, session_id: int, *, keep_flows_for: int | None) -> None:
        flows = install_flows.c
        async with self.engine.begin() as conn:
            if keep_flows_for is None:
                await conn.execute(delete(install_flows).where(flows.session_id == session_id))
            else:
                await conn.execute(
                    update(install_flows)
                    .where(flows.session_id == session_id)
                    .values(session_id=keep_flows_for)
                )
            await conn.execute(
                delete(browser_sessions).where(browser_sessions.c.session_id == session_id)
            )

    @unavailable_on_db_loss
    async def add_install_flow(self, flow: InstallFlow, max_per_session: int) -> None:
        flows = install_flows.c
        async with self.engine.begin() as conn:
            await conn.execute(
                insert(install_flows).values(
                    flow_id=flow.flow_id,
                    session_id=flow.session_id,
                    params=orjson.dumps(flow.params).decode(),
                    pinned_hub_id=flow.pinned_hub_id,
                    chosen_hub_id=flow.chosen_hub_id,
                    created_ms=flow.created_ms,
                    expires_ms=flow.expires_ms,
                )
            )
            kept = (
                select(flows.flow_id)
                .where(flows.session_id == flow.session_id)
                .order_by(flows.created_ms.desc(), flows.flow_id)
                .limit(max_per_session)
                .scalar_subquery()
            )
            await conn.execute(
                delete(install_flows).where(
                    flows.session_id == flow.session_id, flows.flow_id.not_in(kept)
                )
            )

    @unavailable_on_db_loss
    async def find_install_flow(
        self, flow_id: str, session_id: int, now_ms: int
    ) -> InstallFlow | None:
        flows = install_flows.c
        row = await self._one(
            select(install_flows).where(
                flows.flow_id == flow_id, flows.session_id == session_id, flows.expires_ms > now_ms
            )
        )
        if row is None:
            return None
        return InstallFlow(
            flow_id=row.flow_id,
            session_id=row.session_id,
            params={str(k): str(v) for k, v in orjson.loads(row.params).items()},
            pinned_hub_id=row.pinned_hub_id,
            chosen_hub_id=row.chosen_hub_id,
            created_ms=row.created_ms,
            expires_ms=row.expires_ms,
        )

    @unavailable_on_db_loss
    async def set_install_flow_hub(self, flow_id: str, session_id: int, hub_id: int | None) -> None:
        flows = install_flows.c
        async with self.engine.begin() as conn:
            await conn.execute(
                update(install_flows)
                .where(flows.flow_id == flow_id, flows.session_id == session_id)
                .values(chosen_hub_id=hub_id)
            )

    @unavailable_on_db_loss
    async def consume_install_flow(self, flow_id: str, session_id: int, now_ms: int) -> bool:
        flows = install_flows.c
        async with self.engine.begin() as conn:
            result = await conn.execute(
                delete(install_flows).where(
                    flows.flow_id == flow_id,
                    flows.session_id == session_id,
                    flows.expires_ms > now_ms,
                )
            )
        return result.rowcount == 1
