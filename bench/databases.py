"""Databases for one benchmark run: SQLite files in the work directory, or dedicated
PostgreSQL databases ``hubauth_bench_<random>_<role>`` created for the run and dropped after."""

from __future__ import annotations

import asyncio
import os
import secrets
from pathlib import Path

import asyncpg

PG_ADMIN_URL = os.environ.get(
    "HUBAUTH_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)
BACKENDS = ("sqlite", "postgresql")


async def _pg(sql: str) -> None:
    conn = await asyncpg.connect(PG_ADMIN_URL, timeout=5)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


class Databases:
    def __init__(self, backend: str, workdir: Path) -> None:
        self.backend = backend
        self.workdir = workdir
        self.tag = "hubauth_bench_" + secrets.token_hex(4)
        self._created: list[str] = []

    def url(self, role: str) -> str:
        """A fresh, empty database for ``role`` (main, dot, s1000, ...)."""
        if self.backend == "sqlite":
            path = self.workdir / f"{role}.db"
            path.parent.mkdir(parents=True, exist_ok=True)
            return f"sqlite:///{path}"
        name = f"{self.tag}_{role}"
        asyncio.run(_pg(f'CREATE DATABASE "{name}"'))
        self._created.append(name)
        return f"{PG_ADMIN_URL.rsplit('/', 1)[0]}/{name}"

    def drop_all(self) -> None:
        for name in self._created:
            try:
                asyncio.run(_pg(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            except (OSError, asyncpg.PostgresError) as exc:
                print(f"bench: could not drop {name}: {exc}")
        self._created.clear()
