"""HubSpot's official Node client, ``@hubspot/api-client`` 14.x (its latest major), pointed at a
running ``hubauth serve`` by ``basePath``, performs the v1 OAuth lifecycle unmodified, on both
databases (tests/node/v1_lifecycle.cjs).

The client is installed by the test run itself into a cache folder outside the repository
(``~/.cache/hubauth-tests/node/``, or ``HUBAUTH_TEST_CACHE``), once per version. Where ``node``
or ``npm`` is missing the test fails when ``CI`` is set and is skipped with a reason otherwise.
"""

from __future__ import annotations

import asyncio
import fcntl
import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support import ROOT, LiveServer, Seed, seed_and_code

#: Pinned: the version the README names as working unmodified.
NODE_CLIENT_VERSION = "14.0.1"
SCRIPT = ROOT / "tests" / "node" / "v1_lifecycle.cjs"


def _cache_root() -> Path:
    raw = os.environ.get("HUBAUTH_TEST_CACHE")
    return Path(raw) if raw else Path.home() / ".cache" / "hubauth-tests"


def _missing_tool() -> str | None:
    for tool in ("node", "npm"):
        if shutil.which(tool) is None:
            return f"{tool} is not installed (Node 20+ with npm runs the official Node client)"
    return None


def _installed_version(folder: Path) -> str | None:
    manifest = folder / "node_modules" / "@hubspot" / "api-client" / "package.json"
    if not manifest.is_file():
        return None
    version: str = json.loads(manifest.read_text())["version"]
    return version


@pytest.fixture(scope="session")
def node_client() -> Path:
    reason = _missing_tool()
    if reason is not None:
        if os.environ.get("CI"):
            pytest.fail(f"the Node client test must run in CI: {reason}")
        pytest.skip(reason)
    folder = _cache_root() / "node" / f"hubspot-api-client-{NODE_CLIENT_VERSION}"
    folder.mkdir(parents=True, exist_ok=True)
    # Several test runs share the cache on one machine: one installs, the others wait.
    with (folder / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if _installed_version(folder) != NODE_CLIENT_VERSION:
            (folder / "package.json").write_text('{"name": "hubauth-node-client", "private": true}')
            subprocess.run(
                [
                    "npm",
                    "install",
                    "--no-audit",
                    "--no-fund",
                    "--save-exact",
                    "--loglevel=error",
                    f"@hubspot/api-client@{NODE_CLIENT_VERSION}",
                ],
                cwd=folder,
                check=True,
                timeout=300,
                capture_output=True,
            )
    assert _installed_version(folder) == NODE_CLIENT_VERSION
    return folder


@pytest.fixture
def live(database_url: str, server_env: dict[str, str]) -> Iterator[LiveServer]:
    server = LiveServer(database_url, server_env)
    yield server
    server.stop()


def _run_lifecycle(folder: Path, live: LiveServer, s: Seed, code: str) -> dict[str, Any]:
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": os.environ.get("HOME", ""),
        "HUBSPOT_CLIENT_DIR": str(folder),
        "HUBAUTH_URL": live.url,
        "CLIENT_ID": s.client_id,
        "CLIENT_SECRET": s.client_secret,
        "CODE": code,
        "REDIRECT_URI": s.redirect_uri,
    }
    done = subprocess.run(
        ["node", str(SCRIPT)], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def test_official_node_client_runs_the_v1_lifecycle(
    node_client: Path, live: LiveServer, database_url: str
) -> None:
    s, code = asyncio.run(seed_and_code(database_url))
    out = _run_lifecycle(node_client, live, s, code)

    assert out["version"] == NODE_CLIENT_VERSION
    tokens, refreshed = out["tokens"], out["refreshed"]
    # The client's TokenResponseIF model keeps these four members (it drops hub_id etc.).
    assert tokens["tokenType"] == "bearer" and tokens["expiresIn"] == 1800
    assert tokens["refreshToken"].startswith("na1-")
    assert refreshed["refreshToken"] == tokens["refreshToken"]
    assert refreshed["accessToken"] != tokens["accessToken"]

    access = out["accessInfo"]
    assert (access["hubId"], access["appId"], access["user"]) == (s.hub_id, s.app_id, s.email)
    assert 0 < access["expiresIn"] <= 1800
    assert access["token"] == refreshed["accessToken"] and access["tokenType"] == "access"

    refresh = out["refreshInfo"]
    assert (refresh["clientId"], refresh["userId"]) == (s.client_id, s.user_id)
    assert refresh["scopes"] == list(s.scopes)

    # Errors reach the caller as the client's ApiException, with HubSpot's body.
    bad = out["badRefresh"]
    assert bad["code"] == 400
    assert (bad["body"]["error"], bad["body"]["status"]) == ("invalid_grant", "BAD_REFRESH_TOKEN")
    gone = out["afterArchive"]
    assert gone["code"] == 404
    assert gone["body"]["category"] == "OBJECT_NOT_FOUND"
