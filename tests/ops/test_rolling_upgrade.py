"""A rolling upgrade on one PostgreSQL database: an old and a new node serve side by side while
the new release's migration is applied, requests alternating between them, and none fails.

"New release" = this code plus a migration it ships (written by the test into a directory of
extra migration scripts, ``HUBAUTH_TEST_EXTRA_MIGRATIONS``); "old release" = this code without
it. The expand migration records that code from the current head still serves the schema
(``schema_compat``), so an old node keeps serving and may even restart; a contract migration
records the opposite, and an old node then refuses to start (docs/operations.md, "Upgrades").
"""

from __future__ import annotations

import asyncio
import subprocess
import threading
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from hubauth.core.audit import null_audit
from hubauth.core.clock import SystemClock
from hubauth.core.context import Context
from hubauth.core.tokens import TokenHasher
from hubauth.store import migrate
from hubauth.store.sql import SqlStore
from tests.conftest import _migrate
from tests.support import (
    TEST_KEY,
    LiveServer,
    Seed,
    create_pg_database,
    drop_pg_database,
    hubauth_cmd,
    mint_code,
    seed,
)

pytestmark = pytest.mark.slow

EXPAND = '''"""Test-only expand migration of a "newer release"."""

import sqlalchemy as sa
from alembic import op

from hubauth.store.migrate import record_compat

revision = "0900_rolling_expand"
down_revision = "{down}"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("access_tokens", sa.Column("rolling_note", sa.String(40), nullable=True))
    op.create_table("rolling_extra", sa.Column("id", sa.Integer, primary_key=True))
    record_compat(revision, compatible_from="{down}")


def downgrade() -> None:
    op.drop_table("rolling_extra")
    op.drop_column("access_tokens", "rolling_note")
'''

CONTRACT = '''"""Test-only contract migration: only code that knows it serves the schema."""

from hubauth.store.migrate import record_compat

revision = "0901_rolling_contract"
down_revision = "0900_rolling_expand"
branch_labels = None
depends_on = None


def upgrade() -> None:
    record_compat(revision, compatible_from=revision)


def downgrade() -> None:
    pass
'''


@dataclass
class Traffic:
    """Requests alternating over the nodes in rotation (a load balancer that drains a node
    before it restarts), from a thread, counting every answer that is not a success."""

    seed: Seed
    refresh_tokens: list[str]
    access_tokens: list[str]
    nodes: dict[str, str] = field(default_factory=dict)  # name -> base URL
    failures: list[str] = field(default_factory=list)
    served: dict[str, int] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _stop: threading.Event = field(default_factory=threading.Event)

    _in_flight: str | None = None

    def drain(self, name: str) -> None:
        """Take a node out of rotation and wait for its in-flight requests to finish."""
        with self._lock:
            self.nodes.pop(name, None)
        while self._in_flight == name:
            time.sleep(0.01)

    def add(self, name: str, url: str) -> None:
        with self._lock:
            self.nodes[name] = url

    def run(self) -> None:
        turn = 0
        with httpx.Client(timeout=15) as http:
            while not self._stop.is_set():
                with self._lock:
                    names = sorted(self.nodes)
                    if not names:
                        url = None
                    else:
                        name = names[turn % len(names)]
                        url = self.nodes[name]
                        self._in_flight = name
                if url is None:
                    time.sleep(0.01)
                    continue
                rt = self.refresh_tokens[turn % len(self.refresh_tokens)]
                at = self.access_tokens[turn % len(self.access_tokens)]
                turn += 1
                form = {"grant_type": "refresh_token", "refresh_token": rt, **self.seed.creds()}
                for method, path, data in (
                    ("POST", "/oauth/v1/token", form),
                    ("GET", f"/oauth/v1/access-tokens/{at}", None),
                    ("GET", f"/oauth/v1/refresh-tokens/{rt}", None),
                ):
                    try:
                        r = http.request(method, url + path, data=data)
                    except httpx.HTTPError as exc:  # a dropped connection fails the test too
                        self.failures.append(f"{name} {method} {path[:30]}: {exc!r}")
                        continue
                    if r.status_code != 200:
                        self.failures.append(f"{name} {method} {path[:30]}: {r.status_code}")
                    self.served[name] = self.served.get(name, 0) + 1
                self._in_flight = None

    def __enter__(self) -> Traffic:
        self._thread = threading.Thread(target=self.run, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=30)


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A database of this test's own, not the session's shared one: the test applies test-only
    migrations, one of them a contract migration that no other test's server could start on."""
    url = create_pg_database()
    try:
        asyncio.run(_migrate(url))
        yield url
    finally:
        drop_pg_database(url)


@pytest.fixture
def extra_dir(tmp_path: Path) -> Path:
    d = tmp_path / "newer-release-migrations"
    d.mkdir()
    (d / "0900_rolling_expand.py").write_text(EXPAND.format(down=migrate.head_revision()))
    return d


@pytest.fixture
async def pg_ctx(pg_url: str) -> AsyncIterator[Context]:
    store = SqlStore.from_url(pg_url, pool_size=2)
    yield Context(store, SystemClock(), TokenHasher(TEST_KEY.encode()), audit=null_audit)
    await store.close()


@pytest.fixture
def servers() -> Iterator[dict[str, LiveServer]]:
    running: dict[str, LiveServer] = {}
    yield running
    for server in running.values():
        server.stop()


def db_upgrade(pg_url: str, env: dict[str, str]) -> None:
    done = subprocess.run(
        hubauth_cmd("db", "upgrade", "--database", pg_url),
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr


async def test_old_and_new_nodes_serve_side_by_side_while_an_expand_migration_is_applied(
    pg_url: str,
    live_env: dict[str, str],
    extra_dir: Path,
    pg_ctx: Context,
    servers: dict[str, LiveServer],
) -> None:
    new_env = {**live_env, "HUBAUTH_TEST_EXTRA_MIGRATIONS": str(extra_dir)}
    old_env = {**live_env, "HUBAUTH_RATE_LIMIT_ENABLED": "false"}
    new_env["HUBAUTH_RATE_LIMIT_ENABLED"] = "false"
    s = await seed(pg_ctx)
    servers["old"] = LiveServer(pg_url, old_env)
    servers["other"] = LiveServer(pg_url, old_env)
    refresh_tokens, access_tokens = [], []
    with httpx.Client(timeout=15) as http:
        for _ in range(3):
            code = await mint_code(pg_ctx, s)
            form = {
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": s.redirect_uri,
            }
            r = http.post(servers["old"].url + "/oauth/v1/token", data={**form, **s.creds()})
            assert r.status_code == 200, r.text
            refresh_tokens.append(r.json()["refresh_token"])
            access_tokens.append(r.json()["access_token"])

    traffic = Traffic(s, refresh_tokens, access_tokens)
    traffic.add("old", servers["old"].url)
    traffic.add("other", servers["other"].url)
    with traffic:
        time.sleep(1)
        db_upgrade(pg_url, new_env)  # the new release migrates while both old nodes serve
        time.sleep(1)
        # Roll "other" to the new release; "old" keeps the old code throughout.
        traffic.drain("other")
        servers.pop("other").stop()
        servers["new"] = LiveServer(pg_url, new_env)
        traffic.add("new", servers["new"].url)
        time.sleep(1)
        # The old release restarts on the migrated schema: start-up accepts it (compatible).
        traffic.drain("old")
        servers.pop("old").stop()
        servers["old"] = LiveServer(pg_url, old_env)
        traffic.add("old", servers["old"].url)
        time.sleep(1)
    assert traffic.failures == []
    assert traffic.served.get("old", 0) > 10 and traffic.served.get("new", 0) > 10
    with httpx.Client(timeout=15) as http:
        for name in ("old", "new"):
            assert http.get(servers[name].url + "/readyz").status_code == 200

    # A contract migration of a later release leaves the old code behind: it refuses to start.
    (extra_dir / "0901_rolling_contract.py").write_text(CONTRACT)
    db_upgrade(pg_url, new_env)
    servers.pop("old").stop()
    with pytest.raises(RuntimeError, match="ahead of this hubauth"):
        LiveServer(pg_url, old_env)
    servers["newer"] = LiveServer(pg_url, new_env)  # the release that knows it starts
