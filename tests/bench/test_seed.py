"""The bench seeds tokens as the server stores them, so a scenario measures the steady state:
a token without the server key's id would take the key-rotation re-hash path on first use
(``core/grants.py`` ``_rehash``), and a refresh-grant scenario, which uses each seeded token
about once, would measure that migration instead of the grant."""

from __future__ import annotations

import asyncio
import secrets
from pathlib import Path

import pytest
from sqlalchemy import text

from bench import seed_hubauth
from hubauth.core.tokens import TokenHasher
from hubauth.store.sql import create_engine


async def _key_ids(url: str, table: str, app_id: int) -> set[str | None]:
    engine = create_engine(url, pool_size=1)
    try:
        async with engine.connect() as conn:
            rows = await conn.execute(
                text(f"SELECT DISTINCT key_id FROM {table} WHERE app_id = :a"), {"a": app_id}
            )
            return {row[0] for row in rows}
    finally:
        await engine.dispose()


@pytest.mark.postgres
def test_seeded_tokens_and_codes_carry_the_server_keys_id(
    database_url: str, tmp_path: Path
) -> None:
    key = secrets.token_bytes(32)
    key_id = TokenHasher(key).key_id
    assert key_id is not None  # a keyring key: NULL would mean "made before the keyring"
    s = asyncio.run(seed_hubauth.seed(database_url, key, 20, tmp_path))
    asyncio.run(seed_hubauth.mint_codes(s, key, 5, tmp_path / "codes.txt"))
    asyncio.run(seed_hubauth.add_expired_access_tokens(s, key, 5))
    for table in ("refresh_tokens", "access_tokens", "auth_codes"):
        assert asyncio.run(_key_ids(database_url, table, s.app_id)) == {key_id}, table
