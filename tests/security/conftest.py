"""Fixtures of the attack suite: the real audit sink (so tests can see security events) and a
capture of every record the ``hubauth`` loggers emit, rendered by the production JSON
formatter (so "no secret in any log line" is checked on the bytes an operator would see)."""

from __future__ import annotations

import dataclasses
import logging
import secrets
from collections.abc import Callable, Iterator

import pytest

from hubauth.config import env_name
from hubauth.core.audit import log_audit
from hubauth.core.context import Context
from tests.security.helpers import LogCapture
from tests.support import LiveServer


@pytest.fixture
def ctx(ctx: Context) -> Context:
    """The suite-wide ``ctx``, but audit events go to the ``hubauth.audit`` logger."""
    return dataclasses.replace(ctx, audit=log_audit)


@pytest.fixture
def logs() -> Iterator[LogCapture]:
    """Every record of the ``hubauth`` logger tree at DEBUG, whatever the configured level."""
    capture = LogCapture()
    root = logging.getLogger("hubauth")
    old_level = root.level
    root.addHandler(capture)
    root.setLevel(logging.DEBUG)
    try:
        yield capture
    finally:
        root.removeHandler(capture)
        root.setLevel(old_level)


REDIS_URL = "redis://127.0.0.1:6379/0"


@pytest.fixture
def live_server(
    database_url: str, server_env: dict[str, str]
) -> Iterator[Callable[..., LiveServer]]:
    """Start ``hubauth serve --workers 1`` (granian, a subprocess) on the test's database with
    extra ``HUBAUTH_*`` settings (``unset`` drops some of the suite's); every server started is
    stopped at the end of the test.
    ``redis=True`` shares the rate-limit counts through Redis under a fresh key prefix."""
    started: list[LiveServer] = []

    def start(
        *, redis: bool = False, unset: tuple[str, ...] = (), **settings: object
    ) -> LiveServer:
        env = {k: v for k, v in server_env.items() if k not in {env_name(u) for u in unset}}
        for key, value in settings.items():
            env[env_name(key)] = str(value).lower() if isinstance(value, bool) else str(value)
        if redis:
            env["HUBAUTH_REDIS_URL"] = REDIS_URL
            env["HUBAUTH_RATE_LIMIT_REDIS_PREFIX"] = f"hubauth-test:{secrets.token_hex(6)}:"
        server = LiveServer(database_url, env)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()
