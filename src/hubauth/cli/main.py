"""Entry point of the ``hubauth`` command."""

from __future__ import annotations

import re
from typing import Any

import click

from hubauth import __version__
from hubauth.cli.admin import apps, authorize, hubs, list_installs, tokens_group, users
from hubauth.cli.config_cmd import config
from hubauth.cli.db import db
from hubauth.cli.keys import keys
from hubauth.cli.lifecycle import app_keys, installs_group
from hubauth.cli.serve import serve
from hubauth.structure.cli import structure


class _OneLineErrors(click.Group):
    """Anything a command did not turn into a message becomes one line, not a traceback
    (issue 17: everyday mistakes printed 137-209-line tracebacks); ``--debug`` shows it."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except Exception as exc:
            if ctx.params.get("debug"):
                raise
            raise click.ClickException(
                f"{type(exc).__name__}: {exc} (run `hubauth --debug ...` for the traceback)"
            ) from None


@click.group(cls=_OneLineErrors)
@click.version_option(__version__, prog_name="hubauth")
@click.option("--debug", is_flag=True, help="Show the traceback of an unexpected error.")
def cli(debug: bool) -> None:
    """hubauth: a HubSpot-compatible OAuth 2.0 authorization server."""


for command in (
    serve,
    db,
    apps,
    hubs,
    users,
    installs_group,
    authorize,
    tokens_group,
    keys,
    config,
    structure,
):
    cli.add_command(command)
installs_group.add_command(list_installs)

_INLINE_CODE = re.compile(r"``(.+?)``|`([^`]+?)`")


def _plain(text: str | None) -> str | None:
    """Docstrings and option help use reST/Markdown inline code; a terminal shows it as
    quotes (issue 17: ``serve --help`` printed raw double backticks)."""
    if text is None:
        return None
    return _INLINE_CODE.sub(lambda m: f"'{m[1] or m[2]}'", text)


def _plain_help(command: click.Command) -> None:
    command.help = _plain(command.help)
    command.short_help = _plain(command.short_help)
    for param in command.params:
        if isinstance(param, click.Option):
            param.help = _plain(param.help)
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            _plain_help(sub)


_plain_help(cli)
apps.add_command(app_keys)
