"""Entry point of the ``hubauth`` command."""

from __future__ import annotations

import click

from hubauth import __version__
from hubauth.cli.admin import apps, authorize, hubs, tokens_group, users
from hubauth.cli.config_cmd import config
from hubauth.cli.db import db
from hubauth.cli.keys import keys
from hubauth.cli.lifecycle import installs_group
from hubauth.cli.serve import serve
from hubauth.structure.cli import structure


@click.group()
@click.version_option(__version__, prog_name="hubauth")
def cli() -> None:
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
