"""What the server interface itself costs: ``python -m bench.interfaces [--rounds N]``.

Serves one fixed JSON body (the size of a refresh-token metadata answer) under granian, one
worker, the same options as ``hubauth serve``, three ways:

* ``starlette``: a bare Starlette route (the bench's ceiling, ``bench/ceiling_app.py``);
* ``asgi``: a plain ASGI callable, no framework: the floor of what any ASGI route can cost,
  so the distance between it and ``starlette`` is what a framework's routing, request and
  response objects take (what ``web/hot_routes.py`` avoids for hubauth's hottest routes);
* ``rsgi``: granian's own RSGI interface, no framework (issue 19 asked whether it would
  measurably beat ASGI for the hot routes).

Each is loaded with wrk (``-t2 -c32``) in turn, ``--rounds`` times in alternating order, and
the throughput and CPU per request are printed as ratios to ``starlette`` measured in the same
round (the machine's noise moves all three alike within a round).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
from pathlib import Path

import orjson

from bench.load import Request, run_wrk
from bench.procs import Server, free_port

BODY = orjson.dumps(
    {
        "token": "x" * 36,
        "user": "user@example.com",
        "hub_domain": "demo.example.com",
        "scopes": ["oauth", "crm.objects.contacts.read"],
        "hub_id": 12345678,
        "app_id": 1234567,
        "client_id": "c" * 36,
        "user_id": 7654321,
        "token_type": "refresh",
    }
)
HEADERS = [
    (b"content-type", b"application/json;charset=utf-8"),
    (b"cache-control", b"no-store"),
    (b"pragma", b"no-cache"),
    (b"content-length", str(len(BODY)).encode()),
]
KINDS = ("starlette", "asgi", "rsgi")


def starlette_app() -> object:
    from bench.ceiling_app import bare_app

    return bare_app(BODY, BODY)


async def plain_asgi(scope: dict, receive: object, send: object) -> None:  # type: ignore[type-arg]
    if scope["type"] == "lifespan":
        while True:
            message = await receive()  # type: ignore[operator]
            done = message["type"] == "lifespan.shutdown"
            kind = "shutdown" if done else "startup"
            await send({"type": f"lifespan.{kind}.complete"})  # type: ignore[operator]
            if done:
                return
    await send({"type": "http.response.start", "status": 200, "headers": HEADERS})  # type: ignore[operator]
    await send({"type": "http.response.body", "body": BODY})  # type: ignore[operator]


class PlainRsgi:
    headers = [(k.decode(), v.decode()) for k, v in HEADERS]

    async def __rsgi__(self, scope: object, protocol: object) -> None:
        protocol.response_bytes(200, self.headers, BODY)  # type: ignore[attr-defined]


def serve(kind: str, port: int) -> None:
    from granian.constants import Interfaces
    from granian.server import Server as Granian

    target = {
        "starlette": "bench.interfaces:starlette_app",
        "asgi": "bench.interfaces:plain_asgi",
        "rsgi": "bench.interfaces:PlainRsgi",
    }[kind]
    Granian(
        target,
        address="127.0.0.1",
        port=port,
        interface=Interfaces.RSGI if kind == "rsgi" else Interfaces.ASGI,
        workers=1,
        factory=kind in ("starlette", "rsgi"),
        log_access=False,
    ).serve()


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.interfaces")
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--serve", choices=KINDS, help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.port)
        return 0
    workdir = Path(tempfile.mkdtemp(prefix="hubauth-interfaces-"))
    tokens = workdir / "tokens.txt"
    tokens.write_text("t\n")
    request = Request("GET", "/ceiling/get/{t}", None, tokens)
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    ratios: dict[str, list[tuple[float, float]]] = {kind: [] for kind in KINDS}
    for round_no in range(args.rounds):
        order = KINDS if round_no % 2 == 0 else tuple(reversed(KINDS))
        found = {}
        for kind in order:
            port = free_port()
            argv = [sys.executable, "-m", "bench.interfaces", "--serve", kind, "--port", str(port)]
            log = workdir / f"{kind}.log"
            with Server(kind, argv, port=port, env=env, log=log, probe="/ceiling/get/x") as srv:
                run_wrk(srv.base, request, 1, server_pid=srv.pid)  # warm-up
                found[kind] = run_wrk(srv.base, request, args.seconds, server_pid=srv.pid)
        base = found["starlette"]
        for kind in KINDS:
            m = found[kind]
            cpu = (m.cpu_us_per_req or 0) / (base.cpu_us_per_req or 1)
            ratios[kind].append((m.rps / base.rps, cpu))
            print(
                f"round {round_no + 1} {kind:<10} {m.rps:9.0f} req/s  "
                f"{m.cpu_us_per_req or 0:6.1f} us CPU/req  "
                f"{m.switches_per_req or 0:5.2f} context switches/req",
                file=sys.stderr,
            )
    print(f"{'interface':<10} {'req/s vs starlette':>20} {'CPU/req vs starlette':>22}")
    for kind in KINDS:
        rps = statistics.median(r for r, _ in ratios[kind])
        cpu = statistics.median(c for _, c in ratios[kind])
        print(f"{kind:<10} {rps:20.2f} {cpu:22.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
