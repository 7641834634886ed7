"""apps list/show/delete/rotate-secret, hubs/users/installs list, each with --json, and the
scope checks of ``apps create``: on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Callable
from typing import Any, TypeVar

import pytest
from click.testing import CliRunner

from hubauth.core import clients, errors, grants
from hubauth.core.clock import FrozenClock
from hubauth.core.context import Context
from tests.cli.conftest import one_line, run, run_json

REDIRECT = "https://admin.example.test/cb"
T = TypeVar("T")


async def off_loop(fn: Callable[..., T], *args: Any) -> T:
    """The command runs its own event loop (asyncio.run): give it a thread in async tests."""
    return await asyncio.to_thread(fn, *args)


def new_app(runner: CliRunner, db: str, *extra: str) -> dict[str, object]:
    return run_json(
        runner,
        "apps",
        "create",
        "--name",
        f"admin-{secrets.token_hex(3)}",
        "--redirect-uri",
        REDIRECT,
        "--scopes",
        "oauth crm.objects.contacts.read",
        "--database",
        db,
        *extra,
    )


def installed(runner: CliRunner, db: str) -> tuple[dict[str, object], int, int, str]:
    """An app installed in a fresh hub by a fresh user; returns the app, hub, user and code."""
    app = new_app(runner, db)
    hub = run_json(runner, "hubs", "create", "--domain", "admin.example.test", "--database", db)
    user = run_json(
        runner,
        "users",
        "create",
        "--email",
        f"admin-{secrets.token_hex(4)}@example.test",
        "--hub",
        str(hub["hub_id"]),
        "--database",
        db,
    )
    code = run_json(
        runner,
        "authorize",
        "--client-id",
        str(app["client_id"]),
        "--hub-id",
        str(hub["hub_id"]),
        "--user-id",
        str(user["user_id"]),
        "--scopes",
        "oauth crm.objects.contacts.read",
        "--redirect-uri",
        REDIRECT,
        "--database",
        db,
    )["code"]
    return app, int(hub["hub_id"]), int(user["user_id"]), str(code)  # type: ignore[call-overload]


def test_lists_show_what_was_created(runner: CliRunner, database_url: str) -> None:
    app, hub_id, user_id, _ = installed(runner, database_url)
    db = ("--database", database_url)
    listed = run_json(runner, "apps", "list", *db)["apps"]
    mine = next(a for a in listed if a["app_id"] == app["app_id"])  # type: ignore[union-attr]
    assert mine["client_id"] == app["client_id"] and mine["active_installs"] == 1
    assert "client_secret" not in mine
    shown = run_json(runner, "apps", "show", str(app["client_id"]), *db)
    assert shown == mine
    hubs = run_json(runner, "hubs", "list", *db)["hubs"]
    assert {"hub_id": hub_id, "members": [user_id]}.items() <= next(
        h
        for h in hubs
        if h["hub_id"] == hub_id  # type: ignore[union-attr]
    ).items()
    users = run_json(runner, "users", "list", *db)["users"]
    me = next(u for u in users if u["user_id"] == user_id)  # type: ignore[union-attr]
    assert me["hubs"] == [hub_id] and me["can_sign_in"] is False
    installs = run_json(runner, "installs", "list", "--app", str(app["app_id"]), *db)
    assert [(i["hub_id"], i["user_id"]) for i in installs["installs"]] == [(hub_id, user_id)]  # type: ignore[union-attr,index]
    text = run(runner, "apps", "list", *db).output.splitlines()
    assert text[0].split() == ["APP", "CLIENT_ID", "POLICY", "INSTALLS", "NAME"]
    assert any(str(app["client_id"]) in line for line in text[1:])


async def test_delete_revokes_every_token_of_the_app(
    runner: CliRunner, database_url: str, ctx: Context
) -> None:
    app, _, _, code = await off_loop(installed, runner, database_url)
    found = await ctx.store.find_app(int(app["app_id"]))  # type: ignore[call-overload]
    assert found is not None
    issued = await grants.authorization_code(ctx, found, code, REDIRECT)
    result = await off_loop(
        run, runner, "apps", "delete", str(app["app_id"]), "--yes", "--database", database_url
    )
    assert result.exit_code == 0, result.output
    assert "revoked 1 refresh token(s), 1 access token(s), 1 code(s), 1 install(s)" in result.output
    assert await ctx.store.find_refresh_token(ctx.hasher.hash(issued.refresh_token)) is None
    assert await ctx.store.find_access_token(ctx.hasher.hash(issued.access_token)) is None
    with pytest.raises(errors.TokenError):
        await clients.authenticate(ctx, str(app["client_id"]), str(app["client_secret"]))
    again = await off_loop(
        run, runner, "apps", "delete", str(app["app_id"]), "--yes", "--database", database_url
    )
    assert again.exit_code == 1
    assert one_line(again) == (f"Error: no app {app['app_id']}; `hubauth apps list` shows the apps")


async def test_rotate_secret_with_grace_accepts_both_until_the_grace_ends(
    runner: CliRunner, database_url: str, ctx: Context, clock: FrozenClock
) -> None:
    app = await off_loop(new_app, runner, database_url)
    client_id, old = str(app["client_id"]), str(app["client_secret"])
    rotated = await off_loop(
        run_json,
        runner,
        "apps",
        "rotate-secret",
        client_id,
        "--grace",
        "600",
        "--database",
        database_url,
    )
    new = str(rotated["client_secret"])
    assert new != old and rotated["previous_secret_valid_until"]
    assert (await clients.authenticate(ctx, client_id, new)).client_id == client_id
    assert (await clients.authenticate(ctx, client_id, old)).client_id == client_id
    clock.advance(601)
    assert (await clients.authenticate(ctx, client_id, new)).client_id == client_id
    with pytest.raises(errors.TokenError):
        await clients.authenticate(ctx, client_id, old)


async def test_rotate_secret_without_grace_stops_the_old_secret_at_once(
    runner: CliRunner, database_url: str, ctx: Context
) -> None:
    app = await off_loop(new_app, runner, database_url)
    client_id = str(app["client_id"])
    rotated = await off_loop(
        run_json, runner, "apps", "rotate-secret", client_id, "--database", database_url
    )
    assert rotated["previous_secret_valid_until"] is None
    with pytest.raises(errors.TokenError):
        await clients.authenticate(ctx, client_id, str(app["client_secret"]))
    await clients.authenticate(ctx, client_id, str(rotated["client_secret"]))


@pytest.mark.parametrize(
    ("scopes", "optional", "line"),
    [
        (
            "oauth crm.contacts.reed",
            "",
            "Error: crm.contacts.reed is not a HubSpot scope; did you mean "
            "crm.objects.contacts.read? (--custom-scopes allows names that are not)",
        ),
        (
            "oauth,tickets",
            "",
            'Error: --scopes: separate scopes with spaces, not commas: "oauth tickets"',
        ),
        (
            "oauth tickets",
            "tickets",
            "Error: a scope cannot be both required and optional: tickets",
        ),
        ("", "", "Error: --scopes: an app needs at least one scope"),
    ],
)
def test_scope_mistakes_are_usage_errors_in_one_line(
    runner: CliRunner, database_url: str, scopes: str, optional: str, line: str
) -> None:
    result = run(
        runner,
        "apps",
        "create",
        "--name",
        "scopes",
        "--redirect-uri",
        REDIRECT,
        "--scopes",
        scopes,
        "--optional-scopes",
        optional,
        "--database",
        database_url,
    )
    assert result.exit_code == 2
    assert one_line(result) == line


def test_custom_scopes_are_allowed_with_the_flag(runner: CliRunner, database_url: str) -> None:
    app = run_json(
        runner,
        "apps",
        "create",
        "--name",
        "custom",
        "--redirect-uri",
        REDIRECT,
        "--scopes",
        "oauth acme.widgets.read",
        "--custom-scopes",
        "--database",
        database_url,
    )
    shown = run_json(runner, "apps", "show", str(app["app_id"]), "--database", database_url)
    assert shown["scopes"] == ["oauth", "acme.widgets.read"]
