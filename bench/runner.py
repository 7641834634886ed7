"""One benchmark run: for each database backend and worker count, hubauth's scenarios, the
ceiling and the peers (django-oauth-toolkit; oidc-provider on PostgreSQL), back to back;
then the scale check and the purge-under-load check.

Everything a ratio compares is measured in the same run, on the same machine, minutes apart.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench import peer, peer_oidc, seed_hubauth
from bench.databases import Databases
from bench.load import Measurement, Request, run_wrk
from bench.procs import Server, free_port
from bench.scenarios import (
    INTROSPECT_PATH,
    SCENARIOS,
    ceiling_request,
    hubauth_request,
    oidc_request,
    peer_request,
)

ROOT = Path(__file__).resolve().parent.parent
NOT_AVAILABLE = "endpoint not available (404)"
HUBAUTH = (sys.executable, "-m", "hubauth.cli")


def _git_head() -> str | None:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        )
    except OSError:
        return None
    return out.stdout.strip() or None


@dataclass(frozen=True)
class Mode:
    name: str
    tokens: int
    scale_sizes: tuple[int, ...]  # smaller stores measured against the main one
    seconds: float
    warmup: float
    workers: tuple[int, ...]
    purge_chunk: float
    codes_per_second: int = 3000  # per worker; codes pre-minted for the exchange scenario


MODES = {
    "default": Mode("default", 100_000, (1_000,), 6, 1, (1, 2), 1),
    "large": Mode("large", 1_000_000, (1_000, 100_000), 6, 1, (1, 2), 1),
    "quick": Mode("quick", 1_000, (100,), 1, 0, (1,), 1),
}


_T0 = time.monotonic()


def log(msg: str) -> None:
    print(f"[{time.monotonic() - _T0:5.0f}s] {msg}", file=sys.stderr, flush=True)


def _fmt(name: str, m: Measurement) -> str:
    cpu = f"{m.cpu_us_per_req:.0f} us/req" if m.cpu_us_per_req is not None else "-"
    err = f" ({m.errors} errors)" if m.errors else ""
    return (
        f"  {name:<28} {m.rps:>9.0f} req/s  p50 {m.p50_ms:6.2f} ms  p99 {m.p99_ms:7.2f} ms  "
        f"cpu {cpu}{err}"
    )


def _status(url: str, data: bytes | None = None) -> tuple[int, bytes]:
    req = urllib.request.Request(url, data=data, method="POST" if data is not None else "GET")
    if data is not None:
        req.add_header("Content-Type", "application/x-www-form-urlencoded")
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


@dataclass
class Run:
    mode: Mode
    workdir: Path
    backends: tuple[str, ...]
    skip: frozenset[str] = frozenset()
    #: Serve hubauth from another checkout's ``src`` (before/after comparisons); the seeding
    #: and the harness stay this checkout's, so the schema must be the same.
    hubauth_src: Path | None = None
    key: str = field(default_factory=lambda: secrets.token_hex(32))
    results: dict[str, Any] = field(default_factory=dict)
    oidc_skipped: str | None = None
    #: Settings for hubauth's server beyond the bench's own (``bench.profile --env``).
    server_env: dict[str, str] = field(default_factory=dict)

    # --- servers ------------------------------------------------------------------------------

    def _env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("HUBAUTH_")}
        env["HUBAUTH_SECRET_KEY"] = self.key
        env["PYTHONPATH"] = str(ROOT)
        if self.hubauth_src is not None:
            env["PYTHONPATH"] = f"{self.hubauth_src}{os.pathsep}{ROOT}"
        env.update(self.server_env)
        return env

    def hubauth(self, url: str, workers: int, tag: str) -> Server:
        port = free_port()
        argv = [*HUBAUTH, "serve", "--port", str(port)]
        argv += ["--workers", str(workers), "--database", url]
        return Server(
            "hubauth",
            argv,
            port=port,
            env=self._env(),
            log=self.workdir / f"hubauth-{tag}.log",
            probe="/oauth/v1/refresh-tokens/probe",
            cwd=self.workdir,
        )

    def ceiling(self, workers: int, bodies: Path, tag: str) -> Server:
        port = free_port()
        env = self._env()
        env["BENCH_CEILING_BODIES"] = str(bodies)
        argv = [sys.executable, "-m", "bench.ceiling_app", "--port", str(port)]
        argv += ["--workers", str(workers)]
        return Server(
            "ceiling",
            argv,
            port=port,
            env=env,
            log=self.workdir / f"ceiling-{tag}.log",
            probe="/ceiling/get/probe",
            cwd=ROOT,
        )

    # --- measuring ----------------------------------------------------------------------------

    def measure(self, server: Server, req: Request, label: str) -> Measurement:
        m = run_wrk(server.base, req, self.mode.seconds, server_pid=server.pid)
        log(_fmt(label, m))
        return m

    def warm(self, server: Server, req: Request) -> None:
        if self.mode.warmup > 0:
            run_wrk(server.base, req, self.mode.warmup, server_pid=None)

    def hubauth_scenarios(
        self,
        server: Server,
        s: seed_hubauth.Seeded,
        workers: int,
        wd: Path,
        ceiling: Server | None = None,
        peer_server: tuple[Server, peer.PeerSeed] | None = None,
        oidc_server: tuple[Server, peer_oidc.OidcSeed] | None = None,
    ) -> dict[str, Any]:
        """Each scenario against hubauth, then at once against the ceiling and the peers (when
        given): on a shared, noisy machine the numbers of a ratio are minutes apart at most and
        seconds apart at best."""
        dummy = self._dummy()
        out: dict[str, Any] = {"hubauth": {}, "ceiling": {}, "peer": {}, "oidc_provider": {}}
        self.warm(server, hubauth_request("refresh_lookup", s, None, dummy))
        if ceiling is not None:
            self.warm(ceiling, ceiling_request("get", s))
        if peer_server is not None:
            self.warm(peer_server[0], peer_request("introspect", peer_server[1], dummy))
        if oidc_server is not None:
            self.warm(oidc_server[0], oidc_request("introspect", oidc_server[1], dummy))
        for sc in SCENARIOS:
            if sc.name == "introspect" and not self.introspect_available(server):
                log(f"  {sc.name:<28} skipped: {NOT_AVAILABLE}")
                out["hubauth"][sc.name] = {"skipped": NOT_AVAILABLE}
                continue
            codes = None
            if sc.name == "code_exchange":
                n = max(1000, int(self.mode.seconds * self.mode.codes_per_second * workers))
                codes = seed_hubauth.run(
                    seed_hubauth.mint_codes(s, self.key.encode(), n, wd / f"codes-{workers}.txt")
                )
            req = hubauth_request(sc.name, s, codes, dummy)
            out["hubauth"][sc.name] = self.measure(server, req, sc.name).to_json()
            if ceiling is not None:
                creq = ceiling_request(sc.ceiling, s)
                out["ceiling"][sc.name] = self.measure(ceiling, creq, "  ceiling").to_json()
            if peer_server is not None and sc.peer:
                preq = peer_request(sc.name, peer_server[1], dummy)
                out["peer"][sc.name] = self.measure(peer_server[0], preq, "  peer").to_json()
            if oidc_server is not None and sc.peer:
                oreq = oidc_request(sc.name, oidc_server[1], dummy)
                m = self.measure(oidc_server[0], oreq, "  oidc-provider")
                out["oidc_provider"][sc.name] = m.to_json()
        return out

    def introspect_available(self, server: Server) -> bool:
        status, _ = _status(server.base + INTROSPECT_PATH, b"token=probe")
        return status != 404

    def _dummy(self) -> Path:
        path = self.workdir / "dummy.txt"
        path.write_text("x\n")
        return path

    # --- the run ------------------------------------------------------------------------------

    def run(self) -> dict[str, Any]:
        started = time.time()
        self.results = {
            "meta": {
                "mode": self.mode.name,
                "tokens": self.mode.tokens,
                "seconds_per_scenario": self.mode.seconds,
                "connections": 32,
                "wrk_threads": 2,
                "workers": list(self.mode.workers),
                "cpus": os.cpu_count(),
                "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(started)),
                "commit": _git_head(),
                "hubauth_src": str(self.hubauth_src) if self.hubauth_src else None,
                # other work on a shared machine shows here: ratios are the robust numbers
                "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
            },
            "backends": {},
        }
        if "peer" not in self.skip:
            peer.ensure_venv()
        self.oidc_skipped = self._oidc_skip_reason()
        self.results["meta"]["oidc_provider"] = self.oidc_skipped or "measured on postgresql"
        if self.oidc_skipped is None:
            peer_oidc.ensure_installed()
        else:
            log(f"oidc-provider: {self.oidc_skipped}")
        for backend in self.backends:
            dbs = Databases(backend, self.workdir / backend)
            try:
                self.results["backends"][backend] = self.run_backend(backend, dbs)
            finally:
                dbs.drop_all()
        self.results["meta"]["duration_s"] = round(time.time() - started, 1)
        self.results["meta"]["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
        return self.results

    def _oidc_skip_reason(self) -> str | None:
        """Why oidc-provider is left out of this run, or None. In CI a missing node is a
        failure, not a silent gap in the table."""
        if "peer" in self.skip or "oidc" in self.skip:
            return "skipped: --skip"
        if "postgresql" not in self.backends:
            return "not run: it is measured on PostgreSQL only"
        missing = peer_oidc.node_missing()
        if missing and os.environ.get("CI"):
            raise RuntimeError(f"oidc-provider cannot run: {missing} (CI must have node)")
        return f"not run: {missing}" if missing else None

    def run_backend(self, backend: str, dbs: Databases) -> dict[str, Any]:
        wd = self.workdir / backend
        wd.mkdir(parents=True, exist_ok=True)
        t0 = time.monotonic()
        main = seed_hubauth.run(
            seed_hubauth.seed(dbs.url("main"), self.key.encode(), self.mode.tokens, wd / "main")
        )
        took = time.monotonic() - t0
        log(f"{backend}: seeded hubauth with {self.mode.tokens} tokens in {took:.1f} s")
        peer_seed = None
        if "peer" not in self.skip:
            t0 = time.monotonic()
            peer_seed = peer.seed(dbs.url("dot"), self.mode.tokens, wd / "dot")
            log(f"{backend}: seeded django-oauth-toolkit in {time.monotonic() - t0:.1f} s")
        oidc_seed = None
        if self.oidc_skipped is None and backend == "postgresql":
            t0 = time.monotonic()
            oidc_seed = peer_oidc.seed(dbs.url("oidc"), self.mode.tokens, wd / "oidc")
            log(f"{backend}: seeded oidc-provider in {time.monotonic() - t0:.1f} s")
        out: dict[str, Any] = {"configs": {}}
        bodies = wd / "bodies.json"
        for workers in self.mode.workers:
            tag = f"{backend}-w{workers}"
            log(f"{backend}, {workers} worker(s): hubauth, ceiling (bare route), peers")
            with contextlib.ExitStack() as stack:
                server = stack.enter_context(self.hubauth(main.database_url, workers, tag))
                if not bodies.exists():
                    self.capture_bodies(server, main, bodies)
                ceiling = stack.enter_context(self.ceiling(workers, bodies, tag))
                peer_server = None
                if peer_seed is not None:
                    log_file = self.workdir / f"peer-{tag}.log"
                    peer_server = (
                        stack.enter_context(peer.start(peer_seed, workers, log_file)),
                        peer_seed,
                    )
                oidc_server = None
                if oidc_seed is not None:
                    log_file = self.workdir / f"oidc-{tag}.log"
                    oidc_server = (
                        stack.enter_context(peer_oidc.start(oidc_seed, workers, log_file)),
                        oidc_seed,
                    )
                config = self.hubauth_scenarios(
                    server, main, workers, wd, ceiling, peer_server, oidc_server
                )
            out["configs"][str(workers)] = config
        if "scale" not in self.skip:
            out["scale"] = self.scale(backend, dbs, wd, main)
        if "purge" not in self.skip:
            out["purge"] = self.purge(backend, main)
        return out

    def capture_bodies(self, server: Server, s: seed_hubauth.Seeded, path: Path) -> None:
        """One real response body of each shape, for the ceiling to return byte for byte."""
        token = s.refresh_file.read_text().split("\n", 1)[0]
        status, get_body = _status(f"{server.base}/oauth/v1/refresh-tokens/{token}")
        form = (
            f"grant_type=refresh_token&client_id={s.client_id}&client_secret={s.client_secret}"
            f"&refresh_token={token}"
        )
        status2, post_body = _status(f"{server.base}/oauth/v1/token", form.encode())
        if status != 200 or status2 != 200:
            raise RuntimeError(f"hubauth answered {status}/{status2} to the sample requests")
        path.write_text(json.dumps({"get": json.loads(get_body), "post": json.loads(post_body)}))

    def scale(
        self, backend: str, dbs: Databases, wd: Path, main: seed_hubauth.Seeded
    ) -> dict[str, Any]:
        """The same scenarios (first worker count) against every store size, with all the
        servers up and each scenario run on every size back to back, twice in mirrored order,
        so that a throughput drop is neither load from elsewhere nor drift during the check."""
        workers = self.mode.workers[0]
        stores = {self.mode.tokens: main}
        for size in self.mode.scale_sizes:
            stores[size] = seed_hubauth.run(
                seed_hubauth.seed(dbs.url(f"s{size}"), self.key.encode(), size, wd / f"s{size}")
            )
        sizes = sorted(stores)
        log(
            f"{backend}: scale check, {' / '.join(map(str, sizes))} stored tokens, "
            f"{workers} worker(s)"
        )
        dummy = self._dummy()
        by_size: dict[str, Any] = {str(size): {} for size in sizes}
        with contextlib.ExitStack() as stack:
            servers = {
                size: stack.enter_context(
                    self.hubauth(stores[size].database_url, workers, f"{backend}-s{size}")
                )
                for size in sizes
            }
            for size in sizes:
                self.warm(
                    servers[size], hubauth_request("refresh_lookup", stores[size], None, dummy)
                )
            for sc in SCENARIOS:
                runs: dict[int, list[Measurement]] = {size: [] for size in sizes}
                # Mirrored order (small → large, then large → small), averaged per size: a
                # machine that speeds up or slows down during the scenario biases no size.
                for turn, size in enumerate([*sizes, *reversed(sizes)]):
                    server, s = servers[size], stores[size]
                    if sc.name == "introspect" and not self.introspect_available(server):
                        by_size[str(size)][sc.name] = {"skipped": NOT_AVAILABLE}
                        continue
                    codes = None
                    if sc.name == "code_exchange":
                        n = max(1000, int(self.mode.seconds * self.mode.codes_per_second * workers))
                        codes = seed_hubauth.run(
                            seed_hubauth.mint_codes(
                                s, self.key.encode(), n, wd / f"codes-scale-{size}-{turn}.txt"
                            )
                        )
                    req = hubauth_request(sc.name, s, codes, dummy)
                    runs[size].append(self.measure(server, req, f"{sc.name} @ {size}"))
                for size, measured in runs.items():
                    if measured:
                        by_size[str(size)][sc.name] = _mean_of(measured)
        return {"workers": workers, "by_size": by_size, "order": "mirrored, mean of 2"}

    def purge(self, backend: str, s: seed_hubauth.Seeded) -> dict[str, Any]:
        """Access-token lookups under load while ``hubauth tokens purge-expired`` deletes as
        many expired rows as there are live tokens: p99 per 1-second window, with and without."""
        n_expired = self.mode.tokens
        seed_hubauth.run(seed_hubauth.add_expired_access_tokens(s, self.key.encode(), n_expired))
        log(f"{backend}: purge-expired of {n_expired} rows under access-token lookups")
        req = hubauth_request("access_lookup", s, None, self._dummy())
        chunk = self.mode.purge_chunk
        with self.hubauth(s.database_url, 1, f"{backend}-purge") as server:
            self.warm(server, req)
            baseline = [run_wrk(server.base, req, chunk, server_pid=server.pid) for _ in range(3)]
            purge = subprocess.Popen(
                [*HUBAUTH, "tokens", "purge-expired", "--json", "--database", s.database_url],
                env=self._env(),
                cwd=self.workdir,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
            )
            during: list[Measurement] = []
            while True:
                during.append(run_wrk(server.base, req, chunk, server_pid=server.pid))
                if purge.poll() is not None or len(during) >= 60:
                    break
            out, err = purge.communicate(timeout=600)
        if purge.returncode != 0:
            raise RuntimeError(f"purge-expired failed: {err.decode()}")
        report = json.loads(out)

        def summary(ms: list[Measurement]) -> dict[str, Any]:
            return {
                "windows": len(ms),
                "rps": round(sum(m.ok for m in ms) / sum(m.seconds for m in ms), 1),
                "p50_ms": max(m.p50_ms for m in ms),
                "p99_ms": max(m.p99_ms for m in ms),
                "max_ms": max(m.max_ms for m in ms),
                "errors": sum(m.errors for m in ms),
            }

        result = {
            "expired_rows": n_expired,
            "removed": report["removed"],
            "purge_seconds": report["seconds"],
            "without": summary(baseline),
            "during": summary(during),
        }
        log(
            f"  purge removed {report['removed']} rows in {report['seconds']} s; p99 "
            f"{result['without']['p99_ms']} ms without, {result['during']['p99_ms']} ms during"
        )
        return result


def _mean_of(runs: list[Measurement]) -> dict[str, Any]:
    """The first run's figures with req/s, latencies and CPU averaged over the runs."""
    out = runs[0].to_json()
    for key in ("rps", "p50_ms", "p99_ms", "cpu_us_per_req"):
        values = [getattr(r, key) for r in runs]
        if None not in values:  # CPU is None when the server's /proc was unreadable
            out[key] = round(sum(values) / len(values), 3)
    out["rps_runs"] = [r.rps for r in runs]
    return out
