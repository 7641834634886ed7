"""Admin control of the per-app refresh policy: ``hubauth apps set-refresh-policy`` and the
``default_refresh_policy`` setting for apps created without ``--refresh-policy``."""

from __future__ import annotations

import asyncio

import orjson
import pytest
from click.testing import CliRunner

from hubauth.cli.main import cli
from hubauth.core.models import RefreshPolicy
from hubauth.store.sql import SqlStore
from tests.support import TEST_KEY


@pytest.fixture
def runner(monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("HUBAUTH_SECRET_KEY", TEST_KEY)
    monkeypatch.delenv("HUBAUTH_DEFAULT_REFRESH_POLICY", raising=False)
    return CliRunner()


def create_app(runner: CliRunner, database_url: str, *extra: str) -> int:
    result = runner.invoke(
        cli,
        [
            "apps",
            "create",
            "--name",
            "Policy",
            "--redirect-uri",
            "https://policy.example.test/cb",
            "--scopes",
            "oauth",
            "--database",
            database_url,
            "--json",
            *extra,
        ],
    )
    assert result.exit_code == 0, result.output
    return int(orjson.loads(result.output)["app_id"])


def stored_policy(database_url: str, app_id: int) -> RefreshPolicy:
    """Read back through a store of its own (the CLI runs its own event loop)."""

    async def read() -> RefreshPolicy:
        store = SqlStore.from_url(database_url, pool_size=1)
        try:
            app = await store.find_app(app_id)
            assert app is not None
            return app.refresh_policy
        finally:
            await store.close()

    return asyncio.run(read())


def test_set_refresh_policy_switches_the_app_both_ways(
    runner: CliRunner, database_url: str
) -> None:
    app_id = create_app(runner, database_url)
    for policy in ("rotate", "static"):
        result = runner.invoke(
            cli,
            [
                "apps",
                "set-refresh-policy",
                str(app_id),
                policy,
                "--database",
                database_url,
                "--json",
            ],
        )
        assert result.exit_code == 0, result.output
        assert orjson.loads(result.output) == {"app_id": app_id, "refresh_policy": policy}
        assert stored_policy(database_url, app_id) is RefreshPolicy(policy)


def test_set_refresh_policy_on_an_unknown_app_fails_clearly(
    runner: CliRunner, database_url: str
) -> None:
    result = runner.invoke(
        cli, ["apps", "set-refresh-policy", "2147483000", "rotate", "--database", database_url]
    )
    assert result.exit_code == 1
    assert "no app 2147483000" in result.output


def test_set_refresh_policy_refuses_an_unknown_policy(runner: CliRunner, database_url: str) -> None:
    result = runner.invoke(
        cli, ["apps", "set-refresh-policy", "1", "sometimes", "--database", database_url]
    )
    assert result.exit_code == 2
    assert "'static'" in result.output and "'rotate'" in result.output


def test_new_apps_follow_the_default_refresh_policy_setting(
    runner: CliRunner, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    plain = create_app(runner, database_url)
    monkeypatch.setenv("HUBAUTH_DEFAULT_REFRESH_POLICY", "rotate")
    defaulted = create_app(runner, database_url)
    explicit = create_app(runner, database_url, "--refresh-policy", "static")
    policies = [stored_policy(database_url, i) for i in (plain, defaulted, explicit)]
    assert policies == [RefreshPolicy.STATIC, RefreshPolicy.ROTATE, RefreshPolicy.STATIC]


def test_an_invalid_default_refresh_policy_is_a_configuration_error(
    runner: CliRunner, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HUBAUTH_DEFAULT_REFRESH_POLICY", "sometimes")
    result = runner.invoke(
        cli,
        [
            "apps",
            "create",
            "--name",
            "x",
            "--redirect-uri",
            "https://x.test/cb",
            "--scopes",
            "oauth",
            "--database",
            database_url,
        ],
    )
    assert result.exit_code == 2  # a configuration error is a usage error
    assert "HUBAUTH_DEFAULT_REFRESH_POLICY" in result.output


def stored_grace(database_url: str, app_id: int) -> int | None:
    async def read() -> int | None:
        store = SqlStore.from_url(database_url, pool_size=1)
        try:
            app = await store.find_app(app_id)
            assert app is not None
            return app.rotation_grace_s
        finally:
            await store.close()

    return asyncio.run(read())


def test_set_rotation_grace_overrides_and_restores_the_setting(
    runner: CliRunner, database_url: str
) -> None:
    app_id = create_app(runner, database_url, "--refresh-policy", "rotate")
    assert stored_grace(database_url, app_id) is None
    for value, expected in (("0", 0), ("120", 120), ("default", None)):
        result = runner.invoke(
            cli,
            ["apps", "set-rotation-grace", str(app_id), value, "--database", database_url],
        )
        assert result.exit_code == 0, result.output
        assert stored_grace(database_url, app_id) == expected
    refused = runner.invoke(
        cli, ["apps", "set-rotation-grace", str(app_id), "301", "--database", database_url]
    )
    assert refused.exit_code == 2 and "SECONDS" in refused.output
    missing = runner.invoke(
        cli, ["apps", "set-rotation-grace", "999999", "5", "--database", database_url]
    )
    assert missing.exit_code == 1 and "no app 999999" in missing.output
