"""The hubauth command as a newcomer meets it: run in a scratch directory, with the variables
``serve`` hands its workers restored afterwards."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from click.testing import CliRunner, Result

from hubauth.cli.main import cli
from tests.support import TEST_KEY

#: serve writes these for its worker processes; in-process runs must not leak them.
SERVE_ENV = ("HUBAUTH_DATABASE_URL", "HUBAUTH_HOST", "HUBAUTH_PORT", "HUBAUTH_CONFIG")


@pytest.fixture
def scratch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    for name in SERVE_ENV:
        monkeypatch.setenv(name, "placeholder")  # remembered, restored at teardown
        monkeypatch.delenv(name)
    monkeypatch.delenv("HUBAUTH_SECRET_KEY", raising=False)
    monkeypatch.delenv("HUBAUTH_SECRET_KEY_FILE", raising=False)
    return tmp_path


@pytest.fixture
def runner(monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("HUBAUTH_SECRET_KEY", TEST_KEY)
    return CliRunner()


def run(runner: CliRunner, *args: str) -> Result:
    return runner.invoke(cli, list(args))


def run_json(runner: CliRunner, *args: str) -> dict[str, object]:
    result = runner.invoke(cli, [*args, "--json"])
    assert result.exit_code == 0, result.output
    return orjson.loads(result.output)


def one_line(result: Result) -> str:
    """The whole output, which must be a single line."""
    lines = result.output.splitlines()
    assert len(lines) == 1, result.output
    return lines[0]
