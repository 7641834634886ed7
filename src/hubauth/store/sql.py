"""The SQL implementation of :class:`hubauth.core.ports.Store` for SQLite and PostgreSQL.

One code path serves both backends (SQLAlchemy Core); the only dialect-specific pieces are the
connection set-up (SQLite pragmas) and the install upsert. Every security-state change is a
conditional ``UPDATE`` whose row count decides the winner, inside one transaction with the
inserts that depend on it.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import functools
import os
import sqlite3
from collections.abc import Awaitable, Callable, Coroutine, Mapping, Sequence
from typing import Any, Concatenate, ParamSpec, TypeVar

import asyncpg
import orjson
from sqlalchemy import (
    and_,
    bindparam,
    delete,
    event,
    func,
    insert,
    literal_column,
    or_,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Row
from sqlalchemy.exc import DBAPIError, IntegrityError, InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from hubauth.core.models import (
    AccessTokenRecord,
    App,
    AuthCode,
    BrowserSession,
    Hub,
    Install,
    InstallFlow,
    NewAccessToken,
    NewRefreshToken,
    RefreshPolicy,
    RefreshTokenRecord,
    TokenSummary,
    TokenUse,
    User,
)
from hubauth.core.ports import StoreUnavailable
from hubauth.store import directory
from hubauth.store.hot import HotPath, Statement, hot_path_for
from hubauth.store.schema import (
    access_tokens,
    app_jwks,
    apps,
    auth_codes,
    browser_sessions,
    client_assertion_jtis,
    client_registrations,
    hub_members,
    hubs,
    install_flows,
    installs,
    refresh_tokens,
    users,
)
from hubauth.store.urls import to_async_url

#: Raw-driver errors of the hot path (store/hot.py) that mean "the database is gone".
_DRIVER_LOSS = (
    sqlite3.OperationalError,
    asyncpg.PostgresConnectionError,
    asyncpg.InterfaceError,
    asyncpg.CannotConnectNowError,
    asyncpg.AdminShutdownError,
    asyncpg.TooManyConnectionsError,
    # A connection whose server vanished mid-statement is left in a state asyncpg refuses to
    # reuse ("cannot switch to state ...; another operation is in progress"): still an outage,
    # seen in tests/faults when PostgreSQL stops during a burst of grants.
    asyncpg.InternalClientError,
)

P = ParamSpec("P")
T = TypeVar("T")

#: How long revoked/rotated refresh tokens are kept so that reuse is still detected.
REFRESH_RETENTION_MS = 30 * 24 * 3600 * 1000


class Conflict(ValueError):
    """A unique value (client_id, email, explicit id) is already taken."""


def _unavailable_on_db_loss(
    fn: Callable[P, Awaitable[T]],
) -> Callable[P, Coroutine[Any, Any, T]]:
    """Turn "the database is gone" into :class:`StoreUnavailable`; other errors stay bugs."""

    @functools.wraps(fn)
    async def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
        try:
            return await fn(*args, **kwargs)
        except (TimeoutError, OperationalError, InterfaceError, OSError, *_DRIVER_LOSS) as exc:
            raise StoreUnavailable(type(exc).__name__) from exc
        except DBAPIError as exc:
            if exc.connection_invalidated or _means_unavailable(exc):
                raise StoreUnavailable(type(exc).__name__) from exc
            raise

    return wrapper


def _bounded(
    fn: Callable[Concatenate[SqlStore, P], Awaitable[T]],
) -> Callable[Concatenate[SqlStore, P], Awaitable[T]]:
    """A SQLAlchemy-path operation a request waits for: the request waits at most the store's
    timeout, then gets a 503 (TimeoutError -> StoreUnavailable). The operation itself is not
    cancelled but finishes in the background, bounded by asyncpg's command timeout: cancelled
    mid-statement, SQLAlchemy would wait for a ROLLBACK on the same frozen server (issue 21),
    and each such wait is another request's worth of time."""

    @functools.wraps(fn)
    async def wrapper(self: SqlStore, /, *args: P.args, **kwargs: P.kwargs) -> T:
        work = asyncio.ensure_future(fn(self, *args, **kwargs))
        try:
            return await asyncio.wait_for(asyncio.shield(work), self.timeout)
        except BaseException:
            if not work.done():
                work.add_done_callback(_forget)
            raise

    return wrapper


def _forget(task: asyncio.Future[Any]) -> None:
    """An abandoned operation's outcome: nobody waits for it any more (no "never retrieved")."""
    if not task.cancelled():
        task.exception()


#: SQLSTATEs (PostgreSQL appendix A) that mean "the database cannot serve right now" rather
#: than "this statement is wrong": connection exceptions (08), insufficient resources (53, e.g.
#: too many connections, disk full), shutdown/starting up (57P01-57P03), system I/O errors
#: (58) and a read-only standby during fail-over (25006).
_UNAVAILABLE_SQLSTATE_PREFIXES = ("08", "53", "57P01", "57P02", "57P03", "58", "25006")


def _means_unavailable(exc: DBAPIError) -> bool:
    """asyncpg raises e.g. ``CannotConnectNowError`` ("the database system is shutting down")
    while connecting; SQLAlchemy reports it as a plain ``DBAPIError`` that is not marked as a
    disconnect, so the SQLSTATE decides (found by tests/faults: it used to be a 500)."""
    code = getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None)
    return isinstance(code, str) and code.startswith(_UNAVAILABLE_SQLSTATE_PREFIXES)


def _split(value: str) -> tuple[str, ...]:
    return tuple(value.split()) if value else ()


def _join(values: Sequence[str]) -> str:
    return " ".join(values)


def _app(row: Mapping[Any, Any]) -> App:
    """From a mapping: a raw driver row or a SQLAlchemy ``Row._mapping``."""
    return App(
        app_id=row["app_id"],
        client_id=row["client_id"],
        client_secret_hash=bytes(row["client_secret_hash"]),
        name=row["name"],
        redirect_uris=tuple(orjson.loads(row["redirect_uris"])),
        scopes=_split(row["scopes"]),
        optional_scopes=_split(row["optional_scopes"]),
        is_private_distribution=bool(row["is_private_distribution"]),
        refresh_policy=RefreshPolicy(row["refresh_policy"]),
        client_secret_key_id=row["key_id"],
        rotation_grace_s=row["rotation_grace_s"],
        previous_secret_hash=(
            bytes(row["previous_secret_hash"]) if row["previous_secret_hash"] else None
        ),
        previous_secret_until_ms=row["previous_secret_until_ms"],
        previous_secret_key_id=row["previous_key_id"],
    )


def _hub(row: Row[Any]) -> Hub:
    return Hub(
        hub_id=row.hub_id,
        hub_domain=row.hub_domain,
        hublet=row.hublet,
        deleted=row.deleted_ms is not None,
    )


def _user(row: Row[Any]) -> User:
    return User(user_id=row.user_id, email=row.email, password_hash=row.password_hash)


_REFRESH_QUERY = select(
    refresh_tokens.c.refresh_id,
    refresh_tokens.c.app_id,
    apps.c.client_id,
    apps.c.refresh_policy,
    apps.c.rotation_grace_s,
    refresh_tokens.c.install_id,
    refresh_tokens.c.hub_id,
    hubs.c.hub_domain,
    hubs.c.hublet,
    hubs.c.deleted_ms,
    refresh_tokens.c.user_id,
    users.c.email,
    refresh_tokens.c.scopes,
    refresh_tokens.c.family_id,
    refresh_tokens.c.created_ms,
    refresh_tokens.c.revoked_ms,
    refresh_tokens.c.rotated_ms,
    installs.c.uninstalled_ms,
    refresh_tokens.c.token_hash,
    refresh_tokens.c.key_id,
).select_from(
    refresh_tokens.join(apps, apps.c.app_id == refresh_tokens.c.app_id)
    .join(hubs, hubs.c.hub_id == refresh_tokens.c.hub_id)
    .join(users, users.c.user_id == refresh_tokens.c.user_id)
    .join(installs, installs.c.install_id == refresh_tokens.c.install_id)
)

_ACCESS_QUERY = select(
    access_tokens.c.access_id,
    access_tokens.c.app_id,
    apps.c.client_id,
    apps.c.is_private_distribution,
    access_tokens.c.hub_id,
    hubs.c.hub_domain,
    hubs.c.hublet,
    hubs.c.deleted_ms,
    access_tokens.c.user_id,
    access_tokens.c.install_id,
    users.c.email,
    access_tokens.c.scopes,
    access_tokens.c.created_ms,
    access_tokens.c.expires_ms,
    access_tokens.c.revoked_ms,
    access_tokens.c.token_use,
).select_from(
    access_tokens.join(apps, apps.c.app_id == access_tokens.c.app_id)
    .outerjoin(hubs, hubs.c.hub_id == access_tokens.c.hub_id)
    .outerjoin(users, users.c.user_id == access_tokens.c.user_id)
)

_CODE_QUERY = select(
    auth_codes,
    hubs.c.hublet,
    hubs.c.deleted_ms,
    installs.c.uninstalled_ms,
).select_from(
    auth_codes.join(hubs, hubs.c.hub_id == auth_codes.c.hub_id).join(
        installs, installs.c.install_id == auth_codes.c.install_id
    )
)


_ACCESS_COLUMNS = (
    "token_hash",
    "app_id",
    "hub_id",
    "user_id",
    "install_id",
    "scopes",
    "token_use",
    "family_id",
    "created_ms",
    "expires_ms",
    "key_id",
)
_REFRESH_COLUMNS = (
    "token_hash",
    "app_id",
    "install_id",
    "hub_id",
    "user_id",
    "scopes",
    "family_id",
    "created_ms",
    "key_id",
    "parent_id",
)

#: A lookup's digests: one, or every digest the value may be stored under (core/keys.py).
Hashes = bytes | Sequence[bytes]


def _hashes(value: Hashes) -> tuple[bytes, ...]:
    return (value,) if isinstance(value, bytes) else tuple(value)


def _hash_params(hashes: tuple[bytes, ...]) -> dict[str, bytes]:
    return {f"h{i}": h for i, h in enumerate(hashes)}


#: The refresh token's install is still active (correlated: one primary-key probe).
_INSTALL_ACTIVE = (
    select(installs.c.install_id)
    .where(
        installs.c.install_id == refresh_tokens.c.install_id,
        installs.c.uninstalled_ms.is_(None),
    )
    .exists()
)

#: A refresh token that may still be used: not revoked, not rotated, its install active.
_REFRESH_LIVE = (
    refresh_tokens.c.revoked_ms.is_(None),
    refresh_tokens.c.rotated_ms.is_(None),
    _INSTALL_ACTIVE,
)


def _access_if_live() -> Any:
    """``INSERT INTO access_tokens … SELECT … FROM live``: the access token is written only if
    the refresh token is still live when the statement runs, in the same statement
    (issue 15 item 9, RFC 7009 §2.2). On PostgreSQL ``live`` takes a ``FOR SHARE`` row lock,
    which a concurrent revocation's ``UPDATE`` of that row must wait for (and, if the
    revocation committed first, the row is re-checked and no longer matches); the
    revocation's later ``UPDATE access_tokens`` then sees this token. Shared, so concurrent
    refreshes of one static token do not queue behind each other. SQLite serialises writers
    (``BEGIN IMMEDIATE``), so the plain check is enough there; the lock clause compiles away.
    """
    live = (
        select(refresh_tokens.c.refresh_id)
        .where(refresh_tokens.c.refresh_id == bindparam("p_refresh_id"), *_REFRESH_LIVE)
        .with_for_update(read=True)
        .cte("live")
    )
    columns = [access_tokens.c[name] for name in _ACCESS_COLUMNS]
    values = select(*(bindparam(c.name, type_=c.type) for c in columns)).select_from(live)
    return insert(access_tokens).from_select(columns, values)


class _HotStatements:
    """The hot path's statements: the Core statements above, compiled once per dialect."""

    def __init__(self, hot: HotPath) -> None:
        self._hot = hot
        self._lookups: dict[tuple[str, int], Statement] = {}
        self.find_app = hot.compile(select(apps).where(apps.c.client_id == bindparam("h")))
        self.insert_access = hot.compile(
            insert(access_tokens).values({c: bindparam(c) for c in _ACCESS_COLUMNS})
        )
        self.insert_refresh = hot.compile(
            insert(refresh_tokens).values({c: bindparam(c) for c in _REFRESH_COLUMNS})
        )
        self.consume_code = hot.compile(
            update(auth_codes)
            .where(auth_codes.c.code_hash == bindparam("h"), auth_codes.c.consumed_ms.is_(None))
            .values(consumed_ms=bindparam("p_now"), family_id=bindparam("p_family"))
        )
        self.retire_refresh = hot.compile(
            update(refresh_tokens)
            .where(refresh_tokens.c.refresh_id == bindparam("p_id"), *_REFRESH_LIVE)
            .values(rotated_ms=bindparam("p_now"))
        )
        self.insert_access_if_live = hot.compile(_access_if_live())
        # Code exchange retried (opt-in, docs/decisions.md): the code moves to the new family
        # only if it still points at the first one and was consumed recently ...
        self.move_code = hot.compile(
            update(auth_codes)
            .where(
                auth_codes.c.code_hash == bindparam("h"),
                auth_codes.c.family_id == bindparam("p_old"),
                auth_codes.c.consumed_ms >= bindparam("p_since"),
            )
            .values(family_id=bindparam("p_family"))
        )
        # ... and the first family's one refresh token is revoked only if it was never used:
        # not rotated, and no access token minted from it besides the code's own.
        family_access_count = (
            select(func.count())
            .select_from(access_tokens)
            .where(access_tokens.c.family_id == bindparam("p_old"))
            .scalar_subquery()
        )
        self.revoke_unused_first_refresh = hot.compile(
            update(refresh_tokens)
            .where(
                refresh_tokens.c.family_id == bindparam("p_old"),
                refresh_tokens.c.parent_id.is_(None),
                refresh_tokens.c.revoked_ms.is_(None),
                refresh_tokens.c.rotated_ms.is_(None),
                family_access_count == literal_column("1"),
            )
            .values(revoked_ms=bindparam("p_now"))
        )
        self.revoke_family_access = hot.compile(
            update(access_tokens)
            .where(
                access_tokens.c.family_id == bindparam("p_old"),
                access_tokens.c.revoked_ms.is_(None),
            )
            .values(revoked_ms=bindparam("p_now"))
        )
        # A no-op UPDATE: the row lock that queues concurrent grace retries of one token.
        self.lock_retired = hot.compile(
            update(refresh_tokens)
            .where(
                refresh_tokens.c.refresh_id == bindparam("p_parent"),
                refresh_tokens.c.revoked_ms.is_(None),
                refresh_tokens.c.rotated_ms.is_not(None),
            )
            .values(rotated_ms=refresh_tokens.c.rotated_ms)
        )
        # Rotation grace (docs/decisions.md): the retired token's live successor, if it was
        # never used (under rotation, using it rotates it), is retired in its place ...
        self.retire_unused_successor = hot.compile(
            update(refresh_tokens)
            .where(refresh_tokens.c.parent_id == bindparam("p_parent"), *_REFRESH_LIVE)
            .values(rotated_ms=bindparam("p_now"))
        )
        # ... with the access token issued beside it (same family, same instant): the lost
        # response carried it, so nobody legitimate holds it. An access token of the retired
        # token's own issue is never matched (strictly later), so if both were issued in the
        # same millisecond the successor's simply lives out its lifetime.
        retired_now = select(refresh_tokens.c.created_ms).where(
            refresh_tokens.c.parent_id == bindparam("p_parent"),
            refresh_tokens.c.rotated_ms == bindparam("p_now"),
        )
        parent_issued = select(refresh_tokens.c.created_ms).where(
            refresh_tokens.c.refresh_id == bindparam("p_parent")
        )
        self.revoke_successor_access = hot.compile(
            update(access_tokens)
            .where(
                access_tokens.c.family_id == bindparam("p_family"),
                access_tokens.c.revoked_ms.is_(None),
                access_tokens.c.created_ms.in_(retired_now.scalar_subquery()),
                access_tokens.c.created_ms > parent_issued.scalar_subquery(),
            )
            .values(revoked_ms=bindparam("p_now"))
        )

    def lookup(self, kind: str, count: int) -> Statement:
        """The lookup of a token, code or refresh token by any of ``count`` digests: one
        indexed ``IN`` query (a probe of the unique index per digest), compiled once per
        count; the count is fixed by the keyring, so this holds one or two entries."""
        found = self._lookups.get((kind, count))
        if found is None:
            query, column = {
                "refresh": (_REFRESH_QUERY, refresh_tokens.c.token_hash),
                "access": (_ACCESS_QUERY, access_tokens.c.token_hash),
                "code": (_CODE_QUERY, auth_codes.c.code_hash),
            }[kind]
            params: list[Any] = [bindparam(f"h{i}") for i in range(count)]
            found = self._hot.compile(query.where(column.in_(params)))
            self._lookups[(kind, count)] = found
        return found


def _access_params(token: NewAccessToken) -> dict[str, Any]:
    return {
        "token_hash": token.token_hash,
        "app_id": token.app_id,
        "hub_id": token.hub_id,
        "user_id": token.user_id,
        "install_id": token.install_id,
        "scopes": _join(token.scopes),
        "token_use": token.token_use.value,
        "family_id": token.family_id,
        "created_ms": token.created_ms,
        "expires_ms": token.expires_ms,
        "key_id": token.key_id,
    }


def _refresh_params(token: NewRefreshToken) -> dict[str, Any]:
    return {
        "token_hash": token.token_hash,
        "app_id": token.app_id,
        "install_id": token.install_id,
        "hub_id": token.hub_id,
        "user_id": token.user_id,
        "scopes": _join(token.scopes),
        "family_id": token.family_id,
        "created_ms": token.created_ms,
        "key_id": token.key_id,
        "parent_id": token.parent_id,
    }


def _sqlite_pragmas(dbapi_connection: Any, _record: Any, *, busy_ms: int = 10_000) -> None:
    # WAL lets readers run beside the one writer; the busy timeout makes writers queue instead
    # of failing when several worker processes share the file.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={busy_ms}")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


#: The default of the ``db_timeout`` setting (seconds).
DB_TIMEOUT_S = 10.0


def _create_private(path: str | None) -> None:
    """Create a new SQLite database file readable by its owner only (0600): it holds argon2
    hashes and e-mail addresses. SQLite gives the -wal and -shm files the database file's
    permissions, so they follow. An existing file keeps the permissions it has."""
    if not path or path == ":memory:" or path.startswith("file:"):
        return
    # Exists already, or cannot be created: SQLite opens it (or reports why not) as before.
    with contextlib.suppress(OSError):
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))


def create_engine(
    database_url: str, *, pool_size: int = 10, timeout: float = DB_TIMEOUT_S
) -> AsyncEngine:
    url = to_async_url(database_url)
    if url.get_backend_name() == "sqlite":
        _create_private(url.database)
        engine = create_async_engine(url)
        pragmas = functools.partial(_sqlite_pragmas, busy_ms=int(timeout * 1000))
        event.listen(engine.sync_engine, "connect", pragmas)
        return engine
    return create_async_engine(
        url,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_timeout=5,
        pool_recycle=1800,
        connect_args={"timeout": min(5, timeout), "command_timeout": timeout},
    )


class SqlStore:
    """:class:`~hubauth.core.ports.Store` over an :class:`AsyncEngine`."""

    def __init__(
        self, engine: AsyncEngine, *, pool_size: int = 10, timeout: float = DB_TIMEOUT_S
    ) -> None:
        self.engine = engine
        self.dialect = engine.dialect.name
        self.timeout = timeout
        self._hot: HotPath = hot_path_for(engine.url, pool_size, timeout)
        self._sql = _HotStatements(self._hot)

    @classmethod
    def from_url(
        cls, database_url: str, *, pool_size: int = 10, timeout: float = DB_TIMEOUT_S
    ) -> SqlStore:
        engine = create_engine(database_url, pool_size=pool_size, timeout=timeout)
        return cls(engine, pool_size=pool_size, timeout=timeout)

    async def close(self) -> None:
        await self._hot.close()
        await self.engine.dispose()

    @_unavailable_on_db_loss
    @_bounded
    async def ping(self) -> None:
        async with self.engine.connect() as conn:
            await conn.execute(select(1))

    async def _one(self, stmt: Any) -> Row[Any] | None:
        async with self.engine.connect() as conn:
            return (await conn.execute(stmt)).first()

    # --- apps, hubs, users --------------------------------------------------------------------

    @_unavailable_on_db_loss
    async def create_app(
        self,
        *,
        client_id: str,
        client_secret_hash: bytes,
        name: str,
        redirect_uris: Sequence[str],
        scopes: Sequence[str],
        optional_scopes: Sequence[str] = (),
        is_private_distribution: bool = False,
        refresh_policy: RefreshPolicy = RefreshPolicy.STATIC,
        app_id: int | None = None,
        now_ms: int = 0,
        client_secret_key_id: str | None = None,
    ) -> App:
        values: dict[str, Any] = {
            "client_id": client_id,
            "client_secret_hash": client_secret_hash,
            "key_id": client_secret_key_id,
            "name": name,
            "redirect_uris": orjson.dumps(list(redirect_uris)).decode(),
            "scopes": _join(scopes),
            "optional_scopes": _join(optional_scopes),
            "is_private_distribution": is_private_distribution,
            "refresh_policy": refresh_policy.value,
            "created_ms": now_ms,
        }
        if app_id is not None:
            values["app_id"] = app_id
        row = await self._insert_returning(apps, values, "app")
        return _app(row._mapping)

    async def _insert_returning(self, table: Any, values: dict[str, Any], what: str) -> Row[Any]:
        try:
            async with self.engine.begin() as conn:
                result = await conn.execute(insert(table).values(**values).returning(table))
                row: Row[Any] = result.one()
                return row
        except IntegrityError:
            raise Conflict(f"that {what} already exists") from None

    @_unavailable_on_db_loss
    async def find_app_by_client_id(self, client_id: str) -> App | None:
        row = await self._hot.fetch_one(self._sql.find_app, {"h": client_id})
        return _app(row) if row else None

    @_unavailable_on_db_loss
    @_bounded
    async def find_app(self, app_id: int) -> App | None:
        row = await self._one(select(apps).where(apps.c.app_id == app_id))
        return _app(row._mapping) if row else None

    @_unavailable_on_db_loss
    async def list_apps(self) -> list[App]:
        async with self.engine.connect() as conn:
            rows = (await conn.execute(select(apps).order_by(apps.c.app_id))).all()
        return [_app(r._mapping) for r in rows]

    @_unavailable_on_db_loss
    async def set_client_secret_hash(
        self,
        app_id: int,
        secret_hash: bytes,
        key_id: str | None = None,
        *,
        previous_hash: bytes | None = None,
        previous_key_id: str | None = None,
        previous_until_ms: int | None = None,
    ) -> bool:
        async with self.engine.begin() as conn:
            result = await conn.execute(
                update(apps)
                .where(apps.c.app_id == app_id)
                .values(
                    client_secret_hash=secret_hash,
                    key_id=key_id,
                    previous_secret_hash=previous_hash,
                    previous_key_id=previous_key_id,
                    previous_secret_until_ms=previous_until_ms,
                )
            )
        return bool(result.rowcount)

    @_unavailable_on_db_loss
    async def rehash_client_secret(
        self, app_id: int, old_hash: bytes, new_hash: bytes, key_id: str | None
    ) -> bool:
        """Store the current secret's digest under a newer key (key rotation); a no-op if the
        secret was replaced meanwhile. The previous secret of a grace period is left as is."""
        async with self.engine.begin() as conn:
            result = await conn.execute(
                update(apps)
                .where(apps.c.app_id == app_id, apps.c.client_secret_hash == old_hash)
                .values(client_secret_hash=new_hash, key_id=key_id)
            )
        return bool(result.rowcount)

    @_unavailable_on_db_loss
    async def set_refresh_policy(self, app_id: int, policy: RefreshPolicy) -> bool:
        async with self.engine.begin() as conn:
            result = await conn.execute(
                update(apps).where(apps.c.app_id == app_id).values(refresh_policy=policy.value)
            )
        return result.rowcount == 1

    @_unavailable_on_db_loss
    async def set_rotation_grace(self, app_id: int, seconds: int | None) -> bool:
        async with self.engine.begin() as conn:
            result = await conn.execute(
                update(apps).where(apps.c.app_id == app_id).values(rotation_grace_s=seconds)
            )
        return result.rowcount == 1

    @_unavailable_on_db_loss
    async def create_hub(
        self, hub_domain: str, hublet: str = "na1", hub_id: int | None = None, now_ms: int = 0
    ) -> Hub:
        values: dict[str, Any] = {"hub_domain": hub_domain, "hublet": hublet, "created_ms": now_ms}
        if hub_id is not None:
            values["hub_id"] = hub_id
        return _hub(await self._insert_returning(hubs, values, "hub"))

    @_unavailable_on_db_loss
    @_bounded
    async def find_hub(self, hub_id: int) -> Hub | None:
        row = await self._one(select(hubs).where(hubs.c.hub_id == hub_id))
        return _hub(row) if row else None

    @_unavailable_on_db_loss
    @_bounded
    async def delete_hub(self, hub_id: int, now_ms: int) -> bool:
        async with self.engine.begin() as conn:
            result = await conn.execute(
                update(hubs)
                .where(hubs.c.hub_id == hub_id, hubs.c.deleted_ms.is_(None))
                .values(deleted_ms=now_ms)
            )
        return result.rowcount == 1

    @_unavailable_on_db_loss
    async def create_user(
        self,
        email: str,
        password_hash: str | None = None,
        user_id: int | None = None,
        now_ms: int = 0,
    ) -> User:
        values: dict[str, Any] = {
            "email": email,
            "password_hash": password_hash,
            "created_ms": now_ms,
        }
        if user_id is not None:
            values["user_id"] = user_id
        return _user(await self._insert_returning(users, values, "user"))

    @_unavailable_on_db_loss
    async def set_password_hash(self, user_id: int, password_hash: str) -> None:
        async with self.engine.begin() as conn:
            await conn.execute(
                update(users).where(users.c.user_id == user_id).values(password_hash=password_hash)
            )

    @_unavailable_on_db_loss
    @_bounded
    async def find_user(self, user_id: int) -> User | None:
        row = await self._one(select(users).where(users.c.user_id == user_id))
        return _user(row) if row else None

    @_unavailable_on_db_loss
    @_bounded
    async def find_user_by_email(self, email: str) -> User | None:
        row = await self._one(select(users).where(users.c.email == email))
        return _user(row) if row else None

    @_unavailable_on_db_loss
    async def add_hub_member(self, hub_id: int, user_id: int) -> None:
        stmt = self._insert_ignore(hub_members, {"hub_id": hub_id, "user_id": user_id})
        async with self.engine.begin() as conn:
            await conn.execute(stmt)

    @_unavailable_on_db_loss
    @_bounded
    async def list_user_hubs(self, user_id: int) -> list[Hub]:
        stmt = (
            select(hubs)
            .join(hub_members, hub_members.c.hub_id == hubs.c.hub_id)
            .where(hub_members.c.user_id == user_id, hubs.c.deleted_ms.is_(None))
            .order_by(hubs.c.hub_id)
        )
        async with self.engine.connect() as conn:
            return [_hub(r) for r in (await conn.execute(stmt)).all()]

    def _insert_ignore(self, table: Any, values: dict[str, Any]) -> Any:
        dialect_insert = postgresql.insert if self.dialect == "postgresql" else sqlite.insert
        return dialect_insert(table).values(**values).on_conflict_do_nothing()

    # --- installs -----------------------------------------------------------------------------

    @_unavailable_on_db_loss
    @_bounded
    async def upsert_install(
        self, app_id: int, hub_id: int, user_id: int, scopes: Sequence[str], now_ms: int
    ) -> Install:
        dialect_insert = postgresql.insert if self.dialect == "postgresql" else sqlite.insert
        upsert = dialect_insert(installs).values(
            app_id=app_id,
            hub_id=hub_id,
            user_id=user_id,
            scopes=_join(scopes),
            created_ms=now_ms,
            updated_ms=now_ms,
        )
        stmt = upsert.on_conflict_do_update(
            index_elements=["app_id", "hub_id", "user_id"],
            set_={"scopes": upsert.excluded.scopes, "updated_ms": now_ms, "uninstalled_ms": None},
        ).returning(installs.c.install_id)
        async with self.engine.begin() as conn:
            install_id = (await conn.execute(stmt)).scalar_one()
        return Install(install_id, app_id, hub_id, user_id, tuple(scopes))

    @_unavailable_on_db_loss
    @_bounded
    async def uninstall(self, app_id: int, hub_id: int, now_ms: int) -> int:
        async with self.engine.begin() as conn:
            result = await conn.execute(
                update(installs)
                .where(
                    installs.c.app_id == app_id,
                    installs.c.hub_id == hub_id,
                    installs.c.uninstalled_ms.is_(None),
                )
                .values(uninstalled_ms=now_ms)
            )
            # Refresh tokens twice, as in revoke_family: a successor a concurrent rotation
            # inserted after the first UPDATE's snapshot is caught by the second.
            for table in (refresh_tokens, access_tokens, refresh_tokens):
                await conn.execute(
                    update(table)
                    .where(
                        table.c.app_id == app_id,
                        table.c.hub_id == hub_id,
                        table.c.revoked_ms.is_(None),
                    )
                    .values(revoked_ms=now_ms)
                )
        return result.rowcount

    # --- authorization codes ------------------------------------------------------------------

    @_unavailable_on_db_loss
    @_bounded
    async def save_code(self, code: AuthCode) -> None:
        async with self.engine.begin() as conn:
            await conn.execute(
                insert(auth_codes).values(
                    code_hash=code.code_hash,
                    app_id=code.app_id,
                    install_id=code.install_id,
                    hub_id=code.hub_id,
                    user_id=code.user_id,
                    scopes=_join(code.scopes),
                    redirect_uri=code.redirect_uri,
                    code_challenge=code.code_challenge,
                    code_challenge_method=code.code_challenge_method,
                    created_ms=code.created_ms,
                    expires_ms=code.expires_ms,
                    key_id=code.key_id,
                )
            )

    @_unavailable_on_db_loss
    async def find_code(self, code_hash: Hashes) -> AuthCode | None:
        hashes = _hashes(code_hash)
        row = await self._hot.fetch_one(self._sql.lookup("code", len(hashes)), _hash_params(hashes))
        if row is None:
            return None
        return AuthCode(
            code_hash=bytes(row["code_hash"]),
            app_id=row["app_id"],
            install_id=row["install_id"],
            hub_id=row["hub_id"],
            user_id=row["user_id"],
            scopes=_split(row["scopes"]),
            redirect_uri=row["redirect_uri"],
            created_ms=row["created_ms"],
            expires_ms=row["expires_ms"],
            code_challenge=row["code_challenge"],
            code_challenge_method=row["code_challenge_method"],
            consumed_ms=row["consumed_ms"],
            family_id=row["family_id"],
            hublet=row["hublet"],
            hub_deleted=row["deleted_ms"] is not None,
            install_active=row["uninstalled_ms"] is None,
            key_id=row["key_id"],
        )

    @_unavailable_on_db_loss
    async def redeem_code(
        self, code_hash: bytes, now_ms: int, refresh: NewRefreshToken, access: NewAccessToken
    ) -> bool:
        # The conditional UPDATE comes first so SQLite takes its write lock up front and
        # PostgreSQL's row lock serialises racers: exactly one sees rowcount 1.
        return await self._hot.transaction(
            [
                (
                    self._sql.consume_code,
                    {"h": code_hash, "p_now": now_ms, "p_family": refresh.family_id},
                )
            ],
            [
                (self._sql.insert_refresh, _refresh_params(refresh)),
                (self._sql.insert_access, _access_params(access)),
            ],
        )

    @_unavailable_on_db_loss
    async def redeem_code_again(
        self,
        code_hash: bytes,
        first_family: str,
        consumed_since_ms: int,
        now_ms: int,
        refresh: NewRefreshToken,
        access: NewAccessToken,
    ) -> bool:
        step = {
            "h": code_hash,
            "p_old": first_family,
            "p_since": consumed_since_ms,
            "p_now": now_ms,
            "p_family": refresh.family_id,
        }
        return await self._hot.transaction(
            [
                (self._sql.move_code, step),
                (self._sql.revoke_unused_first_refresh, step),
            ],
            [
                (self._sql.revoke_family_access, step),
                (self._sql.insert_refresh, _refresh_params(refresh)),
                (self._sql.insert_access, _access_params(access)),
            ],
        )

    # --- tokens -------------------------------------------------------------------------------

    @_unavailable_on_db_loss
    async def find_refresh_token(self, token_hash: Hashes) -> RefreshTokenRecord | None:
        hashes = _hashes(token_hash)
        row = await self._hot.fetch_one(
            self._sql.lookup("refresh", len(hashes)), _hash_params(hashes)
        )
        if row is None:
            return None
        return RefreshTokenRecord(
            refresh_id=row["refresh_id"],
            app_id=row["app_id"],
            client_id=row["client_id"],
            install_id=row["install_id"],
            hub_id=row["hub_id"],
            hub_domain=row["hub_domain"],
            hublet=row["hublet"],
            user_id=row["user_id"],
            user_email=row["email"],
            scopes=_split(row["scopes"]),
            family_id=row["family_id"],
            created_ms=row["created_ms"],
            revoked_ms=row["revoked_ms"],
            rotated_ms=row["rotated_ms"],
            hub_deleted=row["deleted_ms"] is not None,
            install_active=row["uninstalled_ms"] is None,
            refresh_policy=RefreshPolicy(row["refresh_policy"]),
            token_hash=bytes(row["token_hash"]),
            key_id=row["key_id"],
            rotation_grace_s=row["rotation_grace_s"],
        )

    @_unavailable_on_db_loss
    async def rehash_refresh_token(
        self, refresh_id: int, old_hash: bytes, new_hash: bytes, key_id: str | None
    ) -> bool:
        """Store a refresh token's digest under a newer key (key rotation); a no-op if the row
        changed meanwhile (another node re-hashed it first)."""
        async with self.engine.begin() as conn:
            result = await conn.execute(
                update(refresh_tokens)
                .where(
                    refresh_tokens.c.refresh_id == refresh_id,
                    refresh_tokens.c.token_hash == old_hash,
                )
                .values(token_hash=new_hash, key_id=key_id)
            )
        return result.rowcount == 1

    @_unavailable_on_db_loss
    async def find_access_token(self, token_hash: Hashes) -> AccessTokenRecord | None:
        hashes = _hashes(token_hash)
        row = await self._hot.fetch_one(
            self._sql.lookup("access", len(hashes)), _hash_params(hashes)
        )
        if row is None:
            return None
        return AccessTokenRecord(
            access_id=row["access_id"],
            app_id=row["app_id"],
            client_id=row["client_id"],
            hub_id=row["hub_id"],
            hub_domain=row["hub_domain"],
            hublet=row["hublet"],
            user_id=row["user_id"],
            user_email=row["email"],
            scopes=_split(row["scopes"]),
            created_ms=row["created_ms"],
            expires_ms=row["expires_ms"],
            revoked_ms=row["revoked_ms"],
            token_use=TokenUse(row["token_use"]),
            is_private_distribution=bool(row["is_private_distribution"]),
            install_id=row["install_id"],
            hub_deleted=row["deleted_ms"] is not None,
        )

    @_unavailable_on_db_loss
    async def issue_access_token(self, access: NewAccessToken) -> None:
        await self._hot.transaction([], [(self._sql.insert_access, _access_params(access))])

    @_unavailable_on_db_loss
    async def issue_access_token_if_live(self, refresh_id: int, access: NewAccessToken) -> bool:
        params = _access_params(access)
        params["p_refresh_id"] = refresh_id
        return await self._hot.transaction([(self._sql.insert_access_if_live, params)], [])

    @_unavailable_on_db_loss
    async def rotate_refresh_token(
        self, refresh_id: int, now_ms: int, new_refresh: NewRefreshToken, access: NewAccessToken
    ) -> bool:
        return await self._hot.transaction(
            [(self._sql.retire_refresh, {"p_id": refresh_id, "p_now": now_ms})],
            [
                (self._sql.insert_refresh, _refresh_params(new_refresh)),
                (self._sql.insert_access, _access_params(access)),
            ],
        )

    @_unavailable_on_db_loss
    async def replace_unused_successor(
        self, retired_id: int, now_ms: int, new_refresh: NewRefreshToken, access: NewAccessToken
    ) -> bool:
        # Concurrent retries of one retired token queue on its row (PostgreSQL; SQLite's
        # write lock does the same), so each one's successor lookup runs after the previous
        # retry committed and finds that retry's successor: never two live successors, and
        # the later retry wins (docs/decisions.md, "Rotation grace").
        step = {"p_parent": retired_id, "p_now": now_ms, "p_family": new_refresh.family_id}
        return await self._hot.transaction(
            [
                (self._sql.lock_retired, step),
                (self._sql.retire_unused_successor, step),
            ],
            [
                (self._sql.revoke_successor_access, step),
                (self._sql.insert_refresh, _refresh_params(new_refresh)),
                (self._sql.insert_access, _access_params(access)),
            ],
        )

    @_unavailable_on_db_loss
    @_bounded
    async def revoke_refresh_token(
        self, token_hash: Hashes, now_ms: int, *, with_access_tokens: bool
    ) -> bool:
        async with self.engine.begin() as conn:
            family = (
                await conn.execute(
                    update(refresh_tokens)
                    .where(
                        refresh_tokens.c.token_hash.in_(_hashes(token_hash)),
                        refresh_tokens.c.revoked_ms.is_(None),
                        refresh_tokens.c.rotated_ms.is_(None),
                    )
                    .values(revoked_ms=now_ms)
                    .returning(refresh_tokens.c.family_id)
                )
            ).scalar_one_or_none()
            if family is None:
                return False
            if with_access_tokens:
                await conn.execute(
                    update(access_tokens)
                    .where(
                        access_tokens.c.family_id == family, access_tokens.c.revoked_ms.is_(None)
                    )
                    .values(revoked_ms=now_ms)
                )
        return True

    @_unavailable_on_db_loss
    @_bounded
    async def revoke_access_token(self, token_hash: Hashes, now_ms: int) -> bool:
        async with self.engine.begin() as conn:
            result = await conn.execute(
                update(access_tokens)
                .where(
                    access_tokens.c.token_hash.in_(_hashes(token_hash)),
                    access_tokens.c.revoked_ms.is_(None),
                )
                .values(revoked_ms=now_ms)
            )
        return result.rowcount == 1

    @_unavailable_on_db_loss
    @_bounded
    async def revoke_family(self, family_id: str, now_ms: int) -> int:
        total = 0
        async with self.engine.begin() as conn:
            # Refresh tokens a second time: on PostgreSQL (READ COMMITTED) the first UPDATE may
            # have waited for a rotation holding one of the family's rows, whose successor was
            # inserted after that UPDATE's snapshot; once it committed, the next statement sees it.
            for table in (refresh_tokens, access_tokens, refresh_tokens):
                result = await conn.execute(
                    update(table)
                    .where(table.c.family_id == family_id, table.c.revoked_ms.is_(None))
                    .values(revoked_ms=now_ms)
                )
                total += result.rowcount
        return total

    # --- private_key_jwt (RFC 7523) ------------------------------------------------------------

    @_unavailable_on_db_loss
    async def set_app_jwks(self, app_id: int, jwks: str | None, now_ms: int) -> bool:
        """Replace the app's JWK Set (``None`` removes it); False when there is no such app."""
        async with self.engine.begin() as conn:
            exists = (
                await conn.execute(select(apps.c.app_id).where(apps.c.app_id == app_id))
            ).first()
            if exists is None:
                return False
            await conn.execute(delete(app_jwks).where(app_jwks.c.app_id == app_id))
            if jwks is not None:
                await conn.execute(
                    insert(app_jwks).values(app_id=app_id, jwks=jwks, updated_ms=now_ms)
                )
        return True

    @_unavailable_on_db_loss
    async def update_app(
        self,
        app_id: int,
        *,
        name: str,
        redirect_uris: Sequence[str],
        scopes: Sequence[str],
        optional_scopes: Sequence[str],
        refresh_policy: RefreshPolicy,
    ) -> bool:
        async with self.engine.begin() as conn:
            result = await conn.execute(
                update(apps)
                .where(apps.c.app_id == app_id)
                .values(
                    name=name,
                    redirect_uris=orjson.dumps(list(redirect_uris)).decode(),
                    scopes=_join(scopes),
                    optional_scopes=_join(optional_scopes),
                    refresh_policy=refresh_policy.value,
                )
            )
        return result.rowcount == 1

    @_unavailable_on_db_loss
    async def delete_app(self, app_id: int) -> dict[str, int] | None:
        async with self.engine.begin() as conn:
            for table in (app_jwks, client_registrations):
                await conn.execute(delete(table).where(table.c.app_id == app_id))
        removed = await directory.delete_app(self.engine, app_id)
        return None if removed is None else dataclasses.asdict(removed)

    @_unavailable_on_db_loss
    async def save_registration(
        self, app_id: int, token_hash: bytes, key_id: str | None, auth_method: str, now_ms: int
    ) -> None:
        async with self.engine.begin() as conn:
            await conn.execute(
                delete(client_registrations).where(client_registrations.c.app_id == app_id)
            )
            await conn.execute(
                insert(client_registrations).values(
                    app_id=app_id,
                    token_hash=token_hash,
                    key_id=key_id,
                    auth_method=auth_method,
                    created_ms=now_ms,
                )
            )

    @_unavailable_on_db_loss
    async def find_registration(self, app_id: int) -> tuple[bytes, str | None, str] | None:
        async with self.engine.connect() as conn:
            row = (
                await conn.execute(
                    select(
                        client_registrations.c.token_hash,
                        client_registrations.c.key_id,
                        client_registrations.c.auth_method,
                    )
                    .join(apps, apps.c.app_id == client_registrations.c.app_id)
                    .where(
                        client_registrations.c.app_id == app_id,
                        # a row left by a release that deleted the app without it (rolling
                        # upgrade) must not attach to a later app given the same id
                        client_registrations.c.created_ms >= apps.c.created_ms,
                    )
                )
            ).first()
        return None if row is None else (bytes(row[0]), row[1], str(row[2]))

    @_unavailable_on_db_loss
    async def find_app_jwks(self, app_id: int) -> str | None:
        async with self.engine.connect() as conn:
            row = (
                await conn.execute(select(app_jwks.c.jwks).where(app_jwks.c.app_id == app_id))
            ).first()
        return None if row is None else str(row[0])

    @_unavailable_on_db_loss
    async def use_assertion_jti(self, jti_hash: bytes, app_id: int, expires_ms: int) -> bool:
        """Record a client assertion's ``jti``; False when it was already recorded (a replay).
        The primary key decides, so two nodes racing with one assertion get one True."""
        stmt = self._insert_ignore(
            client_assertion_jtis,
            {"jti_hash": jti_hash, "app_id": app_id, "expires_ms": expires_ms},
        )
        async with self.engine.begin() as conn:
            return bool((await conn.execute(stmt)).rowcount == 1)

    @_unavailable_on_db_loss
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

    # --- install-page sessions -------------------------------------------------------------

    @_unavailable_on_db_loss
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

    @_unavailable_on_db_loss
    async def find_browser_session(self, token_hash: Hashes, now_ms: int) -> BrowserSession | None:
        t = browser_sessions.c
        row = await self._one(
            select(browser_sessions).where(
                t.token_hash.in_(_hashes(token_hash)),
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

    @_unavailable_on_db_loss
    async def touch_browser_session(self, session_id: int, idle_expires_ms: int) -> None:
        async with self.engine.begin() as conn:
            await conn.execute(
                update(browser_sessions)
                .where(browser_sessions.c.session_id == session_id)
                .values(idle_expires_ms=idle_expires_ms)
            )

    @_unavailable_on_db_loss
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

    @_unavailable_on_db_loss
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

    @_unavailable_on_db_loss
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

    @_unavailable_on_db_loss
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

    @_unavailable_on_db_loss
    async def set_install_flow_hub(self, flow_id: str, session_id: int, hub_id: int | None) -> None:
        flows = install_flows.c
        async with self.engine.begin() as conn:
            await conn.execute(
                update(install_flows)
                .where(flows.flow_id == flow_id, flows.session_id == session_id)
                .values(chosen_hub_id=hub_id)
            )

    @_unavailable_on_db_loss
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

    @_unavailable_on_db_loss
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

    @_unavailable_on_db_loss
    async def count_rows(self) -> dict[str, int]:
        out: dict[str, int] = {}
        async with self.engine.connect() as conn:
            for table in (apps, hubs, users, installs, auth_codes, refresh_tokens, access_tokens):
                out[table.name] = (
                    await conn.execute(select(func.count()).select_from(table))
                ).scalar_one()
        return out

    @_unavailable_on_db_loss
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
                    found.append(_summary(table is refresh_tokens, row))
        found.sort(key=lambda t: (t.created_ms, t.row_id), reverse=True)
        return found[:limit]


def _summary(is_refresh: bool, row: Row[Any]) -> TokenSummary:
    return TokenSummary(
        kind="refresh_token" if is_refresh else row.token_use,
        row_id=row.refresh_id if is_refresh else row.access_id,
        app_id=row.app_id,
        hub_id=row.hub_id,
        user_id=row.user_id,
        scopes=_split(row.scopes),
        family_id=row.family_id,
        created_ms=row.created_ms,
        expires_ms=None if is_refresh else row.expires_ms,
        revoked_ms=row.revoked_ms,
        rotated_ms=row.rotated_ms if is_refresh else None,
        hash_prefix=bytes(row.token_hash)[:4].hex(),
    )
