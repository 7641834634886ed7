"""What the keyring costs a token lookup: ``python -m bench.keyring_lookup [--database URL]``.

A stored refresh token is looked up through the store's hot path by its digests, the way
``core/metadata.py`` does, with rings of different sizes: one digest (what a lookup cost before
the keyring: one HMAC, one index probe), a one-key ring accepting legacy digests (the default
after an upgrade: two), a two-key ring mid-rotation (four), and a two-key ring with legacy off
(two). Rounds interleave the configurations so that a busy machine slows them alike; the
median of the rounds' per-lookup times is printed, in microseconds.
"""

from __future__ import annotations

import argparse
import asyncio
import secrets
import statistics
import sys
import tempfile
import time
from pathlib import Path

from hubauth.core import authorization
from hubauth.core.audit import null_audit
from hubauth.core.clock import SystemClock
from hubauth.core.context import Context
from hubauth.core.keys import Keyring, server_key
from hubauth.core.token_endpoint import token_request
from hubauth.core.tokens import TokenHasher
from hubauth.store import migrate
from hubauth.store.sql import SqlStore
from hubauth.testing.seeding import seed_install

KEY_A = secrets.token_hex(32).encode()
KEY_B = secrets.token_hex(32).encode()


async def run(database_url: str, tokens: int, rounds: int, per_round: int) -> None:
    store = SqlStore.from_url(database_url, pool_size=2)
    await migrate.upgrade(store.engine)
    hasher = TokenHasher(Keyring([server_key(KEY_A)]))
    ctx = Context(store, SystemClock(), hasher, audit=null_audit)
    made = await seed_install(ctx, redirect_uris=["https://b.example.test/cb"], scopes=["oauth"])
    values = []
    for _ in range(tokens):
        code = await authorization.approve_directly(
            ctx,
            client_id=made.client_id,
            hub_id=made.hub_id,
            user_id=made.user_id,
            redirect_uri="https://b.example.test/cb",
            scope="oauth",
        )
        form = {"grant_type": "authorization_code", "code": code}
        form |= {"redirect_uri": "https://b.example.test/cb", "client_id": made.client_id}
        issued = await token_request(ctx, form | {"client_secret": made.client_secret})
        assert issued.refresh_token is not None
        values.append(issued.refresh_token)

    rings = {
        "one digest (before)": None,
        "1 key + legacy (2)": TokenHasher(Keyring([server_key(KEY_A)])),
        "2 keys + legacy (4)": TokenHasher(Keyring([server_key(KEY_B), server_key(KEY_A)])),
        "2 keys, no legacy (2)": TokenHasher(
            Keyring([server_key(KEY_B), server_key(KEY_A)], accept_legacy=False)
        ),
    }
    single = ctx.hasher
    times: dict[str, list[float]] = {name: [] for name in rings}
    for _ in range(rounds):
        for name, hasher in rings.items():
            start = time.perf_counter()
            for i in range(per_round):
                value = values[i % len(values)]
                digests = single.hash(value) if hasher is None else hasher.candidates(value)
                assert await store.find_refresh_token(digests) is not None
            times[name].append((time.perf_counter() - start) / per_round * 1e6)
    await store.close()
    backend = database_url.split(":", 1)[0]
    print(f"{backend}: refresh-token lookup through the store, microseconds (median of rounds)")
    for name, samples in times.items():
        spread = f"{min(samples):6.1f}-{max(samples):6.1f}"
        print(f"{name:24s} {statistics.median(samples):7.1f}   (rounds {spread})")


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.keyring_lookup")
    parser.add_argument("--database", metavar="URL", help="default: a temporary SQLite file")
    parser.add_argument("--tokens", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--per-round", type=int, default=2000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="hubauth-keyring-") as tmp:
        url = args.database or f"sqlite:///{Path(tmp) / 'bench.db'}"
        asyncio.run(run(url, args.tokens, args.rounds, args.per_round))
    return 0


if __name__ == "__main__":
    sys.exit(main())
