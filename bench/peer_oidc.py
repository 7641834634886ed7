"""The second peer: node-oidc-provider (``oidc-provider`` on npm) on PostgreSQL, through an
adapter of our own (``bench/peer_oidc/adapter.mjs``), one node process per worker (node:cluster).

Its npm packages are installed by the bench itself, pinned by ``bench/peer_oidc/package-lock.json``,
into ``~/.cache/hubauth-bench/oidc-provider-<lock digest>`` (``HUBAUTH_BENCH_CACHE`` moves it),
outside the repository. It has no SQLite adapter here (Node 20 has no built-in SQLite and the
peer should run on a store its users deploy), so it is measured on the PostgreSQL backend only.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from bench.procs import Server, free_port

SOURCE = Path(__file__).resolve().parent / "peer_oidc"
LOCK = SOURCE / "package-lock.json"
NAME = "oidc-provider"


def node_missing() -> str | None:
    """Why the peer cannot run here, or None."""
    for tool in ("node", "npm"):
        if shutil.which(tool) is None:
            return f"{tool} not found on PATH"
    return None


def install_dir() -> Path:
    cache = Path(os.environ.get("HUBAUTH_BENCH_CACHE", Path.home() / ".cache" / "hubauth-bench"))
    digest = hashlib.sha256(LOCK.read_bytes()).hexdigest()[:12]
    return cache / f"oidc-provider-{digest}"


def ensure_installed() -> Path:
    """``npm ci`` from the committed lock on first use; the scripts are copied on every run so
    that the installed copy always runs this checkout's adapter and configuration."""
    target = install_dir()
    stamp = target / ".installed"
    target.mkdir(parents=True, exist_ok=True)
    if not stamp.exists():
        print(f"bench: installing oidc-provider into {target}", file=sys.stderr)
        for name in ("package.json", "package-lock.json"):
            shutil.copy2(SOURCE / name, target / name)
        subprocess.run(
            ["npm", "ci", "--omit=dev", "--no-audit", "--no-fund", "--loglevel=error"],
            cwd=target,
            check=True,
        )
        stamp.write_text(LOCK.read_text())
    for script in SOURCE.glob("*.mjs"):
        shutil.copy2(script, target / script.name)
    return target


@dataclass
class OidcSeed:
    database_url: str
    code_app: dict[str, str]
    cc_app: dict[str, str]
    refresh_file: Path
    access_file: Path


def _env(database_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NODE_", "PEER_"))}
    env["PEER_DATABASE"] = database_url
    env["NODE_ENV"] = "production"
    return env


def seed(database_url: str, n_tokens: int, workdir: Path) -> OidcSeed:
    target = install_dir()
    out = subprocess.run(
        ["node", "seed.mjs", str(n_tokens), str(workdir)],
        cwd=target,
        env=_env(database_url),
        capture_output=True,
        text=True,
    )
    if out.returncode != 0:
        raise RuntimeError(f"oidc-provider seeding failed: {out.stderr[-2000:]}")
    creds = json.loads((workdir / "creds.json").read_text())
    return OidcSeed(
        database_url=database_url,
        code_app=creds["code_app"],
        cc_app=creds["cc_app"],
        refresh_file=workdir / "refresh.txt",
        access_file=workdir / "access.txt",
    )


def start(seeded: OidcSeed, workers: int, log: Path) -> Server:
    port = free_port()
    return Server(
        NAME,
        ["node", "server.mjs", str(port), str(workers)],
        port=port,
        env=_env(seeded.database_url),
        log=log,
        probe="/.well-known/openid-configuration",
        cwd=install_dir(),
    )
