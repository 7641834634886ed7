"""The benchmark harness end to end in its quick mode (``python -m bench --quick``).

It checks the shape of the results only: every scenario and metric is present for both
databases, hubauth, the ceiling and the peers (oidc-provider on PostgreSQL, when node is
installed; CI must have it). Throughput numbers are never asserted (a shared
2-core machine makes them noise here); docs/performance.md is where they are read.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from bench.peer_oidc import node_missing
from bench.runner import NOT_AVAILABLE
from bench.scenarios import SCENARIOS

ROOT = Path(__file__).resolve().parents[2]
METRICS = ("requests", "ok", "errors", "rps", "p50_ms", "p90_ms", "p99_ms", "max_ms")


def _check_measurement(m: dict[str, object], where: str) -> None:
    for metric in (*METRICS, "cpu_us_per_req"):
        assert metric in m, f"{where}: no {metric}"
    assert m["ok"] > 0, f"{where}: no successful response"  # type: ignore[operator]


PEER_SCENARIOS = [sc.name for sc in SCENARIOS if sc.peer]


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], str, str]:
    """One quick run shared by the tests below: (results, stdout, stderr)."""
    out = tmp_path_factory.mktemp("bench") / "quick.json"
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
    return json.loads(out.read_text()), proc.stdout, proc.stderr


@pytest.mark.slow
@pytest.mark.postgres
def test_quick_run_reports_every_scenario_and_metric(
    quick_run: tuple[dict[str, Any], str, str],
) -> None:
    results, stdout, stderr = quick_run
    assert set(results["backends"]) == {"sqlite", "postgresql"}
    for backend, data in results["backends"].items():
        for workers, config in data["configs"].items():
            where = f"{backend} w{workers}"
            for sc in SCENARIOS:
                m = config["hubauth"][sc.name]
                if m.get("skipped"):
                    # only the v3 route may be missing, and the run says so
                    assert sc.name == "introspect" and m["skipped"] == NOT_AVAILABLE
                    assert f"{sc.name:<28} skipped: {NOT_AVAILABLE}" in stderr
                    continue
                _check_measurement(m, f"{where} {sc.name}")
                _check_measurement(config["ceiling"][sc.name], f"{where} ceiling {sc.name}")
                assert set(config["ratios"][sc.name]) == {
                    "vs_ceiling",
                    "vs_peer",
                    "vs_oidc_provider",
                }
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
    assert "Targets:" in stdout


@pytest.mark.slow
@pytest.mark.postgres
def test_quick_run_measures_oidc_provider_on_postgresql_beside_django_oauth_toolkit(
    quick_run: tuple[dict[str, Any], str, str],
) -> None:
    results, stdout, _ = quick_run
    missing = node_missing()
    if missing:
        # In CI the run itself fails without node (bench/runner.py), so this is local only.
        assert results["meta"]["oidc_provider"] == f"not run: {missing}"
        pytest.skip(f"oidc-provider needs node and npm: {missing}")
    assert results["meta"]["oidc_provider"] == "measured on postgresql"
    for workers, config in results["backends"]["postgresql"]["configs"].items():
        assert set(config["oidc_provider"]) == set(PEER_SCENARIOS)
        for name in PEER_SCENARIOS:
            where = f"postgresql w{workers} oidc-provider {name}"
            _check_measurement(config["oidc_provider"][name], where)
            assert config["oidc_provider"][name]["errors"] == 0, where
            assert config["ratios"][name]["vs_oidc_provider"] is not None, where
    # it has no SQLite adapter here: nothing is reported for it there
    for config in results["backends"]["sqlite"]["configs"].values():
        assert config["oidc_provider"] == {}
    assert " oidc introspect " in stdout  # its rows are in the printed table
