"""Ratios, target checks, the printed table and the chart, from a run's raw results."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bench.scenarios import BY_NAME, SCENARIOS

#: The targets (docs/performance.md): ratios measured in the same run. Against the ceiling
#: (issue 19): metadata lookups, introspection, grants; against django-oauth-toolkit (the first
#: round): introspection and the grants it serves.
VS_CEILING = {
    "refresh_lookup": 0.5,
    "access_lookup": 0.5,
    "introspect": 0.4,
    "refresh_grant": 0.25,
    "code_exchange": 0.25,
    "client_credentials": 0.25,
}
LOOKUP_VS_PEER = 5.0
GRANT_VS_PEER = 3.0
#: p99 at 32 connections, every scenario (issue 19; the first round asked it of the grants).
P99_MS = 50.0
SCALE_MAX_DROP = 0.15


def _ratio(a: float | None, b: float | None) -> float | None:
    if not a or not b:
        return None
    return round(a / b, 2)


#: The peers, as keys of a configuration's results, and how the table and chart name them.
#: oidc-provider is absent from runs made before it joined the bench (and from SQLite).
PEERS = (("peer", "django-oauth-toolkit"), ("oidc_provider", "oidc-provider"))


def add_ratios(results: dict[str, Any]) -> None:
    """hubauth/ceiling and hubauth/each peer per scenario, and the scale drop, in place."""
    for backend in results["backends"].values():
        for config in backend["configs"].values():
            ratios: dict[str, Any] = {}
            for name, m in config["hubauth"].items():
                if "skipped" in m:
                    continue
                sc = BY_NAME[name]
                ceiling = config["ceiling"].get(name, {}).get("rps")
                peer = config["peer"].get(name, {}).get("rps")
                oidc = config.get("oidc_provider", {}).get(name, {}).get("rps")
                ratios[name] = {
                    "vs_ceiling": _ratio(m["rps"], ceiling),
                    "vs_peer": _ratio(m["rps"], peer),
                    "vs_oidc_provider": _ratio(m["rps"], oidc),
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
                check(f"{where} {name} vs ceiling", r["vs_ceiling"], VS_CEILING[name], True)
                if sc.peer:
                    target = LOOKUP_VS_PEER if sc.kind == "lookup" else GRANT_VS_PEER
                    check(f"{where} {name} vs peer", r["vs_peer"], target, True)
                p99 = config["hubauth"][name]["p99_ms"]
                check(f"{where} {name} p99 ms", p99, P99_MS, False)
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
        f"{'cpu us':>7} {'ceiling':>8} {'peer':>7} {'oidc':>7} {'/ceil':>6} {'/peer':>6} "
        f"{'/oidc':>6}"
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
                oidc = config.get("oidc_provider", {}).get(sc.name, {}).get("rps")
                r = config["ratios"].get(sc.name, {})
                lines.append(
                    f"{bname:<10} {workers:>1} {sc.name:<20} {m['rps']:>8.0f} "
                    f"{m['p50_ms']:>7.2f} {m['p99_ms']:>7.2f} {_f(m['cpu_us_per_req'], '.0f'):>7} "
                    f"{_f(ceil, '.0f'):>8} {_f(peer, '.0f'):>7} {_f(oidc, '.0f'):>7} "
                    f"{_f(r.get('vs_ceiling'), '.2f'):>6} {_f(r.get('vs_peer'), '.2f'):>6} "
                    f"{_f(r.get('vs_oidc_provider'), '.2f'):>6}"
                    + (f"  ({m['errors']} errors)" if m["errors"] else "")
                )
            peer_rows = [("peer " + n, m) for n, m in config["peer"].items()]
            peer_rows += [("oidc " + n, m) for n, m in config.get("oidc_provider", {}).items()]
            for name, m in peer_rows:
                lines.append(
                    f"{bname:<10} {workers:>1} {name:<20} {m['rps']:>8.0f} "
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
    """req/s of the ceiling, hubauth and both peers per scenario (log scale), one panel per
    backend and worker count, each bar labelled with its ratio: hubauth ÷ ceiling over
    hubauth's bar, hubauth ÷ that peer over a peer's. False without matplotlib (it is not a
    hubauth dependency: the bench extra installs it)."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    backends = list(results["backends"])
    workers = sorted({w for be in results["backends"].values() for w in be["configs"]}, key=int)
    fig, grid = plt.subplots(
        len(backends),
        len(workers),
        figsize=(6.4 * len(workers), 3.9 * len(backends)),
        sharey=True,
        squeeze=False,
    )
    names = [sc.name for sc in SCENARIOS]
    series = [
        ("ceiling", "ceiling (bare route)", "#bbbbbb", None),
        ("hubauth", "hubauth", "#ff7a59", "vs_ceiling"),
        ("peer", "django-oauth-toolkit", "#2d6a8f", "vs_peer"),
        ("oidc_provider", "oidc-provider", "#6a9f3a", "vs_oidc_provider"),
    ]
    configs = [c for be in results["backends"].values() for c in be["configs"].values()]
    for i, (key, label, color, ratio_key) in enumerate(series):
        if key != "ceiling" and not any(c.get(key) for c in configs):
            series[i] = (key, f"{label} (not in this run)", color, ratio_key)
    top = max(m.get("rps", 0) for c in configs for k, *_ in series for m in c.get(k, {}).values())
    width = 0.2
    for row, bname in enumerate(backends):
        for col, w in enumerate(workers):
            ax = grid[row][col]
            config = results["backends"][bname]["configs"].get(w)
            ax.set_title(f"{bname}, {w} worker(s)", fontsize=10)
            if config is None:
                ax.set_axis_off()
                continue
            for i, (key, label, color, ratio_key) in enumerate(series):
                offset = (i - 1.5) * width
                xs = [x + offset for x in range(len(names))]
                rps = [config.get(key, {}).get(n, {}).get("rps", 0) for n in names]
                ax.bar(xs, rps, width, label=label, color=color)
                if ratio_key is None:
                    continue
                for x, n, value in zip(xs, names, rps, strict=True):
                    ratio = config.get("ratios", {}).get(n, {}).get(ratio_key)
                    if value and ratio is not None:
                        text = f"{ratio:.2f}" if ratio_key == "vs_ceiling" else f"{ratio:.1f}x"
                        ax.annotate(
                            text,
                            (x, value),
                            xytext=(0, 2),
                            textcoords="offset points",
                            ha="center",
                            va="bottom",
                            fontsize=6,
                            rotation=90,
                        )
            ax.set_xticks(list(range(len(names))))
            ax.set_xticklabels([n.replace("_", "\n") for n in names], fontsize=7)
            ax.set_yscale("log")
            ax.grid(axis="y", alpha=0.3)
        grid[row][0].set_ylabel("req/s (32 connections, log)")
    grid[0][0].set_ylim(top=top * 4)  # shared: room for the labels over the tallest bars
    meta = results.get("meta", {})
    fig.suptitle(
        f"{meta.get('mode', '?')} run, {meta.get('started', '?')}, commit "
        f"{meta.get('commit', '?')}\nlabels: hubauth ÷ ceiling over hubauth's bar, "
        "hubauth ÷ peer over each peer's",
        fontsize=9,
    )
    handles, labels = grid[0][0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=4, fontsize=8)
    fig.tight_layout(rect=(0, 0.05, 1, 0.93))
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return True
