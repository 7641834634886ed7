"""The peer: django-oauth-toolkit under gunicorn, in its own virtualenv (``bench/.venv-dot``),
on a database of its own on the same database server as hubauth.

gunicorn runs its default (sync) worker class with the same worker count as hubauth: on this
machine it measured faster than ``gthread`` for DOT (540 vs 480 introspections/s, one worker).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from bench.procs import Server, free_port

HERE = Path(__file__).resolve().parent
VENV = HERE / ".venv-dot"
PY = VENV / "bin" / "python"
REQUIREMENTS = HERE / "peer_dot" / "requirements.txt"


def ensure_venv() -> None:
    """Create the peer's virtualenv from PyPI on first use (pinned requirements)."""
    stamp = VENV / ".installed"
    if stamp.exists() and stamp.read_text() == REQUIREMENTS.read_text():
        return
    print("bench: installing django-oauth-toolkit into bench/.venv-dot", file=sys.stderr)
    if not PY.exists():
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    subprocess.run(
        [str(PY), "-m", "pip", "install", "--quiet", "-r", str(REQUIREMENTS)], check=True
    )
    stamp.write_text(REQUIREMENTS.read_text())


@dataclass
class PeerSeed:
    database_url: str
    code_app: dict[str, str]
    cc_app: dict[str, str]
    refresh_file: Path
    access_file: Path


def _env(database_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTHON"))}
    env["PEER_DATABASE"] = database_url
    env["DJANGO_SETTINGS_MODULE"] = "peer_dot.settings"
    return env


def seed(database_url: str, n_tokens: int, workdir: Path) -> PeerSeed:
    env = _env(database_url)
    manage = [str(PY), "-m", "peer_dot.manage"]
    subprocess.run([*manage, "migrate", "-v0"], cwd=HERE, env=env, check=True)
    subprocess.run(
        [*manage, "bench_seed", "--tokens", str(n_tokens), "--out", str(workdir)],
        cwd=HERE,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    creds = json.loads((workdir / "creds.json").read_text())
    return PeerSeed(
        database_url=database_url,
        code_app=creds["code_app"],
        cc_app=creds["cc_app"],
        refresh_file=workdir / "refresh.txt",
        access_file=workdir / "access.txt",
    )


def start(seeded: PeerSeed, workers: int, log: Path) -> Server:
    port = free_port()
    argv = [
        str(VENV / "bin" / "gunicorn"),
        "peer_dot.wsgi:application",
        "--workers",
        str(workers),
        "--bind",
        f"127.0.0.1:{port}",
        "--log-level",
        "warning",
    ]
    return Server(
        "django-oauth-toolkit",
        argv,
        port=port,
        env=_env(seeded.database_url),
        log=log,
        probe="/o/introspect/",
        cwd=HERE,
    )
