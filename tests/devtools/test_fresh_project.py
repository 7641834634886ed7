"""The plugin as a user gets it: a fresh pytest project (no conftest, no import of hubauth's
tests) where the fixtures arrive only through the ``pytest11`` entry point — running the
examples of docs/testing.md, extracted from the page, and a few plugin behaviours.

One subprocess run for all of it: starting pytest is the expensive part.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

DOC = Path(__file__).resolve().parents[2] / "docs" / "testing.md"
EXAMPLE = re.compile(r"<!-- example: (\w+\.py) -->\n```python\n(.*?)```", re.DOTALL)
PYTEST_INI = re.compile(r"<!-- pytest.ini -->\n```ini\n(.*?)```", re.DOTALL)

PLUGIN_BEHAVIOUR = """
import httpx
import pytest


def test_fixture_is_there(hubauth_server):
    tokens = hubauth_server.mint_tokens()
    hubauth_server.clock.advance(1801)
    url = f"{hubauth_server.base_url}/oauth/v1/access-tokens/{tokens['access_token']}"
    assert httpx.get(url).status_code == 401


def test_session_fault(hubauth_server_session):
    hubauth_server_session.faults.fail_next_requests(5, status=503)


def test_session_faults_do_not_leak(hubauth_server_session):
    assert hubauth_server_session.faults.pending == 0


@pytest.mark.hubauth_server(access_token_ttl=900)
def test_marker(hubauth_server):
    assert hubauth_server.mint_tokens()["expires_in"] == 900
"""


def guide_examples() -> dict[str, str]:
    return dict(EXAMPLE.findall(DOC.read_text()))


def test_the_guide_has_the_three_promised_examples() -> None:
    assert set(guide_examples()) >= {
        "test_refresh_before_expiry.py",
        "test_uninstall.py",
        "test_fifty_workers.py",
        "test_v1_sunset.py",
    }


def test_plugin_loads_from_its_entry_point_and_the_guide_examples_pass(
    pytester: pytest.Pytester,
) -> None:
    files = {"test_plugin_behaviour": PLUGIN_BEHAVIOUR}
    files.update({name.removesuffix(".py"): code for name, code in guide_examples().items()})
    pytester.makepyfile(**files)
    ini = PYTEST_INI.search(DOC.read_text())
    assert ini is not None, "docs/testing.md lost its pytest.ini block"
    pytester.makeini(ini[1])  # the configuration the guide tells readers to write
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--strict-markers", "-v")
    result.stdout.fnmatch_lines(["*test_session_faults_do_not_leak PASSED*"])
    result.assert_outcomes(passed=12)
