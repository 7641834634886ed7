"""HubSpot's official Node client for tests, installed by the test run itself into a cache
folder outside the repository (``~/.cache/hubauth-tests/node/``, or ``HUBAUTH_TEST_CACHE``),
once per version; concurrent runs on one machine wait for each other on a lock.

Where ``node`` or ``npm`` is missing the caller fails when ``CI`` is set and skips with a reason
otherwise (:func:`node_client_folder`).
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

#: Pinned: 14.x is the latest major of @hubspot/api-client.
NODE_CLIENT_VERSION = "14.0.1"


def cache_root() -> Path:
    raw = os.environ.get("HUBAUTH_TEST_CACHE")
    return Path(raw) if raw else Path.home() / ".cache" / "hubauth-tests"


def missing_tool(tools: tuple[str, ...] = ("node", "npm")) -> str | None:
    for tool in tools:
        if shutil.which(tool) is None:
            return f"{tool} is not installed"
    return None


def require_tools(tools: tuple[str, ...]) -> None:
    """Fail in CI, skip with the reason elsewhere, when a tool is missing."""
    reason = missing_tool(tools)
    if reason is not None:
        if os.environ.get("CI"):
            pytest.fail(f"this test must run in CI: {reason}")
        pytest.skip(reason)


def _installed_version(folder: Path) -> str | None:
    manifest = folder / "node_modules" / "@hubspot" / "api-client" / "package.json"
    if not manifest.is_file():
        return None
    version: str = json.loads(manifest.read_text())["version"]
    return version


def node_client_folder(version: str = NODE_CLIENT_VERSION) -> Path:
    """A folder whose ``node_modules`` holds ``@hubspot/api-client@version``."""
    require_tools(("node", "npm"))
    folder = cache_root() / "node" / f"hubspot-api-client-{version}"
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if _installed_version(folder) != version:
            (folder / "package.json").write_text('{"name": "hubauth-node-client", "private": true}')
            subprocess.run(
                [
                    "npm",
                    "install",
                    "--no-audit",
                    "--no-fund",
                    "--save-exact",
                    "--loglevel=error",
                    f"@hubspot/api-client@{version}",
                ],
                cwd=folder,
                check=True,
                timeout=300,
                capture_output=True,
            )
    assert _installed_version(folder) == version
    return folder
