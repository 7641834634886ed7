"""Local exposure (issue 15, problem 7): a user's password need not appear on a command line
(``ps`` shows it to every local user), and a new SQLite database, its -wal and its -shm are
readable by their owner only (they hold argon2 hashes and e-mail addresses; they were 0644)."""

from __future__ import annotations

import os
import secrets
import stat
import subprocess
from pathlib import Path

import httpx
import orjson
import pytest

from hubauth.core.context import Context
from hubauth.core.passwords import verify_password
from tests.support import LiveServer, hubauth_cmd


def _create_user(
    env: dict[str, str], database_url: str, *args: str, stdin: str = ""
) -> subprocess.CompletedProcess[bytes]:
    email = f"local-{secrets.token_hex(4)}@example.test"
    return subprocess.run(
        hubauth_cmd(
            "users", "create", "--email", email, "--json", "--database", database_url, *args
        ),
        env=env,
        input=stdin.encode(),
        capture_output=True,
        timeout=120,
    )


async def _password_of(ctx: Context, out: bytes) -> str | None:
    user = await ctx.store.find_user(int(orjson.loads(out)["user_id"]))
    assert user is not None
    return user.password_hash


@pytest.mark.parametrize("source", ["stdin", "environment", "prompt"])
async def test_users_create_takes_the_password_off_the_command_line(
    ctx: Context, database_url: str, server_env: dict[str, str], source: str
) -> None:
    password = "pw-" + secrets.token_hex(8)
    env = dict(server_env)
    if source == "stdin":
        done = _create_user(env, database_url, "--password-stdin", stdin=password + "\n")
    elif source == "environment":
        env["HUBAUTH_USER_PASSWORD"] = password
        done = _create_user(env, database_url)
    else:
        done = _create_user(env, database_url, "--password-prompt", stdin=f"{password}\n" * 2)
    assert done.returncode == 0, done.stderr.decode()
    assert password.encode() not in done.stdout + done.stderr
    stored = await _password_of(ctx, done.stdout.splitlines()[-1])
    assert verify_password(password, stored)


def test_two_password_sources_are_refused(database_url: str, server_env: dict[str, str]) -> None:
    env = {**server_env, "HUBAUTH_USER_PASSWORD": "from-env"}
    done = _create_user(env, database_url, "--password-stdin", stdin="from-stdin\n")
    assert done.returncode == 2
    assert b"one way only" in done.stderr


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_new_sqlite_database_and_its_wal_and_shm_are_private(
    tmp_path: Path, server_env: dict[str, str]
) -> None:
    old_umask = os.umask(0o022)  # the usual umask, under which files were 0644
    try:
        db = tmp_path / "private.db"
        url = f"sqlite:///{db}"
        upgrade = subprocess.run(
            hubauth_cmd("db", "upgrade", "--database", url),
            env=server_env,
            capture_output=True,
            timeout=120,
        )
        assert upgrade.returncode == 0, upgrade.stderr.decode()
        server = LiveServer(url, server_env)
        try:
            assert httpx.get(server.url + "/healthz", timeout=10).status_code == 200
            files = [db, Path(f"{db}-wal"), Path(f"{db}-shm")]
            assert all(f.exists() for f in files), list(tmp_path.iterdir())
            for f in files:
                assert _mode(f) == 0o600, (f.name, oct(_mode(f)))
        finally:
            server.stop()
    finally:
        os.umask(old_umask)
