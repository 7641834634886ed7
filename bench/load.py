"""Drive a server with wrk (a separate process) at fixed concurrency for a fixed time and
turn its summary into a :class:`Measurement` (throughput, latency, CPU per request)."""

from __future__ import annotations

import json
import subprocess
from dataclasses import asdict, dataclass
from pathlib import Path

from bench.procs import context_switches, cpu_seconds

LUA = Path(__file__).resolve().parent / "lua" / "scenario.lua"
WRK = "/usr/bin/wrk"
THREADS = 2
CONNECTIONS = 32


@dataclass(frozen=True)
class Request:
    """What each request of a scenario looks like; ``{t}`` is replaced by a token."""

    method: str
    path: str
    body: str | None
    tokens: Path
    walk: bool = False


@dataclass
class Measurement:
    requests: int
    ok: int
    errors: int
    seconds: float
    rps: float
    """Successful (2xx) responses per second: a fast error does not count as throughput."""
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    cpu_us_per_req: float | None
    #: Context switches of the server's threads per request (None: not measured).
    switches_per_req: float | None = None

    def to_json(self) -> dict[str, object]:
        return asdict(self)


def run_wrk(
    base_url: str,
    req: Request,
    seconds: float,
    *,
    server_pid: int | None,
    connections: int = CONNECTIONS,
) -> Measurement:
    argv = [
        WRK,
        f"-t{THREADS}",
        f"-c{connections}",
        f"-d{max(1, round(seconds))}s",
        "--timeout",
        "10s",
        "-s",
        str(LUA),
        base_url,
        "--",
        req.method,
        req.path,
        req.body if req.body is not None else "-",
        str(req.tokens),
        "walk" if req.walk else "cycle",
        str(THREADS),
    ]
    cpu_before = cpu_seconds(server_pid) if server_pid else None
    switches_before = context_switches(server_pid) if server_pid else None
    out = subprocess.run(argv, capture_output=True, text=True, timeout=seconds + 60)
    cpu_after = cpu_seconds(server_pid) if server_pid else None
    switches_after = context_switches(server_pid) if server_pid else None
    line = next((ln for ln in out.stdout.splitlines() if ln.startswith("BENCHJSON ")), None)
    if out.returncode != 0 or line is None:
        raise RuntimeError(f"wrk failed ({out.returncode}): {out.stderr or out.stdout}")
    s = json.loads(line[len("BENCHJSON ") :])
    errors = (
        s["errors_status"]
        + s["errors_connect"]
        + s["errors_read"]
        + s["errors_write"]
        + s["errors_timeout"]
    )
    wall = s["duration_us"] / 1e6
    ok = max(0, s["requests"] - s["errors_status"])
    cpu = None
    if cpu_before is not None and cpu_after is not None and s["requests"]:
        cpu = round((cpu_after - cpu_before) / s["requests"] * 1e6, 1)
    switches = None
    if switches_before is not None and switches_after is not None and s["requests"]:
        switches = round((switches_after - switches_before) / s["requests"], 2)
    return Measurement(
        requests=s["requests"],
        ok=ok,
        errors=errors,
        seconds=round(wall, 3),
        rps=round(ok / wall, 1) if wall else 0.0,
        p50_ms=round(s["p50_us"] / 1000, 3),
        p90_ms=round(s["p90_us"] / 1000, 3),
        p99_ms=round(s["p99_us"] / 1000, 3),
        max_ms=round(s["max_us"] / 1000, 3),
        cpu_us_per_req=cpu,
        switches_per_req=switches,
    )
