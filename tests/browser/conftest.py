"""Browser fixtures: Debian's Chromium via Playwright, a live ``hubauth serve`` on each backend,
and a callback server standing in for the app."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from hubauth.core.context import Policy
from hubauth.core.redirect_uris import RegistrationPolicy
from tests.browser.callback import CallbackServer
from tests.browser.chromium import CHROMIUM, LAUNCH_ARGS, in_ci, missing_reason
from tests.support import LiveServer


@pytest.fixture(scope="session")
def chromium_path() -> str:
    reason = missing_reason()
    if reason is not None:
        if in_ci():
            pytest.fail(f"browser tests must run in CI: {reason}")
        pytest.skip(reason)
    return str(CHROMIUM)


@pytest.fixture
async def browser(chromium_path: str) -> AsyncIterator[object]:
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        launched = await pw.chromium.launch(executable_path=chromium_path, args=LAUNCH_ARGS)
        try:
            yield launched
        finally:
            await launched.close()


@pytest.fixture
def live_server(database_url: str, server_env: dict[str, str]) -> Iterator[LiveServer]:
    server = LiveServer(database_url, server_env)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def callback() -> Iterator[CallbackServer]:
    server = CallbackServer()
    try:
        yield server
    finally:
        server.close()


@pytest.fixture
def policy() -> Policy:
    """The callback server listens on a loopback IP literal (``http://127.0.0.1:PORT``), which
    only the rfc8252 registration policy lets an app register."""
    return Policy(redirect_uri_policy=RegistrationPolicy.RFC8252)
