"""Every ``--help`` of the hubauth command reads as plain text: no reST/Markdown backticks
(issue 17: ``serve --help`` showed raw double backticks), and no help crashes."""

from __future__ import annotations

from collections.abc import Iterator

import click
import pytest
from click.testing import CliRunner

from hubauth.cli.main import cli


def command_paths(group: click.Group, prefix: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    yield prefix
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            yield from command_paths(command, (*prefix, name))
        else:
            yield (*prefix, name)


@pytest.mark.parametrize("path", list(command_paths(cli)), ids=" ".join)
def test_help_has_no_markup(path: tuple[str, ...]) -> None:
    result = CliRunner().invoke(cli, [*path, "--help"])
    assert result.exit_code == 0, result.output
    assert "`" not in result.output, result.output
    assert result.output.startswith("Usage: ")
