"""One line for each mistake people make with the ``hubauth`` command (issue 17).

Exit codes follow click's convention: 2 for a usage error (the command line or configuration
is wrong as written), 1 for a runtime error (the world is not as the command expected: the
port is taken, the database is not there). Tracebacks only with ``hubauth --debug``.
"""

from __future__ import annotations

import errno
import socket
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import click
from sqlalchemy.engine import URL

from hubauth.store.urls import BadDatabaseURL, to_async_url


class RuntimeFailure(click.ClickException):
    """Exit 1 with one line: something outside the command line is in the way."""

    exit_code = 1


class UsageFailure(click.ClickException):
    """Exit 2 with one line: the command line or configuration is wrong as written. (click's
    own ``UsageError`` adds the usage synopsis and a help pointer: three lines more.)"""

    exit_code = 2


def causes(exc: BaseException) -> Iterator[BaseException]:
    """The exception, what it was raised from, and SQLAlchemy's wrapped driver errors."""
    seen: set[int] = set()
    todo: list[BaseException | None] = [exc]
    while todo:
        current = todo.pop(0)
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        orig = getattr(current, "orig", None)
        todo += [
            current.__cause__,
            current.__context__,
            orig if isinstance(orig, BaseException) else None,
        ]


def _where(url: URL) -> str:
    return f"{url.host or 'localhost'}:{url.port or 5432}"


def explain_database_error(database_url: str, exc: BaseException) -> str | None:
    """One line saying what is wrong with the database and how to fix it, or None if the
    error is not one of the known start-up mistakes."""
    try:
        url = to_async_url(database_url)
    except BadDatabaseURL:
        return None
    chain = list(causes(exc))
    if url.get_backend_name() == "sqlite":
        path = Path(url.database or "")
        if any(
            isinstance(e, FileNotFoundError | PermissionError)
            or (isinstance(e, sqlite3.OperationalError) and "unable to open" in str(e))
            for e in chain
        ):
            if not path.parent.is_dir():
                return f"no such directory: {path.parent} (from {database_url}); create it first"
            return f"cannot open the SQLite file {path}: check the directory's permissions"
        return None
    names = {type(e).__name__ for e in chain}
    if "InvalidCatalogNameError" in names:
        user = f" -U {url.username}" if url.username else ""
        return (
            f"PostgreSQL database {url.database!r} does not exist on {_where(url)}; "
            f"create it with: createdb -h {url.host or 'localhost'} -p {url.port or 5432}"
            f"{user} {url.database}"
        )
    if names & {"InvalidPasswordError", "InvalidAuthorizationSpecificationError"}:
        return f"PostgreSQL at {_where(url)} refused user {url.username!r}: check the user name"
    for e in chain:
        if isinstance(e, socket.gaierror):
            return f"cannot resolve the database host {url.host!r}: check the URL"
        if isinstance(e, ConnectionRefusedError) or (
            isinstance(e, OSError) and e.errno == errno.ECONNREFUSED
        ):
            return (
                f"cannot reach PostgreSQL at {_where(url)} (connection refused): "
                "is it running, and is the port right?"
            )
        if isinstance(e, TimeoutError):
            return f"PostgreSQL at {_where(url)} did not answer in time: check the host and port"
    return None


def bind_problem(host: str, port: int) -> str | None:
    """Why ``hubauth serve`` could not listen on (host, port), as one line, or None.

    The probe binds *without* ``SO_REUSEPORT``: Linux lets a second socket share a port only if
    both set it, and granian sets it, which is how a second ``hubauth serve`` used to bind the
    same port silently and split the traffic between two servers. ``SO_REUSEADDR`` keeps a
    port in TIME_WAIT usable (a restarted server must not wait a minute).
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
            probe.listen(1)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                return f"port {port} is in use; pick another with --port"
            if exc.errno == errno.EACCES:
                return f"no permission to listen on port {port}; pick one above 1023 with --port"
            if exc.errno == errno.EADDRNOTAVAIL:
                return f"{host} is not an address of this machine; fix --host"
            return f"cannot listen on {host}:{port} ({exc.strerror})"
        except socket.gaierror:
            return f"{host} is not an address of this machine; fix --host"
    return None
