"""Lifecycle commands: ending installs (``hubauth installs uninstall``)."""

from __future__ import annotations

import click

from hubauth.cli.common import (
    async_command,
    database_option,
    emit,
    json_option,
    open_context,
    settings_from,
)
from hubauth.core import installs


@click.group("installs")
def installs_group() -> None:
    """App installs on hubs."""


@installs_group.command("uninstall")
@click.option("--app", "app_id", type=click.IntRange(1, 2**31 - 1), required=True)
@click.option("--hub", "hub_id", type=click.IntRange(1, 2**31 - 1), required=True)
@database_option
@json_option
@async_command
async def uninstall(app_id: int, hub_id: int, database_url: str | None, as_json: bool) -> None:
    """Uninstall an app from a hub, as HubSpot's App Uninstalls API does: every refresh and
    access token of that app on that hub is revoked; the hub's other apps are untouched."""
    settings = settings_from(database_url)
    async with open_context(settings) as ctx:
        ended = await installs.uninstall(ctx, app_id, hub_id, via="cli")
    if not ended:
        raise click.ClickException(f"app {app_id} has no live install on hub {hub_id}")
    emit(
        {"app_id": app_id, "hub_id": hub_id, "installs_ended": ended},
        as_json,
        f"app {app_id} uninstalled from hub {hub_id}",
    )
