"""npm packages the suite runs (official and standard clients on Node), installed by the test
run itself into a cache folder outside the repository: ``~/.cache/hubauth-tests/node/``, or
``$HUBAUTH_TEST_CACHE/node/``. Without ``node``/``npm`` the caller's test is skipped with a
reason, except in CI, where that is a failure."""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import subprocess
from pathlib import Path

import pytest

NPM_TIMEOUT_S = 600


def cache_root() -> Path:
    raw = os.environ.get("HUBAUTH_TEST_CACHE")
    return (Path(raw) if raw else Path.home() / ".cache" / "hubauth-tests") / "node"


#: The official Node client's pinned manifest (the README names this version as working).
HUBSPOT_CLIENT = Path(__file__).resolve().parent / "node" / "package.json"


def missing_tool(tools: tuple[str, ...] = ("node", "npm")) -> str | None:
    for tool in tools:
        if shutil.which(tool) is None:
            return f"{tool} is not installed; set CI=1 to make this a failure"
    return None


def require_tools(tools: tuple[str, ...]) -> None:
    """Fail in CI, skip with the reason elsewhere, when a tool is missing."""
    reason = missing_tool(tools)
    if reason is not None:
        if os.environ.get("CI"):
            pytest.fail(f"this test must run in CI: {reason}")
        pytest.skip(reason)


def installed(label: str, manifest: Path, probe: str) -> Path:
    """A folder where ``manifest`` (a package.json with pinned versions) is installed; one per
    manifest content, installed once even when test runs share the machine. ``probe`` is a
    package name whose presence says the install finished."""
    require_tools(("node", "npm"))
    content = manifest.read_bytes()
    folder = cache_root() / f"{label}-{hashlib.sha256(content).hexdigest()[:12]}"
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / ".lock", "w") as lock:  # parallel test runs install once
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (folder / "node_modules" / probe / "package.json").exists():
            (folder / "package.json").write_bytes(content)
            subprocess.run(
                ["npm", "install", "--no-audit", "--no-fund", "--no-package-lock"],
                cwd=folder,
                check=True,
                capture_output=True,
                timeout=NPM_TIMEOUT_S,
            )
    return folder
