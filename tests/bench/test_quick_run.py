"""The benchmark harness end to end in its quick mode (``python -m bench --quick``).

It checks the shape of the results only: every scenario and metric is present for both
databases, hubauth, the ceiling and the peer. Throughput numbers are never asserted (a shared
2-core machine makes them noise here); docs/performance.md is where they are read.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from bench.runner import NOT_AVAILABLE
from bench.scenarios import SCENARIOS

ROOT = Path(__file__).resolve().parents[2]
METRICS = ("requests", "ok", "errors", "rps", "p50_ms", "p90_ms", "p99_ms", "max_ms")


def _check_measurement(m: dict[str, object], where: str) -> None:
    for metric in (*METRICS, "cpu_us_per_req"):
        assert metric in m, f"{where}: no {metric}"
    assert m["ok"] > 0, f"{where}: no successful response"  # type: ignore[operator]


@pytest.mark.slow
@pytest.mark.postgres
def test_quick_run_reports_every_scenario_and_metric(tmp_path: Path) -> None:
    out = tmp_path / "quick.json"
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUBAUTH_")}
    # A generous bound against a hang, not a timing assertion.
    proc = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "--output", str(out)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    results = json.loads(out.read_text())
    assert set(results["backends"]) == {"sqlite", "postgresql"}
    for backend, data in results["backends"].items():
        for workers, config in data["configs"].items():
            where = f"{backend} w{workers}"
            for sc in SCENARIOS:
                m = config["hubauth"][sc.name]
                if m.get("skipped"):
                    # only the v3 route may be missing, and the run says so
                    assert sc.name == "introspect" and m["skipped"] == NOT_AVAILABLE
                    assert f"{sc.name:<28} skipped: {NOT_AVAILABLE}" in proc.stderr
                    continue
                _check_measurement(m, f"{where} {sc.name}")
                _check_measurement(config["ceiling"][sc.name], f"{where} ceiling {sc.name}")
                assert set(config["ratios"][sc.name]) == {"vs_ceiling", "vs_peer"}
                if sc.peer:
                    _check_measurement(config["peer"][sc.name], f"{where} peer {sc.name}")
        by_size = data["scale"]["by_size"]
        assert len(by_size) == 2
        for size, scenarios in by_size.items():
            for sc in SCENARIOS:
                if not scenarios[sc.name].get("skipped"):
                    _check_measurement(scenarios[sc.name], f"{backend} {size} tokens {sc.name}")
        purge = data["purge"]
        assert purge["removed"] >= purge["expired_rows"]
        for window in ("without", "during"):
            assert {"rps", "p50_ms", "p99_ms", "max_ms", "errors"} <= set(purge[window])
    assert results["targets"], "no target was checked"
    assert "Targets:" in proc.stdout
