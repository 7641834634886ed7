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


def node_missing() -> str | None:
    if shutil.which("node") and shutil.which("npm"):
        return None
    return "node/npm are not installed; set CI=1 to make this a failure"


def installed(label: str, manifest: Path, probe: str) -> Path:
    """A folder where ``manifest`` (a package.json with pinned versions) is installed; one per
    manifest content, installed once even when test runs share the machine. ``probe`` is a
    package name whose presence says the install finished."""
    reason = node_missing()
    if reason is not None:
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
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
