"""Each start-up mistake from issue 17 gets one line saying what to do, the right exit code
(2: the command line is wrong as written, 1: the world is not as expected), no traceback
unless ``--debug``, and leaves no file behind."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.cli.conftest import one_line, run
from tests.support import PG_ADMIN_URL, free_port

PG_BASE = PG_ADMIN_URL.rsplit("/", 1)[0]


@pytest.fixture
def held_port() -> Iterator[int]:
    """A port another server listens on the way granian does (SO_REUSEPORT set), which is
    the case a second ``hubauth serve`` used to share silently."""
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind(("127.0.0.1", 0))
        sock.listen(1)
        yield sock.getsockname()[1]


def serve(runner: CliRunner, *args: str, port: int | None = None) -> tuple[int, str]:
    result = run(runner, "serve", "--port", str(port or free_port()), "--workers", "1", *args)
    return result.exit_code, one_line(result)


def test_a_taken_port_is_refused_before_anything_is_printed(scratch: Path, held_port: int) -> None:
    code, line = serve(CliRunner(), "--demo", port=held_port)
    assert (code, line) == (1, f"Error: port {held_port} is in use; pick another with --port")
    assert list(scratch.iterdir()) == []


def test_two_slashes_suggest_three(scratch: Path) -> None:
    code, line = serve(CliRunner(), "--database", "sqlite://hubauth.db")
    assert code == 2
    assert "sqlite://hubauth.db has two slashes" in line
    assert "sqlite:///hubauth.db" in line
    assert list(scratch.iterdir()) == []


def test_a_missing_directory_is_named_and_nothing_is_left_behind(scratch: Path) -> None:
    code, line = serve(CliRunner(), "--demo", "--database", "sqlite:///no/such/dir/x.db")
    assert (code, line) == (
        1,
        "Error: no such directory: no/such/dir (from sqlite:///no/such/dir/x.db); create it first",
    )
    assert list(scratch.iterdir()) == [], "the key file must not outlive a failed start"


def test_a_missing_postgres_database_gets_the_createdb_command(scratch: Path) -> None:
    code, line = serve(CliRunner(), "--demo", "--database", f"{PG_BASE}/hubauth_no_such_db")
    assert code == 1
    assert "database 'hubauth_no_such_db' does not exist" in line
    assert line.endswith(" hubauth_no_such_db") and "create it with: createdb -h " in line
    assert list(scratch.iterdir()) == []


def test_an_unreachable_postgres_is_explained(scratch: Path) -> None:
    closed = free_port()  # nothing listens there
    code, line = serve(CliRunner(), "--database", f"postgresql://postgres@127.0.0.1:{closed}/test")
    assert (code, line) == (
        1,
        f"Error: cannot reach PostgreSQL at 127.0.0.1:{closed} (connection refused): "
        "is it running, and is the port right?",
    )


def test_an_unwritable_key_file_is_explained(
    scratch: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (scratch / "afile").write_text("")
    monkeypatch.setenv("HUBAUTH_SECRET_KEY_FILE", str(scratch / "afile" / "hubauth.key"))
    code, line = serve(CliRunner(), "--demo")
    assert code == 1
    assert line.startswith(f"Error: cannot create the server key file {scratch}/afile/hubauth.key")
    assert "set HUBAUTH_SECRET_KEY_FILE to a writable path, or HUBAUTH_SECRET_KEY" in line
    assert sorted(p.name for p in scratch.iterdir()) == ["afile"]


def test_debug_shows_the_traceback(scratch: Path) -> None:
    result = run(CliRunner(), "--debug", "serve", "--database", "sqlite:///no/such/dir/x.db")
    assert result.exit_code == 1
    assert isinstance(result.exception, FileNotFoundError | OSError)


def test_an_unexpected_error_is_one_line_without_debug(
    runner: CliRunner, scratch: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from hubauth.cli import admin

    async def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("the disk caught fire")

    monkeypatch.setattr(admin.directory, "list_hubs", broken)
    run(runner, "db", "upgrade")
    result = run(runner, "hubs", "list")
    assert result.exit_code == 1
    assert one_line(result) == (
        "Error: RuntimeError: the disk caught fire (run `hubauth --debug ...` for the traceback)"
    )
    assert isinstance(run(runner, "--debug", "hubs", "list").exception, RuntimeError)
