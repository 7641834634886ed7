"""Schema migrations (Alembic), run on a live async engine.

``hubauth db upgrade`` and ``make serve`` call :func:`upgrade`; ``hubauth serve`` and
``/readyz`` call :func:`status` and refuse to serve a database whose schema is behind.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

_SCRIPTS = Path(__file__).parent / "migrations"


def _config(connection: Connection | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(_SCRIPTS))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def head_revision() -> str | None:
    return ScriptDirectory.from_config(_config()).get_current_head()


@dataclass(frozen=True, slots=True)
class SchemaStatus:
    current: str | None
    head: str | None

    @property
    def up_to_date(self) -> bool:
        return self.current == self.head


async def status(engine: AsyncEngine) -> SchemaStatus:
    def _current(conn: Connection) -> str | None:
        return MigrationContext.configure(conn).get_current_revision()

    async with engine.connect() as conn:
        current = await conn.run_sync(_current)
    return SchemaStatus(current=current, head=head_revision())


async def upgrade(engine: AsyncEngine, revision: str = "head") -> SchemaStatus:
    def _upgrade(conn: Connection) -> None:
        command.upgrade(_config(conn), revision)

    async with engine.begin() as conn:
        await conn.run_sync(_upgrade)
    return await status(engine)


def is_known(revision: str | None) -> bool:
    """Whether this hubauth's migration scripts know ``revision``. A revision they do not know
    was written by a newer hubauth: the schema is ahead of this code, not behind it."""
    if revision is None:
        return True
    return revision in {s.revision for s in ScriptDirectory.from_config(_config()).walk_revisions()}
