"""A second ``serve --demo`` on a database another server is using refuses to re-seed the
demo under it (the first terminal's secret and password stay valid), on SQLite and
PostgreSQL; the first server's printed demo keeps working."""

from __future__ import annotations

import re
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from hubauth.cli.presence import presence_for
from hubauth.cli.serve import ALREADY_SERVING
from tests.cli.conftest import one_line, run
from tests.support import create_pg_database, drop_pg_database, free_port, hubauth_cmd


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'shared.db'}"
        return
    url = create_pg_database()
    yield url
    drop_pg_database(url)


def start_demo(
    database_url: str, env: dict[str, str], cwd: Path
) -> tuple[subprocess.Popen[str], str, int]:
    port = free_port()
    proc = subprocess.Popen(
        hubauth_cmd(
            "serve", "--demo", "--workers", "1", "--port", str(port), "--database", database_url
        ),
        env=env,
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert proc.stdout is not None
    printed = ""
    deadline = time.monotonic() + 30
    while "New codes:" not in printed:
        line = proc.stdout.readline()
        assert line or proc.poll() is None, printed
        printed += line
        assert time.monotonic() < deadline, printed
    for _ in range(300):
        try:
            httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
            break
        except httpx.TransportError:
            time.sleep(0.1)
    return proc, printed, port


def test_second_demo_start_refuses_and_the_first_demo_keeps_working(
    empty_database: str,
    server_env: dict[str, str],
    scratch: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    proc, printed, port = start_demo(empty_database, server_env, scratch)
    try:
        monkeypatch.setenv("HUBAUTH_SECRET_KEY", server_env["HUBAUTH_SECRET_KEY"])
        result = run(
            CliRunner(), "serve", "--demo", "--port", str(free_port()), "--database", empty_database
        )
        assert result.exit_code == 1
        assert one_line(result) == f"Error: {ALREADY_SERVING}"

        client_id = re.search(r"client_id ([0-9a-f-]{36})", printed)[1]  # type: ignore[index]
        secret = re.search(r"client_secret ([0-9a-f-]{36})", printed)[1]  # type: ignore[index]
        code = re.search(r"code=(na1-[0-9a-f-]+)", printed)[1]  # type: ignore[index]
        answer = httpx.post(
            f"http://127.0.0.1:{port}/oauth/v1/token",
            data={
                "grant_type": "authorization_code",
                "client_id": client_id,
                "client_secret": secret,
                "redirect_uri": "http://localhost:3000/oauth-callback",
                "code": code,
            },
        )
        assert answer.status_code == 200, answer.text
    finally:
        proc.terminate()
        proc.wait(timeout=20)
    # Once the first server has stopped, --demo may seed again: the lock went with it.
    presence = presence_for(empty_database)
    try:
        assert presence.try_exclusive()
    finally:
        presence.release()
