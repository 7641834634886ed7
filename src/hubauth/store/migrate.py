"""Schema migrations (Alembic), run on a live async engine.

``hubauth db upgrade`` and ``make serve`` call :func:`upgrade`; ``hubauth serve`` and
``/readyz`` call :func:`status` and refuse to serve a database whose schema is behind, or
ahead by a migration this code cannot serve.

Rolling upgrades: migrations are expand/contract. Each one records in ``schema_compat`` the
oldest revision whose *code* still works on the schema it leaves (an expand migration keeps
its predecessor's value, a contract migration names itself or a later release's revision). A
node whose code does not know the database's revision (a newer release migrated it) reads that
row and serves if it knows the revision named there: its own head is then at or after it.
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from alembic import command, op
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

_SCRIPTS = Path(__file__).parent / "migrations"
#: Test-only: a directory of extra migration scripts chained after ours, standing in for the
#: migrations of a newer release (tests/ops/test_rolling_upgrade.py).
EXTRA_VERSIONS_ENV = "HUBAUTH_TEST_EXTRA_MIGRATIONS"

_compat = sa.table(
    "schema_compat", sa.column("revision", sa.String), sa.column("compatible_from", sa.String)
)


def _config(connection: Connection | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(_SCRIPTS))
    extra = os.environ.get(EXTRA_VERSIONS_ENV)
    if extra:
        cfg.set_main_option("version_locations", f"{_SCRIPTS / 'versions'} {extra}")
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def head_revision() -> str | None:
    return ScriptDirectory.from_config(_config()).get_current_head()


def record_compat(revision: str, *, compatible_from: str) -> None:
    """Inside a migration's ``upgrade()``: the oldest revision whose code serves the schema
    this migration leaves (its own ``down_revision``'s value for an expand migration)."""
    op.execute(_compat.delete().where(_compat.c.revision == revision))
    op.execute(_compat.insert().values(revision=revision, compatible_from=compatible_from))


@dataclass(frozen=True, slots=True)
class SchemaStatus:
    current: str | None
    head: str | None
    #: For a schema ahead of this code: the oldest revision whose code serves it (None if
    #: unrecorded, which is never servable).
    compatible_from: str | None = None

    @property
    def up_to_date(self) -> bool:
        return self.current == self.head

    @property
    def ahead(self) -> bool:
        return not is_known(self.current)

    @property
    def servable(self) -> bool:
        """Up to date, or ahead only by migrations this code's head is compatible with."""
        if self.up_to_date:
            return True
        return self.ahead and self.compatible_from is not None and is_known(self.compatible_from)

    def problem(self) -> str:
        """Why a node refuses this schema (only meaningful when not :attr:`servable`)."""
        if self.ahead:
            return (
                f"database schema is at {self.current}, ahead of this hubauth ({self.head}) by "
                f"a migration it cannot serve (compatible from {self.compatible_from or '?'}): "
                "run a newer hubauth"
            )
        return (
            f"database schema is at {self.current or 'nothing'} but this hubauth needs "
            f"{self.head}: run `hubauth db upgrade --database URL` first"
        )


async def status(engine: AsyncEngine) -> SchemaStatus:
    def _read(conn: Connection) -> tuple[str | None, str | None]:
        current = MigrationContext.configure(conn).get_current_revision()
        if is_known(current) or not sa.inspect(conn).has_table("schema_compat"):
            return current, None
        row = conn.execute(
            sa.select(_compat.c.compatible_from).where(_compat.c.revision == current)
        ).first()
        return current, None if row is None else str(row[0])

    async with engine.connect() as conn:
        current, compatible_from = await conn.run_sync(_read)
    return SchemaStatus(current=current, head=head_revision(), compatible_from=compatible_from)


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
    return revision in _known_revisions(os.environ.get(EXTRA_VERSIONS_ENV))


@functools.cache
def _known_revisions(_extra: str | None) -> frozenset[str]:
    # Cached per extra-versions directory: the scripts do not change while a process runs.
    return frozenset(s.revision for s in ScriptDirectory.from_config(_config()).walk_revisions())
