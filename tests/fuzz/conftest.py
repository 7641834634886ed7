"""A real ``hubauth serve`` for the fuzzers, on a fresh SQLite file, rate limiting off (the
fuzzers send thousands of failures from one address on purpose)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import _migrate
from tests.support import LiveServer


@pytest.fixture(scope="module")
def fuzz_server(
    tmp_path_factory: pytest.TempPathFactory, server_env: dict[str, str]
) -> Iterator[LiveServer]:
    db = Path(tmp_path_factory.mktemp("fuzz")) / "fuzz.db"
    url = f"sqlite:///{db}"
    asyncio.run(_migrate(url))
    env = {**server_env, "HUBAUTH_RATE_LIMIT_ENABLED": "false", "HUBAUTH_LOG_LEVEL": "error"}
    server = LiveServer(url, env)
    yield server
    server.stop()
