"""Fixtures of the fault tests: a private PostgreSQL cluster and server processes."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from tests.conftest import _migrate
from tests.faults.cluster import PgCluster


@pytest.fixture(scope="module")
def cluster() -> Iterator[PgCluster]:
    made = PgCluster()
    try:
        asyncio.run(_migrate(made.url))
        yield made
    finally:
        made.destroy()
