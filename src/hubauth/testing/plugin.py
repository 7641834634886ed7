"""The pytest plugin (entry point ``pytest11: hubauth``): installing hubauth is enough.

Fixtures:

* ``hubauth_server`` — a fresh server for one test (its clock, faults and data are its own).
* ``hubauth_server_session`` — one server for the whole session (cheaper; its clock only moves
  forward and its data is shared, so tests must not depend on each other's state; faults are
  switched off after every test that used it).
* ``hubauth_server_factory`` — start servers with other settings,
  e.g. ``hubauth_server_factory(refresh_policy="rotate")``.
* ``hubauth_server_config`` — the :class:`ServerConfig` the two servers start from; override it
  in a ``conftest.py`` to change defaults for a whole suite.

A test can also set options for ``hubauth_server`` with the marker
``@pytest.mark.hubauth_server(access_token_ttl=600, refresh_policy="rotate")``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:  # imported lazily: a test run that uses no fixture pays nothing
    from hubauth.testing.server import HubAuthServer, ServerConfig

MARKER = "hubauth_server"

#: Servers asked to stop after their test; joined once, when the session ends.
_stopping: list[HubAuthServer] = []


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{MARKER}(**options): ServerConfig fields for this test's hubauth_server fixture",
    )


def pytest_unconfigure(config: pytest.Config) -> None:
    while _stopping:
        _stopping.pop().join()


@pytest.fixture(scope="session")
def hubauth_server_config() -> ServerConfig:
    """Defaults for ``hubauth_server`` and ``hubauth_server_session`` (override to change)."""
    from hubauth.testing.server import ServerConfig

    return ServerConfig()


@pytest.fixture
def hubauth_server_factory(
    tmp_path_factory: pytest.TempPathFactory, hubauth_server_config: ServerConfig
) -> Iterator[Callable[..., HubAuthServer]]:
    """``factory(**ServerConfig fields)`` starts a server; all are stopped after the test."""
    from hubauth.testing.server import HubAuthServer

    started: list[HubAuthServer] = []

    def start(**options: Any) -> HubAuthServer:
        server = HubAuthServer(
            tmp_path_factory.mktemp("hubauth"), hubauth_server_config.replace(**options)
        )
        server.start()
        started.append(server)
        return server

    yield start
    for server in reversed(started):
        # Each server has its own port and database, so the next test need not wait for this
        # one to wind down.
        server.stop(wait=False)
        _stopping.append(server)


@pytest.fixture
def hubauth_server(
    request: pytest.FixtureRequest, hubauth_server_factory: Callable[..., HubAuthServer]
) -> HubAuthServer:
    """A real hubauth server for this test, on a free port, seeded with one install."""
    marker = request.node.get_closest_marker(MARKER)
    return hubauth_server_factory(**(marker.kwargs if marker else {}))


@pytest.fixture(scope="session")
def hubauth_server_session(
    tmp_path_factory: pytest.TempPathFactory, hubauth_server_config: ServerConfig
) -> Iterator[HubAuthServer]:
    """One real hubauth server shared by every test of the session."""
    from hubauth.testing.server import HubAuthServer

    with HubAuthServer(tmp_path_factory.mktemp("hubauth-session"), hubauth_server_config) as s:
        yield s


@pytest.fixture(autouse=True)
def _hubauth_session_faults_off(request: pytest.FixtureRequest) -> Iterator[None]:
    """A fault flipped on the shared server must not leak into the next test."""
    yield
    if "hubauth_server_session" in request.fixturenames:
        server: HubAuthServer = request.getfixturevalue("hubauth_server_session")
        server.faults.clear()
