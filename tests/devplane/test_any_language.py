"""docs/testing.md "Testing from any language": its Node test (``node:test`` with HubSpot's
``@hubspot/api-client`` 14.x and ``fetch`` to the control API) and its curl script, extracted
from the page and run against a fresh ``hubauth serve --dev`` on SQLite and PostgreSQL.

The story: install, expiry by the server's clock with the client's refresh path, a refresh
failing with ``BAD_REFRESH_TOKEN`` on demand, uninstall.
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.node_packages import HUBSPOT_CLIENT, installed, require_tools
from tests.support import ROOT, LiveServer

pytestmark = pytest.mark.slow

DOC = ROOT / "docs" / "testing.md"


def doc_example(name: str) -> str:
    found = re.search(
        rf"<!-- example: {re.escape(name)} -->\n```\w+\n(.*?)```", DOC.read_text(), re.DOTALL
    )
    assert found, f"docs/testing.md has no example {name}"
    return found.group(1)


@pytest.fixture
def dev_server(dev_database_url: str, server_env: dict[str, str]) -> Iterator[LiveServer]:
    server = LiveServer(dev_database_url, server_env, extra_args=["--dev"])
    yield server
    server.stop()


def _env(server: LiveServer) -> dict[str, str]:
    return {
        "PATH": os.environ.get("PATH", ""),
        "HOME": os.environ.get("HOME", ""),
        "HUBAUTH_URL": server.url,
    }


def test_the_node_example_drives_the_whole_story(dev_server: LiveServer, tmp_path: Path) -> None:
    client = installed("hubspot-api-client", HUBSPOT_CLIENT, "@hubspot/api-client")
    (tmp_path / "node_modules").symlink_to(client / "node_modules")
    (tmp_path / "package.json").write_text('{"type": "module", "private": true}')
    script = tmp_path / "dev_story.test.mjs"
    script.write_text(doc_example("dev_story.test.mjs"))
    done = subprocess.run(
        ["node", "--test", "--test-reporter=spec", script.name],
        cwd=tmp_path,
        env=_env(dev_server),
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "# pass 4" in done.stdout or "pass 4" in done.stdout, done.stdout
    assert "fail 0" in done.stdout, done.stdout


def test_the_curl_example_drives_the_whole_story(dev_server: LiveServer, tmp_path: Path) -> None:
    require_tools(("sh", "curl", "jq"))
    script = tmp_path / "dev_story.sh"
    script.write_text(doc_example("dev_story.sh"))
    done = subprocess.run(
        ["sh", str(script)], env=_env(dev_server), capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.strip().endswith("curl story: ok")
