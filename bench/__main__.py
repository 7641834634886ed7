"""``python -m bench``: the whole benchmark in one run (see docs/performance.md).

python -m bench            # default: 10^5 tokens, 1 and 2 workers, ~10 minutes
python -m bench --large    # 10^6 tokens (scale check 10^3 / 10^5 / 10^6)
python -m bench --quick    # smoke run: 10^3 tokens, 1-second scenarios, 1 worker
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from bench import report
from bench.databases import BACKENDS
from bench.runner import MODES, Run

RESULTS = Path(__file__).resolve().parent / "results"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--quick", action="store_true", help="small smoke run (CI)")
    size.add_argument("--large", action="store_true", help="10^6 stored tokens")
    parser.add_argument("--backend", choices=BACKENDS, action="append", help="default: both")
    parser.add_argument("--workers", type=int, action="append", help="default: 1 and 2")
    parser.add_argument(
        "--skip",
        choices=("peer", "oidc", "scale", "purge"),
        action="append",
        default=[],
        help="leave a part out (peer: both peers; oidc: oidc-provider only; development runs)",
    )
    parser.add_argument("--seconds", type=float, help="override the time per scenario")
    parser.add_argument(
        "--output", type=Path, help="results JSON (default bench/results/latest.json)"
    )
    parser.add_argument(
        "--hubauth-src",
        type=Path,
        help="serve hubauth from another checkout's src/ (e.g. `git archive main src`)",
    )
    parser.add_argument("--keep-workdir", action="store_true", help="keep databases and logs")
    args = parser.parse_args(argv)

    mode = MODES["quick" if args.quick else "large" if args.large else "default"]
    if args.seconds:
        mode = replace(mode, seconds=args.seconds)
    if args.workers:
        mode = replace(mode, workers=tuple(args.workers))
    output = args.output or RESULTS / (
        "latest.json" if mode.name == "default" else f"{mode.name}.json"
    )
    workdir = Path(tempfile.mkdtemp(prefix="hubauth-bench-"))
    backends = tuple(args.backend or BACKENDS)
    print(f"bench: {mode.name} run, work directory {workdir}", file=sys.stderr)
    started = time.monotonic()
    try:
        run = Run(
            mode,
            workdir,
            backends,
            skip=frozenset(args.skip),
            hubauth_src=args.hubauth_src.resolve() if args.hubauth_src else None,
        )
        results = run.run()
    finally:
        if not args.keep_workdir:
            shutil.rmtree(workdir, ignore_errors=True)
    report.add_ratios(results)
    report.check_targets(results)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(results, indent=1) + "\n")
    print(report.table(results))
    png = output.with_suffix(".png")
    if report.chart(results, png):
        print(f"\nchart: {png}")
    else:
        print("\nchart skipped: matplotlib is not installed in this environment")
    print(f"results: {output} ({time.monotonic() - started:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
