"""Error translation for the SQL store: "the database cannot serve right now" becomes
:class:`~hubauth.core.ports.StoreUnavailable` (rendered as HubSpot's 503); anything else stays a
bug. Also the bound on how long a request waits for a SQLAlchemy-path operation (issue 21)."""

from __future__ import annotations

import asyncio
import functools
import sqlite3
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, Concatenate, ParamSpec, Protocol, TypeVar

import asyncpg
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

from hubauth.core.ports import StoreUnavailable

#: Raw-driver errors of the hot path (store/hot.py) that mean "the database is gone".
DRIVER_LOSS = (
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


class _Timed(Protocol):
    timeout: float


S = TypeVar("S", bound=_Timed)


class Conflict(ValueError):
    """A unique value (client_id, email, explicit id) is already taken."""


def unavailable_on_db_loss(
    fn: Callable[P, Awaitable[T]],
) -> Callable[P, Coroutine[Any, Any, T]]:
    """Turn "the database is gone" into :class:`StoreUnavailable`; other errors stay bugs."""

    @functools.wraps(fn)
    async def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
        try:
            return await fn(*args, **kwargs)
        except (TimeoutError, OperationalError, InterfaceError, OSError, *DRIVER_LOSS) as exc:
            raise StoreUnavailable(type(exc).__name__) from exc
        except DBAPIError as exc:
            if exc.connection_invalidated or means_unavailable(exc):
                raise StoreUnavailable(type(exc).__name__) from exc
            raise

    return wrapper


def bounded(
    fn: Callable[Concatenate[S, P], Awaitable[T]],
) -> Callable[Concatenate[S, P], Awaitable[T]]:
    """A SQLAlchemy-path operation a request waits for: the request waits at most the store's
    timeout, then gets a 503 (TimeoutError -> StoreUnavailable). The operation itself is not
    cancelled but finishes in the background, bounded by asyncpg's command timeout: cancelled
    mid-statement, SQLAlchemy would wait for a ROLLBACK on the same frozen server (issue 21),
    and each such wait is another request's worth of time."""

    @functools.wraps(fn)
    async def wrapper(self: S, /, *args: P.args, **kwargs: P.kwargs) -> T:
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


def means_unavailable(exc: DBAPIError) -> bool:
    """asyncpg raises e.g. ``CannotConnectNowError`` ("the database system is shutting down")
    while connecting; SQLAlchemy reports it as a plain ``DBAPIError`` that is not marked as a
    disconnect, so the SQLSTATE decides (found by tests/faults: it used to be a 500)."""
    code = getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None)
    return isinstance(code, str) and code.startswith(_UNAVAILABLE_SQLSTATE_PREFIXES)
