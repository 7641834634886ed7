"""Profile hubauth's hot paths under load: ``python -m bench.profile [--backend B] SCENARIO``.

Seeds a store (10^5 tokens), starts ``hubauth serve`` with one worker, drives SCENARIO with
wrk and samples the worker with py-spy (``pip install py-spy``; needs ptrace, i.e. root or
``kernel.yama.ptrace_scope=0``). Prints the functions with the most samples, self and
cumulative, and leaves the collapsed stacks (flamegraph input) in the work directory.

``--native`` adds the C/Rust frames under the Python ones (py-spy unwinds the native stack; it
must then pause the process for each sample, so throughput under it is lower than served).
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

from bench import seed_hubauth
from bench.databases import BACKENDS, Databases
from bench.load import run_wrk
from bench.procs import tree_pids
from bench.runner import MODES, Run
from bench.scenarios import BY_NAME, ceiling_request, hubauth_request

#: Samples only while the worker holds the GIL: Python CPU time, not waiting.
PY_SPY = (
    str(Path(sys.executable).with_name("py-spy")),
    "record",
    "--format",
    "raw",
    "--rate",
    "500",
    "--gil",
)


def top(collapsed: Path, n: int = 25) -> str:
    own: collections.Counter[str] = collections.Counter()
    cum: collections.Counter[str] = collections.Counter()
    total = 0
    for line in collapsed.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        frames = stack.split(";")
        k = int(count)
        total += k
        own[frames[-1]] += k
        for f in set(frames):
            cum[f] += k
    out = [f"{total} samples", "", "self %  function"]
    out += [f"{100 * c / total:6.1f}  {f}" for f, c in own.most_common(n)]
    out += ["", "cumulative %  function"]
    out += [f"{100 * c / total:6.1f}  {f}" for f, c in cum.most_common(n)]
    return "\n".join(out)


def perf_top(data: Path, n: int = 40) -> str:
    """The worker's samples by thread, then by shared object and symbol."""
    report = ["perf", "report", "-i", str(data), "--stdio", "--no-children", "--percent-limit"]
    by_thread = subprocess.run(
        [*report, "1", "--sort", "comm,dso"], capture_output=True, text=True, check=False
    ).stdout
    by_symbol = subprocess.run(
        [*report, "0.5", "--sort", "dso,sym"], capture_output=True, text=True, check=False
    ).stdout
    keep = [line for line in by_thread.splitlines() if line and not line.startswith("#")]
    syms = [line for line in by_symbol.splitlines() if line and not line.startswith("#")]
    return "\n".join(["by thread and object:", *keep, "", "by symbol:", *syms[:n]])


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.profile")
    parser.add_argument("scenario", choices=sorted(BY_NAME))
    parser.add_argument("--backend", choices=BACKENDS, default="sqlite")
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--tokens", type=int, default=100_000)
    parser.add_argument("--native", action="store_true", help="include native frames")
    parser.add_argument(
        "--env",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a setting for the served hubauth, e.g. HUBAUTH_ACCEPT_LEGACY_HASHES=false",
    )
    parser.add_argument(
        "--ceiling",
        action="store_true",
        help="profile the ceiling (the bare route serving the scenario's body) instead",
    )
    parser.add_argument(
        "--perf",
        action="store_true",
        help="sample every thread of the worker with perf (cpu-clock) instead of py-spy: "
        "where all its CPU goes, kernel, granian and the GIL included",
    )
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="hubauth-profile-"))
    run = Run(MODES["default"], workdir, (args.backend,), skip=frozenset({"peer"}))
    run.server_env.update(item.split("=", 1) for item in args.env)
    dbs = Databases(args.backend, workdir)
    try:
        s = seed_hubauth.run(
            seed_hubauth.seed(dbs.url("main"), run.key.encode(), args.tokens, workdir)
        )
        codes = None
        if args.scenario == "code_exchange":
            codes = seed_hubauth.run(
                seed_hubauth.mint_codes(s, run.key.encode(), 60_000, workdir / "codes.txt")
            )
        req = hubauth_request(args.scenario, s, codes, run._dummy())
        with contextlib.ExitStack() as stack:
            server = stack.enter_context(run.hubauth(s.database_url, 1, "profile"))
            if args.ceiling:
                bodies = workdir / "bodies.json"
                run.capture_bodies(server, s, bodies)
                server = stack.enter_context(run.ceiling(1, bodies, "profile"))
                req = ceiling_request(BY_NAME[args.scenario].ceiling, s)
            worker = tree_pids(server.pid)[-1]
            out = workdir / "stacks.txt"
            seconds = str(int(args.seconds))
            if args.perf:
                out = workdir / "perf.data"
                argv = ["perf", "record", "-e", "cpu-clock", "-F", "999", "-p", str(worker)]
                argv += ["-o", str(out), "--", "sleep", seconds]
            else:
                # native unwinding needs the process paused per sample (py-spy refuses both)
                mode = "--native" if args.native else "--nonblocking"
                argv = [*PY_SPY, mode, "--pid", str(worker), "--output", str(out)]
                argv += ["--duration", seconds]
            spy = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            result: list[object] = []
            t = threading.Thread(
                target=lambda: result.append(
                    run_wrk(server.base, req, args.seconds, server_pid=server.pid)
                )
            )
            t.start()
            t.join()
            spy.wait()
        print(result[0])
        if args.perf:
            print(perf_top(out))
            print(f"\nperf data: {out} (perf report -i {out})")
        else:
            print(top(out))
            print(f"\ncollapsed stacks: {out}")
    finally:
        dbs.drop_all()
    return 0


if __name__ == "__main__":
    sys.exit(main())
