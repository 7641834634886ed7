"""One configuration model: environment and TOML validated at start-up with one clear line per
bad value, ``config show`` masking secrets, and the generated reference kept current."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from click.testing import CliRunner

from hubauth.cli.main import cli
from hubauth.config import ConfigError, Settings, load_settings
from hubauth.config_docs import render
from tests.support import ROOT, TEST_KEY


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(__import__("os").environ):
        if name.startswith("HUBAUTH_"):
            monkeypatch.delenv(name)


def toml(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "hubauth.toml"
    path.write_text(text)
    return path


def problem(exc: pytest.ExceptionInfo[ConfigError], key: str) -> str:
    # one problem reads as one line ("invalid configuration: KEY: ..."), several as a list
    text = str(exc.value).replace("invalid configuration: ", "invalid configuration:\n")
    lines = [line.strip() for line in text.splitlines() if line.strip().startswith(key)]
    assert len(lines) == 1, str(exc.value)
    return lines[0]


def test_unknown_toml_key_is_refused_with_a_suggestion(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as exc:
        load_settings(toml(tmp_path, "acces_token_ttl = 600\n"))
    line = problem(exc, "acces_token_ttl")
    assert "unknown setting" in line
    assert str(tmp_path / "hubauth.toml") in line
    assert "did you mean access_token_ttl?" in line


def test_unknown_environment_variable_is_refused_with_a_suggestion(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HUBAUTH_DATABSE_URL", "sqlite:///x.db")
    with pytest.raises(ConfigError) as exc:
        load_settings()
    line = problem(exc, "HUBAUTH_DATABSE_URL")
    assert "unknown setting" in line and "did you mean HUBAUTH_DATABASE_URL?" in line


def test_variables_that_are_not_settings_are_allowed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HUBAUTH_TEST_POSTGRES_URL", "postgresql://x@y/z")
    monkeypatch.setenv("HUBAUTH_JSON_STRUCTURE_ASSETS", "assets")
    assert load_settings().port == 8080


@pytest.mark.parametrize(
    ("key", "value", "says"),
    [
        ("public_url", "ftp://auth.example.com", "must start with http:// or https://"),
        ("public_url", "https://", "has no host name"),
        ("public_url", "https://auth.example.com/?x=1", "must not have a query or fragment"),
        ("database_url", "mysql://u@h/db", "unsupported database 'mysql'"),
        ("database_url", "sqlite:///:memory:", "in-memory SQLite"),
    ],
)
def test_bad_url_is_named_with_its_source(
    monkeypatch: pytest.MonkeyPatch, key: str, value: str, says: str
) -> None:
    monkeypatch.setenv(f"HUBAUTH_{key.upper()}", value)
    with pytest.raises(ConfigError) as exc:
        load_settings()
    line = problem(exc, key)
    assert says in line
    assert f"environment variable HUBAUTH_{key.upper()}" in line


@pytest.mark.parametrize(
    ("key", "value", "bounds"),
    [
        ("access_token_ttl", 59, "between 60 and 86400"),
        ("access_token_ttl", 86_401, "between 60 and 86400"),
        ("auth_code_ttl", 601, "between 10 and 600"),
        ("client_credentials_ttl", 0, "between 60 and 86400"),
        ("shutdown_timeout", 0, "between 1 and 600"),
    ],
)
def test_lifetime_out_of_range_gives_the_allowed_range_and_value(
    tmp_path: Path, key: str, value: int, bounds: str
) -> None:
    with pytest.raises(ConfigError) as exc:
        load_settings(toml(tmp_path, f"{key} = {value}\n"))
    line = problem(exc, key)
    assert bounds in line and f"got {value}" in line and "hubauth.toml" in line


def test_every_problem_is_reported_at_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HUBAUTH_PORT", "eighty")
    with pytest.raises(ConfigError) as exc:
        load_settings(toml(tmp_path, 'auth_code_ttl = 5\npublic_url = "x"\nnope = 1\n'))
    for key in ("port", "auth_code_ttl", "public_url", "nope"):
        problem(exc, key)


def test_a_short_secret_key_is_refused_without_echoing_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HUBAUTH_SECRET_KEY", "tooshort-secret")
    with pytest.raises(ConfigError) as exc:
        load_settings()
    assert "at least 32 characters" in problem(exc, "secret_key")
    assert "tooshort-secret" not in str(exc.value)


def test_malformed_toml_is_reported_with_its_path(tmp_path: Path) -> None:
    path = toml(tmp_path, "port = [\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_settings(path)


def test_precedence_is_option_then_environment_then_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = toml(tmp_path, 'port = 1000\nhost = "10.0.0.1"\naccess_token_ttl = 900\n')
    monkeypatch.setenv("HUBAUTH_PORT", "2000")
    monkeypatch.setenv("HUBAUTH_HOST", "10.0.0.2")
    settings = load_settings(path, host="10.0.0.3")
    assert (settings.host, settings.port, settings.access_token_ttl) == ("10.0.0.3", 2000, 900)


def test_config_show_prints_the_effective_config_with_secrets_masked(tmp_path: Path) -> None:
    path = toml(tmp_path, f'secret_key = "{TEST_KEY}"\naccess_token_ttl = 900\n')
    result = CliRunner().invoke(
        cli,
        ["config", "show", "--config", str(path), "--json", "--database",
         "postgresql://hubauth:db-password-123@db.internal/hubauth"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    shown = orjson.loads(result.output)
    assert shown["access_token_ttl"] == 900
    assert shown["secret_key"] == "********"
    assert shown["database_url"] == "postgresql://hubauth:***@db.internal/hubauth"
    assert TEST_KEY not in result.output and "db-password-123" not in result.output
    assert set(shown) == set(Settings.model_fields)


def test_config_show_fails_with_the_problem_list() -> None:
    result = CliRunner().invoke(cli, ["config", "show"], env={"HUBAUTH_ACCESS_TOKEN_TTL": "5"})
    assert result.exit_code == 2  # a usage error: the configuration is wrong as written
    assert "access_token_ttl: must be between 60 and 86400, got 5" in result.output


def test_configuration_reference_is_up_to_date() -> None:
    committed = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    assert committed == render(), "run: python scripts/gen_config_docs.py"


def test_configuration_reference_lists_every_setting_with_env_and_default() -> None:
    text = render()
    for name, field in Settings.model_fields.items():
        row = next(line for line in text.splitlines() if line.startswith(f"| `{name}` |"))
        assert f"`HUBAUTH_{name.upper()}`" in row
        if field.default not in (None, ""):
            assert str(getattr(field.default, "value", field.default)).lower() in row.lower()
