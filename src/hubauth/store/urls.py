"""Database URLs as users write them (``sqlite:///hubauth.db``, ``postgresql://u@h/db``),
mapped to the async drivers hubauth uses."""

from __future__ import annotations

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

DEFAULT_URL = "sqlite:///hubauth.db"


class BadDatabaseURL(ValueError):
    pass


def to_async_url(raw: str) -> URL:
    """``sqlite`` → aiosqlite, ``postgresql``/``postgres`` → asyncpg; anything else is refused."""
    text = raw.strip()
    if text.startswith("postgres://"):
        text = "postgresql://" + text[len("postgres://") :]
    try:
        url = make_url(text)
    except ArgumentError:
        raise BadDatabaseURL(
            f"not a database URL: {raw!r} (expected sqlite:///PATH or postgresql://USER@HOST/DB)"
        ) from None
    backend = url.get_backend_name()
    if backend == "sqlite":
        if not url.database and url.host:
            # sqlite://hubauth.db parses as host "hubauth.db" and no path: the classic slip.
            raise BadDatabaseURL(
                f"{text} has two slashes; a SQLite file needs three: sqlite:///{url.host} "
                f"(relative) or sqlite:////abs/path/{url.host}"
            )
        if not url.database or url.database == ":memory:":
            raise BadDatabaseURL("an in-memory SQLite database cannot be shared; give a file path")
        return url.set(drivername="sqlite+aiosqlite")
    if backend == "postgresql":
        return url.set(drivername="postgresql+asyncpg")
    raise BadDatabaseURL(f"unsupported database {backend!r}: use sqlite:// or postgresql://")


def redacted(raw: str) -> str:
    """The URL with any password masked, for logs and ``config show``."""
    try:
        return make_url(raw).render_as_string(hide_password=True)
    except ArgumentError:
        return "<invalid URL>"
