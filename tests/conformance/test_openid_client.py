"""openid-client 6 (npm, the OpenID Foundation-certified JavaScript client) against a real
``hubauth serve`` on SQLite and PostgreSQL: discovery with the ``oauth2`` algorithm,
client_credentials, authorization code with PKCE, refresh, introspection and revocation (#22).

The package (version pinned in ``node/package.json``) is installed by the test run itself into
``~/.cache/hubauth-tests/node/`` (outside the repository) with ``npm install``. Without ``node``
the test is skipped with a reason, except in CI, where that is a failure."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests import node_packages
from tests.conformance.conftest import approve_in_browser
from tests.support import LiveServer, Seed

pytestmark = pytest.mark.slow  # a real server per module and database

HERE = Path(__file__).resolve().parent / "node"


@pytest.fixture(scope="session")
def openid_client_dir() -> Path:
    """A folder with openid-client installed (once per package.json version) and flow.mjs."""
    folder = node_packages.installed("openid-client", HERE / "package.json", "openid-client")
    # next to node_modules, so the ES module import resolves
    shutil.copyfile(HERE / "flow.mjs", folder / "flow.mjs")
    return folder


def test_openid_client_runs_every_flow(
    openid_client_dir: Path, live: LiveServer, seeded: Seed
) -> None:
    proc = subprocess.Popen(
        [
            "node",
            str(openid_client_dir / "flow.mjs"),
            live.url,
            seeded.client_id,
            seeded.client_secret,
            seeded.redirect_uri,
            " ".join(seeded.scopes),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None and proc.stdin is not None
        first = proc.stdout.readline()
        if not first:
            pytest.fail(f"openid-client stopped: {proc.communicate(timeout=30)[1]}")
        callback = approve_in_browser(json.loads(first)["authorization_url"], seeded)
        out, err = proc.communicate(callback + "\n", timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    results: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    assert results == {
        "client_credentials": {"token_type": "bearer", "has_access_token": True},
        "authorization_code": {"token_type": "bearer", "has_refresh_token": True},
        "refreshed": True,
        "introspected": {"active": True, "client_id": seeded.client_id},
        "after_revocation": {"active": False},
    }
