"""The hubauth command: admin commands, JSON output, errors, demo seeding and the schema gate."""

from __future__ import annotations

import re
import secrets

import orjson
import pytest
from click.testing import CliRunner

from hubauth.cli.main import cli
from tests.support import TEST_KEY


@pytest.fixture
def runner(monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("HUBAUTH_SECRET_KEY", TEST_KEY)
    return CliRunner()


def invoke(runner: CliRunner, *args: str) -> dict[str, object]:
    result = runner.invoke(cli, [*args, "--json"])
    assert result.exit_code == 0, result.output
    return orjson.loads(result.output)


def test_admin_commands_create_everything_and_authorize(
    runner: CliRunner, database_url: str
) -> None:
    db = ["--database", database_url]
    app = invoke(
        runner,
        "apps",
        "create",
        "--name",
        "CLI",
        "--redirect-uri",
        "https://cli.example.test/cb",
        "--scopes",
        "oauth",
        "--optional-scopes",
        "tickets",
        *db,
    )
    assert re.fullmatch(r"[0-9a-f-]{36}", str(app["client_secret"]))
    hub = invoke(runner, "hubs", "create", "--domain", "cli.example.test", *db)
    user = invoke(
        runner,
        "users",
        "create",
        "--email",
        f"cli{hub['hub_id']}@example.test",
        "--password",
        "correct horse",
        "--hub",
        str(hub["hub_id"]),
        *db,
    )
    out = invoke(
        runner,
        "authorize",
        "--client-id",
        str(app["client_id"]),
        "--hub-id",
        str(hub["hub_id"]),
        "--user-id",
        str(user["user_id"]),
        "--scopes",
        "oauth",
        "--optional-scopes",
        "tickets",
        "--redirect-uri",
        "https://cli.example.test/cb",
        *db,
    )
    assert str(out["redirect_url"]).startswith("https://cli.example.test/cb?code=na1-")


def test_authorize_refuses_unregistered_redirect_uri(runner: CliRunner, database_url: str) -> None:
    db = ["--database", database_url]
    app = invoke(
        runner,
        "apps",
        "create",
        "--name",
        "CLI2",
        "--redirect-uri",
        "https://ok.example.test/cb",
        "--scopes",
        "oauth",
        *db,
    )
    result = runner.invoke(
        cli,
        [
            "authorize",
            "--client-id",
            str(app["client_id"]),
            "--hub-id",
            "1",
            "--user-id",
            "1",
            "--scopes",
            "oauth",
            "--redirect-uri",
            "https://evil.example.test/cb",
            *db,
        ],
    )
    assert result.exit_code == 1
    assert "redirect_uri is not registered" in result.output


def test_duplicate_email_is_a_clear_error(runner: CliRunner, database_url: str) -> None:
    db = ["--database", database_url]
    email = f"dup-{secrets.token_hex(4)}@example.test"
    invoke(runner, "users", "create", "--email", email, *db)
    result = runner.invoke(cli, ["users", "create", "--email", email, *db])
    assert result.exit_code == 1
    assert "already exists" in result.output


def test_bad_database_url_is_explained(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["hubs", "create", "--domain", "x", "--database", "mysql://x/y"])
    assert result.exit_code == 2
    assert "unsupported database" in result.output


def test_revoke_command_reports_unknown_token(runner: CliRunner, database_url: str) -> None:
    result = runner.invoke(cli, ["tokens", "revoke", "na1-nothing", "--database", database_url])
    assert result.exit_code == 1
    assert "no live token" in result.output


def test_schema_status_and_upgrade_on_fresh_sqlite(runner: CliRunner, tmp_path) -> None:  # type: ignore[no-untyped-def]
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    status = invoke(runner, "db", "status", "--database", url)
    assert status["up_to_date"] is False and status["revision"] is None
    assert invoke(runner, "db", "upgrade", "--database", url)["revision"] == status["head"]
    assert invoke(runner, "db", "upgrade", "--database", url)["revision"] == status["head"]
    assert invoke(runner, "db", "status", "--database", url)["up_to_date"] is True


def test_demo_seed_is_idempotent_and_prints_working_code(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import asyncio

    from hubauth.cli.common import open_context
    from hubauth.cli.demo import instructions, seed
    from hubauth.config import Settings
    from hubauth.core import grants
    from hubauth.store import migrate

    settings = Settings(database_url=f"sqlite:///{tmp_path / 'demo.db'}", secret_key=TEST_KEY)

    async def run() -> None:
        async with open_context(settings) as ctx:
            await migrate.upgrade(ctx.store.engine)  # type: ignore[attr-defined]
            first = await seed(ctx)
            second = await seed(ctx)
            assert (first.app_id, first.hub_id, first.user_id) == (
                second.app_id,
                second.hub_id,
                second.user_id,
            )
            assert first.client_secret != second.client_secret
            text = instructions(second, "http://127.0.0.1:8080", 300)
            assert second.client_secret in text and second.code in text
            assert "/oauth/authorize?client_id=" in text
            app = await ctx.store.find_app(second.app_id)
            assert app is not None
            issued = await grants.authorization_code(ctx, app, second.code, second.redirect_uri)
            assert issued.refresh_token

    asyncio.run(run())
