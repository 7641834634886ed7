"""The SQL implementation of :class:`hubauth.core.ports.DevStore` (SQLite and PostgreSQL).

Every write is a single statement in its own transaction: on SQLite a statement that starts
by writing waits on the busy timeout instead of failing, so several workers can share it.

What every request of a dev server does (read the clock offset and whether a fault is queued,
count the request, record audit events) runs on the server store's raw-driver path
(``store/hot.py``): on SQLite a read in the event loop and one writer-thread hop per write
transaction, on PostgreSQL one autocommit round trip. Through SQLAlchemy's async layer the
same work cost about 20 ms per request (docs/performance.md).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import (
    and_,
    bindparam,
    delete,
    exists,
    func,
    insert,
    literal_column,
    or_,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncEngine

from hubauth.core.models import DevEvent, InstallSummary, QueuedFault
from hubauth.store.errors import unavailable_on_db_loss
from hubauth.store.hot import HotPath, Statement
from hubauth.store.schema import (
    access_tokens,
    dev_events,
    dev_faults,
    dev_values,
    installs,
    metadata,
    refresh_tokens,
)


def _fault(row: Row[Any]) -> QueuedFault:
    return QueuedFault(
        kind=row.kind,
        path_prefix=row.path_prefix,
        remaining=row.remaining,
        error=row.error,
        status=row.status,
        retry_after=row.retry_after,
        latency_ms=row.latency_ms,
        created_ms=row.created_ms,
        fault_id=row.fault_id,
    )


class SqlDevStore:
    """:class:`~hubauth.core.ports.DevStore` over the server's engine."""

    def __init__(self, engine: AsyncEngine, hot: HotPath) -> None:
        self.engine = engine
        self._hot = hot
        self._insert = postgresql.insert if engine.dialect.name == "postgresql" else sqlite.insert
        offset = select(dev_values.c.value).where(dev_values.c.name == bindparam("n"))
        queued = exists().where(
            or_(dev_faults.c.remaining.is_(None), dev_faults.c.remaining > literal_column("0"))
        )
        self._state = hot.compile(
            select(offset.scalar_subquery().label("value"), queued.label("queued"))
        )
        #: One multi-row upsert per number of counters a request moves (at most 4): one
        #: statement, so on PostgreSQL one autocommit round trip instead of a transaction.
        self._adds: dict[int, Statement] = {}
        self._event = hot.compile(
            insert(dev_events).values(
                at_ms=bindparam("at"), event=bindparam("ev"), fields=bindparam("f")
            )
        )
        newest = select(func.max(dev_events.c.event_id)).scalar_subquery()
        self._prune = hot.compile(
            delete(dev_events).where(dev_events.c.event_id <= newest - bindparam("keep"))
        )

    @unavailable_on_db_loss
    async def request_state(self, name: str) -> tuple[int | None, bool]:
        row = await self._hot.fetch_one(self._state, {"n": name})
        if row is None:  # a SELECT without FROM always has its one row
            return None, True
        value = row["value"]
        return (None if value is None else int(value)), bool(row["queued"])

    def _add_rows(self, rows: int) -> Statement:
        stmt = self._adds.get(rows)
        if stmt is None:
            add = self._insert(dev_values).values(
                [{"name": bindparam(f"n{i}"), "value": bindparam(f"d{i}")} for i in range(rows)]
            )
            stmt = self._adds[rows] = self._hot.compile(
                add.on_conflict_do_update(
                    index_elements=["name"],
                    set_={"value": dev_values.c.value + add.excluded.value},
                )
            )
        return stmt

    @unavailable_on_db_loss
    async def add_values(self, deltas: Mapping[str, int]) -> None:
        if deltas:
            params: dict[str, Any] = {}
            for i, (name, delta) in enumerate(deltas.items()):
                params[f"n{i}"], params[f"d{i}"] = name, delta
            await self._hot.transaction([], [(self._add_rows(len(deltas)), params)])

    @unavailable_on_db_loss
    async def record_events(self, events: Sequence[tuple[int, str, str]], keep: int) -> None:
        if not events:
            return
        steps = [(self._event, {"at": at, "ev": ev, "f": f}) for at, ev, f in events]
        # Bounded: a long dev session must not grow the table without limit.
        await self._hot.transaction([], [*steps, (self._prune, {"keep": keep})])

    @unavailable_on_db_loss
    async def get_value(self, name: str) -> int | None:
        async with self.engine.connect() as conn:
            stmt = select(dev_values.c.value).where(dev_values.c.name == name)
            value = (await conn.execute(stmt)).scalar_one_or_none()
        return None if value is None else int(value)

    @unavailable_on_db_loss
    async def set_value(self, name: str, value: int) -> None:
        row = self._insert(dev_values).values(name=name, value=value)
        upsert = row.on_conflict_do_update(index_elements=["name"], set_={"value": value})
        async with self.engine.begin() as conn:
            await conn.execute(upsert)

    @unavailable_on_db_loss
    async def add_value(self, name: str, delta: int) -> int:
        row = self._insert(dev_values).values(name=name, value=delta)
        upsert = row.on_conflict_do_update(
            index_elements=["name"], set_={"value": dev_values.c.value + delta}
        ).returning(dev_values.c.value)
        async with self.engine.begin() as conn:
            return int((await conn.execute(upsert)).scalar_one())

    @unavailable_on_db_loss
    async def values(self, prefix: str) -> dict[str, int]:
        stmt = select(dev_values).where(dev_values.c.name.startswith(prefix, autoescape=True))
        async with self.engine.connect() as conn:
            return {row.name: int(row.value) for row in await conn.execute(stmt)}

    @unavailable_on_db_loss
    async def delete_values(self, prefix: str) -> None:
        stmt = delete(dev_values).where(dev_values.c.name.startswith(prefix, autoescape=True))
        async with self.engine.begin() as conn:
            await conn.execute(stmt)

    @unavailable_on_db_loss
    async def add_fault(self, fault: QueuedFault) -> int:
        stmt = (
            insert(dev_faults)
            .values(
                kind=fault.kind,
                path_prefix=fault.path_prefix,
                remaining=fault.remaining,
                error=fault.error,
                status=fault.status,
                retry_after=fault.retry_after,
                latency_ms=fault.latency_ms,
                created_ms=fault.created_ms,
            )
            .returning(dev_faults.c.fault_id)
        )
        async with self.engine.begin() as conn:
            return int((await conn.execute(stmt)).scalar_one())

    @unavailable_on_db_loss
    async def list_faults(self) -> list[QueuedFault]:
        stmt = (
            select(dev_faults)
            .where((dev_faults.c.remaining.is_(None)) | (dev_faults.c.remaining > 0))
            .order_by(dev_faults.c.fault_id)
        )
        async with self.engine.connect() as conn:
            return [_fault(row) for row in await conn.execute(stmt)]

    @unavailable_on_db_loss
    async def take_fault(self, fault_id: int) -> QueuedFault | None:
        taken = (
            update(dev_faults)
            .where(and_(dev_faults.c.fault_id == fault_id, dev_faults.c.remaining > 0))
            .values(remaining=dev_faults.c.remaining - 1)
            .returning(*dev_faults.c)
        )
        async with self.engine.begin() as conn:
            row = (await conn.execute(taken)).first()
            if row is not None:
                return _fault(row)
            unlimited = select(dev_faults).where(
                and_(dev_faults.c.fault_id == fault_id, dev_faults.c.remaining.is_(None))
            )
            row = (await conn.execute(unlimited)).first()
        return None if row is None else _fault(row)

    @unavailable_on_db_loss
    async def clear_faults(self, kind: str | None = None, path_prefix: str | None = None) -> int:
        stmt = delete(dev_faults)
        if kind is not None:
            stmt = stmt.where(dev_faults.c.kind == kind)
        if path_prefix is not None:
            stmt = stmt.where(dev_faults.c.path_prefix == path_prefix)
        async with self.engine.begin() as conn:
            return int((await conn.execute(stmt)).rowcount)

    @unavailable_on_db_loss
    async def record_event(self, at_ms: int, event: str, fields: str, keep: int) -> None:
        async with self.engine.begin() as conn:
            result = await conn.execute(
                insert(dev_events)
                .values(at_ms=at_ms, event=event, fields=fields)
                .returning(dev_events.c.event_id)
            )
            newest = int(result.scalar_one())
            # Bounded: a long dev session must not grow the table without limit.
            await conn.execute(delete(dev_events).where(dev_events.c.event_id <= newest - keep))

    @unavailable_on_db_loss
    async def recent_events(self, limit: int) -> list[DevEvent]:
        stmt = select(dev_events).order_by(dev_events.c.event_id.desc()).limit(limit)
        async with self.engine.connect() as conn:
            return [
                DevEvent(row.event_id, row.at_ms, row.event, row.fields)
                for row in await conn.execute(stmt)
            ]

    @unavailable_on_db_loss
    async def token_hash_by_id(self, kind: str, row_id: int) -> bytes | None:
        if kind == "refresh_token":
            stmt = select(refresh_tokens.c.token_hash).where(refresh_tokens.c.refresh_id == row_id)
        else:
            stmt = select(access_tokens.c.token_hash).where(access_tokens.c.access_id == row_id)
        async with self.engine.connect() as conn:
            value = (await conn.execute(stmt)).scalar_one_or_none()
        return None if value is None else bytes(value)

    @unavailable_on_db_loss
    async def expire_access_token(self, token_hash: bytes, now_ms: int) -> bool:
        stmt = (
            update(access_tokens)
            .where(
                and_(
                    access_tokens.c.token_hash == token_hash,
                    access_tokens.c.revoked_ms.is_(None),
                    access_tokens.c.expires_ms > now_ms,
                )
            )
            .values(expires_ms=now_ms)
        )
        async with self.engine.begin() as conn:
            return bool((await conn.execute(stmt)).rowcount)

    @unavailable_on_db_loss
    async def list_installs(self) -> list[InstallSummary]:
        stmt = select(installs).order_by(installs.c.install_id.desc()).limit(200)
        async with self.engine.connect() as conn:
            return [
                InstallSummary(
                    install_id=row.install_id,
                    app_id=row.app_id,
                    hub_id=row.hub_id,
                    user_id=row.user_id,
                    scopes=tuple(row.scopes.split()),
                    created_ms=row.created_ms,
                    uninstalled_ms=row.uninstalled_ms,
                )
                for row in await conn.execute(stmt)
            ]

    @unavailable_on_db_loss
    async def erase_everything(self) -> None:
        async with self.engine.begin() as conn:
            # Every table, children before parents (so no foreign key breaks), including
            # tables added after this was written.
            for table in reversed(metadata.sorted_tables):
                await conn.execute(delete(table))
