"""``hubauth config``: the effective configuration."""

from __future__ import annotations

import click

from hubauth.cli.common import config_option, database_option, emit, json_option, settings_from


@click.group()
def config() -> None:
    """Configuration."""


@config.command()
@database_option
@config_option
@json_option
def show(database_url: str | None, config_file: str | None, as_json: bool) -> None:
    """Print the effective configuration (secrets masked)."""
    emit(settings_from(database_url, config_file).masked(), as_json)
