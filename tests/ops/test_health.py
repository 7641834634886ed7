"""``/healthz`` and ``/readyz``: liveness never needs the database; readiness needs it reachable
and migrated, and says which check failed in HubSpot's error format."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import event

from hubauth.config import Settings
from hubauth.store.sql import SqlStore
from hubauth.web.app import create_app
from hubauth.web.health import MigrationCheck
from tests.ops.conftest import asgi_client
from tests.support import official_check


async def test_healthz_answers_without_touching_the_database(
    down_client: httpx.AsyncClient,
) -> None:
    response = await down_client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_readyz_is_ok_when_database_answers_and_schema_is_current(
    ops_client: httpx.AsyncClient,
) -> None:
    response = await ops_client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": "ok", "migrations": "ok"}}


async def test_readyz_is_503_naming_the_database_when_it_is_unreachable(
    down_client: httpx.AsyncClient,
) -> None:
    response = await down_client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["category"] == "SERVICE_UNAVAILABLE"
    assert body["context"] == {"database": ["unreachable"]}
    assert body["correlationId"] == response.headers["x-request-id"]
    assert response.headers["retry-after"] == "5"


@pytest.fixture
async def unmigrated_client(settings: Settings, tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    """An app on an empty SQLite database (no schema at all), store handed in so the start-up
    gate is bypassed, as when a node is up while the schema is rolled back under it."""
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    store = SqlStore.from_url(url)
    app = create_app(settings.model_copy(update={"database_url": url}), store=store,
                     contract_check=official_check)  # fmt: skip
    async with app.router.lifespan_context(app), asgi_client(app) as client:
        yield client
    await store.close()


async def test_readyz_is_503_naming_migrations_when_schema_is_behind(
    unmigrated_client: httpx.AsyncClient,
) -> None:
    response = await unmigrated_client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert set(body["context"]) == {"migrations"}
    assert "hubauth db upgrade" in body["context"]["migrations"][0]


async def test_migration_check_is_reused_within_its_ttl(store: SqlStore) -> None:
    statements: list[str] = []

    def note(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        statements.append(statement)

    event.listen(store.engine.sync_engine, "before_cursor_execute", note)
    try:
        check = MigrationCheck(ttl_s=3600)
        assert await check.up_to_date(store)
        queried = len(statements)
        assert queried > 0
        assert await check.up_to_date(store)
        assert len(statements) == queried  # the second answer came from the cache
        expired = MigrationCheck(ttl_s=0)
        assert await expired.up_to_date(store)
        assert await expired.up_to_date(store)
        assert len(statements) > queried + 1
    finally:
        event.remove(store.engine.sync_engine, "before_cursor_execute", note)


async def test_readyz_stays_ready_when_a_newer_release_migrated_ahead_compatibly(
    settings: Settings, tmp_path: Path
) -> None:
    from sqlalchemy import text

    from hubauth.store import migrate

    url = f"sqlite:///{tmp_path / 'ahead.db'}"
    store = SqlStore.from_url(url)
    await migrate.upgrade(store.engine)
    head = migrate.head_revision()
    async with store.engine.begin() as conn:
        await conn.execute(text("UPDATE alembic_version SET version_num = '9999_future'"))
        # What a newer release's expand migration records: code from our head still serves it.
        await conn.execute(
            text("INSERT INTO schema_compat VALUES ('9999_future', :h)").bindparams(h=head)
        )
    app = create_app(settings.model_copy(update={"database_url": url}), store=store)
    async with app.router.lifespan_context(app), asgi_client(app) as client:
        response = await client.get("/readyz")
    await store.close()
    assert response.status_code == 200
    assert migrate.is_known(head)
    assert not migrate.is_known("9999_future")


async def test_readyz_is_unready_when_a_newer_release_contracted_the_schema(
    settings: Settings, tmp_path: Path
) -> None:
    from sqlalchemy import text

    from hubauth.store import migrate

    url = f"sqlite:///{tmp_path / 'contracted.db'}"
    store = SqlStore.from_url(url)
    await migrate.upgrade(store.engine)
    async with store.engine.begin() as conn:
        await conn.execute(text("UPDATE alembic_version SET version_num = '9999_future'"))
        # A contract migration: only code that knows 9999_future serves the schema.
        await conn.execute(text("INSERT INTO schema_compat VALUES ('9999_future', '9999_future')"))
    app = create_app(settings.model_copy(update={"database_url": url}), store=store)
    async with app.router.lifespan_context(app), asgi_client(app) as client:
        response = await client.get("/readyz")
    await store.close()
    assert response.status_code == 503
    assert "ahead" in response.json()["context"]["migrations"][0]


def test_every_migration_after_the_compat_table_records_which_code_serves_its_schema() -> None:
    """An older node decides whether it can serve a newer schema from ``schema_compat``
    (store/migrate.py); a migration that records nothing would make every older node refuse."""
    versions = Path(__file__).resolve().parents[2] / "src/hubauth/store/migrations/versions"
    scripts = sorted(p for p in versions.glob("0*.py"))
    first = next(i for i, p in enumerate(scripts) if p.stem.endswith("_schema_compat"))
    assert len(scripts) > first + 1  # at least one migration after the table's own
    for script in scripts[first:]:
        assert "record_compat(revision, compatible_from=" in script.read_text(), script.name
