"""Ratios, target checks, the printed table and the chart, from a run's raw results."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bench.scenarios import BY_NAME, SCENARIOS

#: The brief's targets (docs/performance.md): ratios measured in the same run.
LOOKUP_VS_CEILING = 0.5
LOOKUP_VS_PEER = 5.0
GRANT_VS_PEER = 3.0
GRANT_P99_MS = 50.0
SCALE_MAX_DROP = 0.15


def _ratio(a: float | None, b: float | None) -> float | None:
    if not a or not b:
        return None
    return round(a / b, 2)


def add_ratios(results: dict[str, Any]) -> None:
    """hubauth/ceiling and hubauth/peer per scenario, and the scale drop, in place."""
    for backend in results["backends"].values():
        for config in backend["configs"].values():
            ratios: dict[str, Any] = {}
            for name, m in config["hubauth"].items():
                if "skipped" in m:
                    continue
                sc = BY_NAME[name]
                ceiling = config["ceiling"].get(name, {}).get("rps")
                peer = config["peer"].get(name, {}).get("rps")
                ratios[name] = {
                    "vs_ceiling": _ratio(m["rps"], ceiling),
                    "vs_peer": _ratio(m["rps"], peer),
                }
            config["ratios"] = ratios
        if "scale" not in backend:
            continue
        by_size = backend["scale"]["by_size"]
        sizes = sorted(by_size, key=int)
        drops: dict[str, Any] = {}
        for sc in SCENARIOS:
            rps = [by_size[s].get(sc.name, {}).get("rps") for s in sizes]
            if all(rps):
                drops[sc.name] = round(1 - rps[-1] / rps[0], 3)
        backend["scale"]["drop_smallest_to_largest"] = drops


def check_targets(results: dict[str, Any]) -> list[dict[str, Any]]:
    checks: list[dict[str, Any]] = []

    def check(what: str, value: float | None, target: float, higher_is_better: bool) -> None:
        ok = None if value is None else (value >= target if higher_is_better else value <= target)
        checks.append({"check": what, "value": value, "target": target, "met": ok})

    for bname, backend in results["backends"].items():
        for workers, config in backend["configs"].items():
            where = f"{bname} w{workers}"
            for name, r in config["ratios"].items():
                sc = BY_NAME[name]
                if sc.kind == "lookup":
                    check(f"{where} {name} vs ceiling", r["vs_ceiling"], LOOKUP_VS_CEILING, True)
                    if sc.peer:
                        check(f"{where} {name} vs peer", r["vs_peer"], LOOKUP_VS_PEER, True)
                elif name in ("refresh_grant", "client_credentials"):
                    check(f"{where} {name} vs peer", r["vs_peer"], GRANT_VS_PEER, True)
                    p99 = config["hubauth"][name]["p99_ms"]
                    check(f"{where} {name} p99 ms", p99, GRANT_P99_MS, False)
        scale = backend.get("scale", {}).get("drop_smallest_to_largest", {})
        for name, drop in scale.items():
            check(f"{bname} {name} throughput drop with store size", drop, SCALE_MAX_DROP, False)
    results["targets"] = checks
    return checks


def _f(value: float | None, fmt: str) -> str:
    return "-" if value is None else format(value, fmt)


def table(results: dict[str, Any]) -> str:
    lines = []
    head = (
        f"{'backend':<10} {'w':>1} {'scenario':<20} {'req/s':>8} {'p50 ms':>7} {'p99 ms':>7} "
        f"{'cpu us':>7} {'ceiling':>8} {'peer':>7} {'/ceil':>6} {'/peer':>6}"
    )
    lines += [head, "-" * len(head)]
    for bname, backend in results["backends"].items():
        for workers, config in backend["configs"].items():
            for sc in SCENARIOS:
                m = config["hubauth"].get(sc.name, {})
                if "skipped" in m:
                    lines.append(f"{bname:<10} {workers:>1} {sc.name:<20} {m['skipped']}")
                    continue
                ceil = config["ceiling"].get(sc.name, {}).get("rps")
                peer = config["peer"].get(sc.name, {}).get("rps")
                r = config["ratios"].get(sc.name, {})
                lines.append(
                    f"{bname:<10} {workers:>1} {sc.name:<20} {m['rps']:>8.0f} "
                    f"{m['p50_ms']:>7.2f} {m['p99_ms']:>7.2f} {_f(m['cpu_us_per_req'], '.0f'):>7} "
                    f"{_f(ceil, '.0f'):>8} {_f(peer, '.0f'):>7} "
                    f"{_f(r.get('vs_ceiling'), '.2f'):>6} {_f(r.get('vs_peer'), '.2f'):>6}"
                    + (f"  ({m['errors']} errors)" if m["errors"] else "")
                )
            for name, m in config["peer"].items():
                lines.append(
                    f"{bname:<10} {workers:>1} {'peer ' + name:<20} {m['rps']:>8.0f} "
                    f"{m['p50_ms']:>7.2f} {m['p99_ms']:>7.2f} {_f(m['cpu_us_per_req'], '.0f'):>7}"
                    + (f"  ({m['errors']} errors)" if m["errors"] else "")
                )
    lines.append("")
    lines.append("Scale check (req/s by stored tokens, first worker count):")
    for bname, backend in results["backends"].items():
        if "scale" not in backend:
            continue
        by_size = backend["scale"]["by_size"]
        sizes = sorted(by_size, key=int)
        lines.append(
            f"  {bname:<10} {'scenario':<20} " + " ".join(f"{s:>9}" for s in sizes) + "   drop"
        )
        for sc in SCENARIOS:
            vals = [by_size[s].get(sc.name, {}).get("rps") for s in sizes]
            drop = backend["scale"]["drop_smallest_to_largest"].get(sc.name)
            lines.append(
                f"  {'':<10} {sc.name:<20} "
                + " ".join(f"{_f(v, '.0f'):>9}" for v in vals)
                + f"   {_f(None if drop is None else drop * 100, '+.1f')}%"
            )
    lines.append("")
    lines.append("purge-expired under access-token lookups (1 worker, worst 1-s window):")
    for bname, backend in results["backends"].items():
        if "purge" not in backend:
            continue
        p = backend["purge"]
        lines.append(
            f"  {bname:<10} removed {p['removed']} rows in {p['purge_seconds']} s; "
            f"p99 {p['without']['p99_ms']} ms without, {p['during']['p99_ms']} ms during; "
            f"req/s {p['without']['rps']:.0f} without, {p['during']['rps']:.0f} during"
        )
    checks = results.get("targets", [])
    if checks:
        lines.append("")
        missed = [c for c in checks if c["met"] is False]
        lines.append(f"Targets: {len(checks) - len(missed)}/{len(checks)} met")
        for c in missed:
            lines.append(f"  missed: {c['check']} = {c['value']} (target {c['target']})")
    return "\n".join(lines)


def chart(results: dict[str, Any], path: Path) -> bool:
    """req/s of hubauth, the ceiling and the peer per scenario (log scale); False without
    matplotlib (it is not a hubauth dependency: ``pip install matplotlib`` in any venv)."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    panels = [(b, w) for b, be in results["backends"].items() for w in be["configs"]]
    fig, axes = plt.subplots(1, len(panels), figsize=(4.2 * len(panels), 4.2), sharey=True)
    if len(panels) == 1:
        axes = [axes]
    names = [sc.name for sc in SCENARIOS]
    for ax, (bname, workers) in zip(axes, panels, strict=True):
        config = results["backends"][bname]["configs"][workers]
        xs = range(len(names))
        hub = [config["hubauth"].get(n, {}).get("rps", 0) for n in names]
        ceil = [config["ceiling"].get(n, {}).get("rps", 0) for n in names]
        peer = [config["peer"].get(n, {}).get("rps", 0) for n in names]
        width = 0.27
        ax.bar([x - width for x in xs], ceil, width, label="ceiling (bare route)", color="#bbbbbb")
        ax.bar(list(xs), hub, width, label="hubauth", color="#ff7a59")
        ax.bar([x + width for x in xs], peer, width, label="django-oauth-toolkit", color="#2d6a8f")
        ax.set_title(f"{bname}, {workers} worker(s)")
        ax.set_xticks(list(xs))
        ax.set_xticklabels([n.replace("_", "\n") for n in names], fontsize=7)
        ax.set_yscale("log")
        ax.grid(axis="y", alpha=0.3)
    axes[0].set_ylabel("req/s (32 connections, log scale)")
    axes[0].legend(fontsize=7, loc="lower left")
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return True
