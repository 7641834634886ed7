"""Per-request cost of developer mode, in process: ``python -m bench.devplane [--requests N]``.

Calls the ASGI app directly (as :mod:`bench.inprocess` does) with an access-token lookup, a
refresh-token lookup and a refresh grant, N times each (a quarter as many grants), on a migrated
SQLite file (or ``--database URL``), with ``dev`` off and on, alternating for ``--rounds``
rounds, and prints the median of each: dev on against dev off, measured in the same run.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import statistics
import sys
import tempfile
import time
from pathlib import Path

from bench.inprocess import ASGIApp, _call, install_and_redeem
from hubauth.config import load_settings
from hubauth.store import migrate
from hubauth.store.sql import SqlStore
from hubauth.web.app import create_app


async def _time(app: ASGIApp, method: str, path: str, body: bytes, n: int) -> float:
    """Microseconds per request, after a warm-up; every answer must be a 200 (a faster error
    would flatter the figure)."""
    for _ in range(min(n, 100)):
        assert await _call(app, method, path, body) == 200
    started = time.perf_counter()
    for _ in range(n):
        status = await _call(app, method, path, body)
        assert status == 200, f"{method} {path}: {status}"
    return (time.perf_counter() - started) / n * 1e6


async def run(n: int, rounds: int, workdir: Path, url: str | None) -> None:
    url = url or f"sqlite:///{workdir / 'devplane.db'}"
    store = SqlStore.from_url(url)
    await migrate.upgrade(store.engine)
    base = {"database_url": url, "secret_key": "k" * 64, "log_level": "warning"}
    settings = load_settings(**base)
    seeded, issued = await install_and_redeem(store, settings)
    refresh = issued.refresh_token
    grant_body = (
        f"grant_type=refresh_token&refresh_token={refresh}"
        f"&client_id={seeded.client_id}&client_secret={seeded.client_secret}"
    ).encode()
    logging.getLogger("hubauth").setLevel("WARNING")
    access = f"/oauth/v1/access-tokens/{issued.access_token}"
    lookup = f"/oauth/v1/refresh-tokens/{refresh}"
    samples: dict[str, list[tuple[float, float, float]]] = {"dev off": [], "dev on": []}
    for _ in range(rounds):  # interleaved, so that a busy spell of the machine hits both
        for name, dev in (("dev off", False), ("dev on", True)):
            app = create_app(load_settings(**base, dev=dev), store=store)
            async with app.router.lifespan_context(app):
                samples[name].append(
                    (
                        await _time(app, "GET", access, b"", n),
                        await _time(app, "GET", lookup, b"", n),
                        await _time(app, "POST", "/oauth/v1/token", grant_body, n // 4),
                    )
                )
    await store.close()
    medians = {
        name: [statistics.median(column) for column in zip(*rows, strict=True)]
        for name, rows in samples.items()
    }
    off = medians["dev off"]
    columns = ("access lookup", "refresh lookup", "refresh grant")
    print(
        f"{url.split(':', 1)[0]}, microseconds per request, median of {rounds} rounds (x dev off)"
    )
    print(f"{'configuration':<16}" + "".join(f"{c:>22}" for c in columns))
    for name, cells in medians.items():
        print(
            f"{name:<16}"
            + "".join(f"{v:13.1f} ({v / b:5.2f})" for v, b in zip(cells, off, strict=True))
        )


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.devplane")
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--database", metavar="URL", help="default: a temporary SQLite file")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="hubauth-devplane-") as tmp:
        asyncio.run(run(args.requests, args.rounds, Path(tmp), args.database))
    return 0


if __name__ == "__main__":
    sys.exit(main())
