"""The ceiling: bare Starlette routes that return a fixed JSON body, served by granian with the
same settings and worker count as ``hubauth serve``.

No database, no middleware, no parsing beyond draining the request body: whatever hubauth
spends above this is its own work. The bodies are real hubauth responses captured by the
harness (``BENCH_CEILING_BODIES`` names a JSON file ``{"get": {...}, "post": {...}}``), so the
bytes on the wire match.

Run by the harness as ``python -m bench.ceiling_app --port P --workers N``.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
MEDIA_TYPE = "application/json;charset=utf-8"


def bare_app(
    get_body: bytes,
    post_body: bytes,
    get_path: str = "/ceiling/get/{token:path}",
    post_path: str = "/ceiling/post",
) -> Starlette:
    """A lookup route and a form route returning fixed bodies (``bench.inprocess`` serves them
    at hubauth's own paths)."""

    async def lookup(request: Request) -> Response:
        return Response(get_body, media_type=MEDIA_TYPE, headers=NO_STORE)

    async def form(request: Request) -> Response:
        await request.body()
        return Response(post_body, media_type=MEDIA_TYPE, headers=NO_STORE)

    return Starlette(
        routes=[
            Route(get_path, lookup, methods=["GET"]),
            Route(post_path, form, methods=["POST"]),
        ]
    )


def build_app() -> Starlette:
    bodies = orjson.loads(Path(os.environ["BENCH_CEILING_BODIES"]).read_bytes())
    return bare_app(orjson.dumps(bodies["get"]), orjson.dumps(bodies["post"]))


def main() -> None:
    from granian.constants import Interfaces
    from granian.server import Server

    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    # The same server options as `hubauth serve` (src/hubauth/cli/serve.py).
    Server(
        "bench.ceiling_app:build_app",
        address="127.0.0.1",
        port=args.port,
        interface=Interfaces.ASGI,
        workers=args.workers,
        factory=True,
        log_access=False,
    ).serve()


if __name__ == "__main__":
    main()
