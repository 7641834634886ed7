"""``hubauth serve --dev`` as a process: several workers and nodes share one clock, one fault
queue and one set of counters through the database; start-up warns loudly and refuses a
non-loopback host unless told otherwise. On SQLite and PostgreSQL."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support import LiveServer, hubauth_cmd

pytestmark = pytest.mark.slow

#: An address that is not loopback (binding it is the point of the refusal tests).
ALL_INTERFACES = "0.0.0.0"  # noqa: S104

JSON_CT = {"content-type": "application/json"}


@pytest.fixture
def live_env(server_env: dict[str, str]) -> dict[str, str]:
    return dict(server_env)


@pytest.fixture
def two_workers(dev_database_url: str, live_env: dict[str, str]) -> Iterator[LiveServer]:
    server = LiveServer(dev_database_url, live_env, workers=2, extra_args=["--dev"])
    yield server
    server.stop()


def _fresh(method: str, url: str, **kw: Any) -> httpx.Response:
    """A request on a new connection, so the kernel may hand it to either worker."""
    with httpx.Client(timeout=10) as c:
        return c.request(method, url, **kw)


def _world(url: str) -> dict[str, Any]:
    app = _fresh(
        "POST",
        url + "/_hubauth/apps",
        json={"name": "Two workers", "redirect_uris": ["http://localhost/cb"], "scopes": "oauth"},
    ).json()
    hub = _fresh("POST", url + "/_hubauth/hubs", json={"domain": "two.example.test"}).json()
    user = _fresh(
        "POST", url + "/_hubauth/users", json={"email": "two@example.test", "hubs": [hub["hub_id"]]}
    ).json()
    tokens = _fresh(
        "POST",
        url + "/_hubauth/installs/tokens",
        json={"client_id": app["client_id"], "hub_id": hub["hub_id"], "user_id": user["user_id"]},
    ).json()
    return {"app": app, "tokens": tokens}


def test_two_workers_share_the_clock_the_faults_and_the_counters(
    two_workers: LiveServer,
) -> None:
    url = two_workers.url
    world = _world(url)
    access = world["tokens"]["access_token"]
    assert (
        _fresh("POST", url + "/_hubauth/clock/advance", json={"seconds": 1801}).status_code == 200
    )
    # Every request (on a new connection, so on either worker) sees the advanced clock.
    for _ in range(12):
        assert _fresh("GET", url + "/_hubauth/clock").json()["offset_ms"] == 1_801_000
        assert _fresh("GET", f"{url}/oauth/v1/access-tokens/{access}").status_code == 401
    _fresh("POST", url + "/_hubauth/faults", json={"kind": "refresh", "count": 3})
    form = {
        "grant_type": "refresh_token",
        "refresh_token": world["tokens"]["refresh_token"],
        "client_id": world["app"]["client_id"],
        "client_secret": world["app"]["client_secret"],
    }
    statuses = [_fresh("POST", url + "/oauth/v1/token", data=form).status_code for _ in range(8)]
    assert statuses.count(400) == 3 and statuses.count(200) == 5, statuses
    counted = _fresh("GET", url + "/_hubauth/counters").json()
    assert counted["grants"]["refresh_token"] == 8


def test_two_nodes_deliver_a_queued_failure_exactly_as_often_as_queued(
    dev_database_url: str, live_env: dict[str, str]
) -> None:
    a = LiveServer(dev_database_url, live_env, extra_args=["--dev"])
    try:
        b = LiveServer(dev_database_url, live_env, extra_args=["--dev"])
    except Exception:
        a.stop()
        raise
    try:
        _fresh("POST", a.url + "/_hubauth/clock/advance", json={"seconds": 600})
        assert _fresh("GET", b.url + "/_hubauth/clock").json()["offset_ms"] == 600_000
        _fresh(
            "POST", a.url + "/_hubauth/faults", json={"kind": "request", "status": 503, "count": 4}
        )
        statuses = [_fresh("GET", node.url + "/healthz").status_code for node in (a, b) * 4]
        assert statuses.count(503) == 4 and statuses[:4] == [503] * 4, statuses
    finally:
        a.stop()
        b.stop()


def test_dev_mode_start_up_warns_loudly(two_workers: LiveServer) -> None:
    _fresh("GET", two_workers.url + "/healthz")
    out = two_workers.stop()
    assert "WARNING: DEVELOPER MODE IS ON" in out
    assert f"Developer dashboard: {two_workers.url}/_hubauth/" in out
    # each worker logs it too
    assert out.count('"level":"warning","logger":"hubauth","msg":"DEVELOPER MODE IS ON') == 2


# The refusals happen before any storage is opened: one backend is enough for them.


@pytest.mark.parametrize("host", [ALL_INTERFACES, "example.test"])
def test_dev_mode_on_a_non_loopback_host_refuses_to_start(
    host: str, tmp_path: Path, live_env: dict[str, str]
) -> None:
    done = subprocess.run(
        hubauth_cmd("serve", "--dev", "--host", host, "--database", f"sqlite:///{tmp_path}/x.db"),
        env=live_env,
        capture_output=True,
        timeout=60,
    )
    assert done.returncode != 0
    assert b"--dev-allow-remote" in done.stderr
    assert b"listening" not in done.stderr


def test_the_environment_cannot_switch_dev_mode_on_for_a_remote_host(
    tmp_path: Path, live_env: dict[str, str]
) -> None:
    env = {**live_env, "HUBAUTH_DEV": "true", "HUBAUTH_HOST": ALL_INTERFACES}
    done = subprocess.run(
        hubauth_cmd("serve", "--database", f"sqlite:///{tmp_path}/x.db"),
        env=env,
        capture_output=True,
        timeout=60,
    )
    assert done.returncode != 0 and b"--dev-allow-remote" in done.stderr


def test_dev_allow_remote_lets_a_non_loopback_host_start(
    dev_database_url: str, live_env: dict[str, str]
) -> None:
    server = LiveServer(
        dev_database_url,
        live_env,
        extra_args=["--dev", "--dev-allow-remote", "--host", ALL_INTERFACES],
    )
    try:
        assert _fresh("GET", server.url + "/_hubauth/clock").status_code == 200
    finally:
        out = server.stop()
    assert "DEVELOPER MODE IS ON" in out
