"""``hubauth db``: schema migrations."""

from __future__ import annotations

import click

from hubauth.cli.common import async_command, database_option, emit, json_option, settings_from
from hubauth.store import migrate
from hubauth.store.engine import create_engine


@click.group()
def db() -> None:
    """Database schema management."""


@db.command()
@database_option
@json_option
@async_command
async def upgrade(database_url: str | None, as_json: bool) -> None:
    """Bring the schema up to date (safe to run repeatedly, and from two nodes at once)."""
    settings = settings_from(database_url)
    engine = create_engine(settings.database_url, pool_size=1)
    try:
        status = await migrate.upgrade(engine)
    finally:
        await engine.dispose()
    emit({"revision": status.current, "head": status.head}, as_json, f"schema at {status.current}")


@db.command()
@database_option
@json_option
@async_command
async def status(database_url: str | None, as_json: bool) -> None:
    """Show the schema revision and whether it is current."""
    settings = settings_from(database_url)
    engine = create_engine(settings.database_url, pool_size=1)
    try:
        st = await migrate.status(engine)
    finally:
        await engine.dispose()
    emit(
        {"revision": st.current, "head": st.head, "up_to_date": st.up_to_date},
        as_json,
        f"schema at {st.current or 'nothing'} (head {st.head}); "
        + ("up to date" if st.up_to_date else "run `hubauth db upgrade`"),
    )
