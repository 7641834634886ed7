"""HubSpot's App Uninstalls API (``DELETE /appinstalls/{v}/external-install``), the CLI and the
pytest plugin's ``uninstall()``: one core function, the same end state."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest
from click.testing import CliRunner

from hubauth.cli.main import cli
from hubauth.core.clock import FrozenClock
from hubauth.core.context import Context
from tests.lifecycle.conftest import AuditRecord
from tests.security.helpers import access_alive, issue, refresh, refresh_alive
from tests.support import official_check, seed

VERSIONS = ("v3", "2026-03", "2026-09")


def uninstall_path(version: str) -> str:
    return f"/appinstalls/{version}/external-install"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.mark.parametrize("version", VERSIONS)
async def test_uninstall_with_the_installs_access_token_ends_the_install_and_only_it(
    client: httpx.AsyncClient, ctx: Context, audit: AuditRecord, version: str
) -> None:
    s = await seed(ctx)
    first, second = await issue(client, ctx, s), await issue(client, ctx, s)
    other_app = await seed(ctx)  # another app; same shape, its own hub
    other = await issue(client, ctx, other_app)

    response = await client.delete(uninstall_path(version), headers=bearer(first["access_token"]))

    assert response.status_code == 204, response.text
    assert response.content == b""
    for pair in (first, second):
        assert not await access_alive(client, pair["access_token"])
        assert not await refresh_alive(client, pair["refresh_token"])
    refreshed = await refresh(client, s, second["refresh_token"])
    assert refreshed.json()["status"] == "BAD_REFRESH_TOKEN"
    assert await access_alive(client, other["access_token"])
    assert await refresh_alive(client, other["refresh_token"])
    assert audit.named("app_uninstalled") == [
        {"via": "api", "app_id": s.app_id, "hub_id": s.hub_id, "installs": 1}
    ]


async def test_uninstall_leaves_the_hubs_other_apps_installed(
    client: httpx.AsyncClient, ctx: Context
) -> None:
    s = await seed(ctx)
    mine = await issue(client, ctx, s)
    # A second app installed on the same hub by the same user.
    neighbour = await seed(ctx)
    await ctx.store.add_hub_member(s.hub_id, neighbour.user_id)
    neighbour.hub_id = s.hub_id
    theirs = await issue(client, ctx, neighbour)

    response = await client.delete(uninstall_path("v3"), headers=bearer(mine["access_token"]))

    assert response.status_code == 204
    assert not await refresh_alive(client, mine["refresh_token"])
    assert await access_alive(client, theirs["access_token"])
    assert await refresh_alive(client, theirs["refresh_token"])


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer"},
        {"Authorization": "Bearer not-a-token"},
        {"Authorization": "Basic dXNlcjpwYXNz"},
        {"Authorization": "Bearer " + "C" * 2000},
    ],
    ids=["missing", "empty", "unknown", "basic", "oversized"],
)
async def test_uninstall_without_a_live_access_token_is_401_in_hubspots_error_shape(
    client: httpx.AsyncClient, ctx: Context, headers: dict[str, str]
) -> None:
    s = await seed(ctx)
    pair = await issue(client, ctx, s)

    response = await client.delete(uninstall_path("v3"), headers=headers)

    assert response.status_code == 401
    body = response.json()
    official_check("error", body)
    assert body["category"] == "INVALID_AUTHENTICATION"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert await refresh_alive(client, pair["refresh_token"])


async def test_second_uninstall_with_the_same_token_is_answered_as_a_dead_token(
    client: httpx.AsyncClient, ctx: Context
) -> None:
    s = await seed(ctx)
    pair = await issue(client, ctx, s)
    first = await client.delete(uninstall_path("v3"), headers=bearer(pair["access_token"]))
    unknown = await client.delete(uninstall_path("v3"), headers=bearer("C" + "x" * 147))

    again = await client.delete(uninstall_path("2026-03"), headers=bearer(pair["access_token"]))

    assert first.status_code == 204
    assert again.status_code == unknown.status_code == 401
    assert again.json()["message"] == unknown.json()["message"]


async def test_uninstall_refuses_expired_and_app_level_tokens(
    client: httpx.AsyncClient, ctx: Context, clock: FrozenClock
) -> None:
    s = await seed(ctx)
    app_token = await client.post(
        "/oauth/v1/token", data={"grant_type": "client_credentials", "scope": "oauth", **s.creds()}
    )
    assert app_token.status_code == 200, app_token.text
    pair = await issue(client, ctx, s)

    as_app = await client.delete(
        uninstall_path("v3"), headers=bearer(app_token.json()["access_token"])
    )
    clock.advance(1801)
    expired = await client.delete(uninstall_path("v3"), headers=bearer(pair["access_token"]))

    assert as_app.status_code == expired.status_code == 401
    assert await refresh_alive(client, pair["refresh_token"])


async def test_cli_uninstall_goes_through_the_same_core_function(
    client: httpx.AsyncClient, ctx: Context, database_url: str, server_env: dict[str, str]
) -> None:
    s = await seed(ctx)
    pair = await issue(client, ctx, s)
    runner = CliRunner(env={"HUBAUTH_SECRET_KEY": server_env["HUBAUTH_SECRET_KEY"]})
    args = ["installs", "uninstall", "--app", str(s.app_id), "--hub", str(s.hub_id)]

    # The CLI runs its own event loop (as from a shell): give it a thread.
    result = await asyncio.to_thread(
        runner.invoke, cli, [*args, "--database", database_url, "--json"]
    )
    again = await asyncio.to_thread(runner.invoke, cli, [*args, "--database", database_url])

    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == {
        "app_id": s.app_id,
        "hub_id": s.hub_id,
        "installs_ended": 1,
    }
    assert not await refresh_alive(client, pair["refresh_token"])
    assert not await access_alive(client, pair["access_token"])
    assert again.exit_code == 1
    assert "no live install" in again.output
