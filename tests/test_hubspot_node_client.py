"""HubSpot's official Node client, ``@hubspot/api-client`` 14.x (its latest major), pointed at a
running ``hubauth serve`` by ``basePath``, performs the v1 OAuth lifecycle unmodified, on both
databases (tests/node/v1_lifecycle.cjs).

The client (pinned in ``tests/node/package.json``) is installed by the test run itself into a
cache folder outside the repository (:mod:`tests.node_packages`). Where ``node`` or ``npm`` is
missing the test fails when ``CI`` is set and is skipped with a reason otherwise.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests import node_packages
from tests.support import ROOT, LiveServer, Seed, seed_and_code

HERE = ROOT / "tests" / "node"
SCRIPT = HERE / "v1_lifecycle.cjs"


def pinned_version() -> str:
    """The version the README names as working unmodified (tests/node/package.json)."""
    version: str = json.loads((HERE / "package.json").read_text())["dependencies"][
        "@hubspot/api-client"
    ]
    return version


@pytest.fixture(scope="session")
def node_client() -> Path:
    return node_packages.installed(
        "hubspot-api-client", node_packages.HUBSPOT_CLIENT, "@hubspot/api-client"
    )


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

    assert out["version"] == pinned_version() and out["version"].startswith("14.")
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
