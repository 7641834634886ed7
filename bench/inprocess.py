"""Per-request cost of each layer, in process: ``python -m bench.inprocess [--requests N]``.

Calls the ASGI app directly (no server, no sockets, no load generator) with a refresh-token
lookup, an access-token lookup and a refresh grant, N times each (a quarter as many grants),
on a migrated SQLite file (or ``--database URL``), and prints microseconds per request for
the app as shipped and with each per-request layer switched off (the access log, the rate
limiter), then as shipped again (the spread between the two "shipped" rows is this run's
noise), and a bare Starlette route returning the same bodies: the in-process counterpart of
the served ceiling. Ratios are against that bare route, measured in the same run.
``--profile [CONFIGURATION]`` adds a cProfile of the refresh-token lookups (``--grant``: of
the refresh grants).

Grants here are one at a time, so their figure is mostly the wait for the database (the
SQLite writer thread, a PostgreSQL round trip), not CPU. This is the tool for "what does one
layer cost?"; ``python -m bench`` is the one for throughput and latency under load.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import logging
import pstats
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import orjson

from bench.ceiling_app import bare_app
from hubauth.config import Settings, load_settings
from hubauth.core import authorization
from hubauth.core.clock import SystemClock
from hubauth.core.context import Context
from hubauth.core.models import IssuedTokens
from hubauth.core.token_endpoint import token_request
from hubauth.core.tokens import TokenHasher
from hubauth.logs import configure_logging
from hubauth.store import migrate
from hubauth.store.sql import SqlStore
from hubauth.testing.seeding import SeededInstall, seed_install
from hubauth.web.app import create_app

ASGIApp = Callable[[dict[str, Any], Any, Any], Awaitable[None]]
REDIRECT = "https://bench.example.test/callback"
LOOKUP_ROUTE = "/oauth/v1/refresh-tokens/{token:path}"


def _scope(method: str, path: str, body: bytes) -> dict[str, Any]:
    headers = [(b"host", b"bench"), (b"user-agent", b"bench")]
    if body:
        headers += [
            (b"content-type", b"application/x-www-form-urlencoded"),
            (b"content-length", str(len(body)).encode()),
        ]
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 40000),
        "server": ("127.0.0.1", 8080),
    }


async def _call(app: ASGIApp, method: str, path: str, body: bytes = b"") -> int:
    status = 0

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    await app(_scope(method, path, body), receive, send)
    return status


async def _time(app: ASGIApp, method: str, path: str, body: bytes, n: int) -> float:
    for _ in range(min(n, 200)):  # warm caches and compiled paths
        assert await _call(app, method, path, body) == 200
    started = time.perf_counter()
    for _ in range(n):
        await _call(app, method, path, body)
    return (time.perf_counter() - started) / n * 1e6


async def install_and_redeem(
    store: SqlStore, settings: Settings
) -> tuple[SeededInstall, IssuedTokens]:
    """An app installed on a hub and its code redeemed: the tokens the benchmarks present."""
    ctx = Context(
        store=store,
        clock=SystemClock(),
        hasher=TokenHasher(settings.keyring()),
        policy=settings.policy(),
    )
    seeded = await seed_install(ctx, redirect_uris=[REDIRECT], scopes=["oauth"])
    code = await authorization.approve_directly(
        ctx,
        client_id=seeded.client_id,
        hub_id=seeded.hub_id,
        user_id=seeded.user_id,
        redirect_uri=REDIRECT,
        scope="oauth",
        optional_scope="",
        accepted_optional=(),
        code_challenge=None,
    )
    issued = await token_request(
        ctx,
        {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT,
            "client_id": seeded.client_id,
            "client_secret": seeded.client_secret,
        },
    )
    return seeded, issued


async def run(
    n: int, profile: str | None, workdir: Path, url: str | None, profile_grant: bool = False
) -> None:
    url = url or f"sqlite:///{workdir / 'inprocess.db'}"
    log_path = workdir / "server.log"
    store = SqlStore.from_url(url)
    await migrate.upgrade(store.engine)
    base = {"database_url": url, "secret_key": "k" * 64}
    settings = load_settings(**base)
    seeded, issued = await install_and_redeem(store, settings)
    refresh = issued.refresh_token
    lookup_path = f"/oauth/v1/refresh-tokens/{refresh}"
    access_path = f"/oauth/v1/access-tokens/{issued.access_token}"
    grant_body = (
        f"grant_type=refresh_token&refresh_token={refresh}"
        f"&client_id={seeded.client_id}&client_secret={seeded.client_secret}"
    ).encode()

    # The server's logging as `hubauth serve` sets it up, into a file instead of stderr.
    configure_logging("info", "json")
    handler = logging.getLogger("hubauth").handlers[0]
    assert isinstance(handler, logging.StreamHandler)
    handler.setStream(log_path.open("a"))  # type: ignore[arg-type]

    variants = {
        "shipped": {},
        "no access log": {"log_level": "warning"},
        "no rate limit": {"rate_limit_enabled": False},
        "neither": {"log_level": "warning", "rate_limit_enabled": False},
        "shipped (again)": {},
    }
    rows: list[tuple[str, float, float, float]] = []
    get_body = post_body = b"{}"
    for name, overrides in variants.items():
        s = load_settings(**base, **overrides)
        logging.getLogger("hubauth").setLevel(s.log_level.upper())
        app = create_app(s, store=store)
        async with app.router.lifespan_context(app):
            if name == "shipped":
                get_body, post_body = await _bodies(app, lookup_path, grant_body)
            rows.append(
                (
                    name,
                    await _time(app, "GET", lookup_path, b"", n),
                    await _time(app, "GET", access_path, b"", n),
                    await _time(app, "POST", "/oauth/v1/token", grant_body, n // 4),
                )
            )
            if profile == name:
                if profile_grant:
                    await _profile(app, "POST", "/oauth/v1/token", grant_body, n // 4)
                else:
                    await _profile(app, "GET", lookup_path, b"", n)
    bare = bare_app(get_body, post_body, LOOKUP_ROUTE, "/oauth/v1/token")
    bare_lookup = await _time(bare, "GET", lookup_path, b"", n)
    rows.append(
        (
            "bare route",
            bare_lookup,
            bare_lookup,
            await _time(bare, "POST", "/oauth/v1/token", grant_body, n // 4),
        )
    )
    await store.close()
    _, *bare_row = rows[-1]
    columns = ("refresh lookup", "access lookup", "refresh grant")
    print(f"{url.split(':', 1)[0]}, microseconds per request (x the bare route)")
    print(f"{'configuration':<16}" + "".join(f"{c:>22}" for c in columns))
    for name, *cells in rows:
        print(
            f"{name:<16}"
            + "".join(f"{v:13.1f} ({v / b:5.2f})" for v, b in zip(cells, bare_row, strict=True))
        )


async def _bodies(app: ASGIApp, lookup_path: str, grant_body: bytes) -> tuple[bytes, bytes]:
    captured: list[bytes] = []

    async def capture(method: str, path: str, body: bytes) -> None:
        chunks: list[bytes] = []

        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": body, "more_body": False}

        async def send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        await app(_scope(method, path, body), receive, send)
        captured.append(b"".join(chunks))

    await capture("GET", lookup_path, b"")
    await capture("POST", "/oauth/v1/token", grant_body)
    orjson.loads(captured[0])
    return captured[0], captured[1]


async def _profile(app: ASGIApp, method: str, path: str, body: bytes, n: int) -> None:
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(n):
        await _call(app, method, path, body)
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(30)
    print(out.getvalue())


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.inprocess")
    parser.add_argument("--requests", type=int, default=5000)
    parser.add_argument(
        "--profile",
        nargs="?",
        const="shipped",
        metavar="CONFIGURATION",
        help="cProfile the lookups of one configuration (default: shipped)",
    )
    parser.add_argument(
        "--grant", action="store_true", help="profile the refresh grants instead of the lookups"
    )
    parser.add_argument(
        "--database",
        metavar="URL",
        help="a migrated-or-empty database to use (default: a temporary SQLite file); e.g. "
        "postgresql://postgres@127.0.0.1/test",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="hubauth-inprocess-") as tmp:
        asyncio.run(run(args.requests, args.profile, Path(tmp), args.database, args.grant))
    return 0


if __name__ == "__main__":
    sys.exit(main())
