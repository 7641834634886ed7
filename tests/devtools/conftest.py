"""Fixtures for the developer-tools tests: the plugin's servers check every body they render
against its contract (official json-structure package), and shared token stores on each
backend the client supports."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis

from hubauth.client import TokenSet
from hubauth.testing import HubAuthServer, ServerConfig
from tests.devtools.workers import StoreSpec
from tests.support import create_pg_database, drop_pg_database, official_check

REDIS_URL = "redis://127.0.0.1:6379/0"


@pytest.fixture(scope="session")
def hubauth_server_config() -> ServerConfig:
    return ServerConfig(contract_check=official_check)


@pytest.fixture(scope="session")
def client_pg_url() -> Iterator[str]:
    """A fresh PostgreSQL database for the token-store tests, dropped afterwards."""
    url = create_pg_database()
    try:
        yield url
    finally:
        drop_pg_database(url)


@pytest.fixture
def redis_prefix() -> Iterator[str]:
    """A key prefix of this test's own in Redis, cleaned up afterwards."""
    prefix = f"hubauth-test:{secrets.token_hex(6)}:"
    yield prefix
    client = redis.Redis.from_url(REDIS_URL)
    try:
        keys = list(client.scan_iter(match=prefix + "*"))
        if keys:
            client.delete(*keys)
    finally:
        client.close()


@pytest.fixture
def store_spec_for(
    tmp_path: Path, client_pg_url: str, redis_prefix: str
) -> Callable[[str], StoreSpec]:
    """``store_spec_for(kind)``: where this test keeps its tokens on that backend."""

    def spec(kind: str) -> StoreSpec:
        if kind == "sqlite":
            return StoreSpec("sqlite", str(tmp_path / "tokens.db"))
        if kind == "postgres":
            return StoreSpec("postgres", client_pg_url, table="t_" + secrets.token_hex(4))
        if kind == "redis":
            return StoreSpec("redis", REDIS_URL, prefix=redis_prefix)
        assert kind == "memory"
        return StoreSpec("memory", "")

    return spec


@pytest.fixture(params=["memory", "sqlite", "postgres", "redis"])
def store_spec(
    request: pytest.FixtureRequest, store_spec_for: Callable[[str], StoreSpec]
) -> StoreSpec:
    return store_spec_for(request.param)


def token_set(server: HubAuthServer) -> TokenSet:
    """Install the seeded app and hold the tokens as a client received them just now."""
    return TokenSet.from_response(server.mint_tokens(), server.clock.now_ms())
