"""Lifecycle commands: ending installs (``hubauth installs uninstall``) and an app's public
keys for ``private_key_jwt`` (``hubauth apps keys set|show|clear``)."""

from __future__ import annotations

import json
from typing import TextIO

import click

from hubauth.cli.common import (
    async_command,
    database_option,
    emit,
    json_option,
    open_context,
    settings_from,
)
from hubauth.core import client_assertion, installs


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


@click.group("keys")
def app_keys() -> None:
    """Public keys for private_key_jwt client authentication (RFC 7523)."""


@app_keys.command("set")
@click.argument("app_id", type=click.IntRange(1, 2**31 - 1))
@click.argument("jwks_file", type=click.File("r"))
@database_option
@json_option
@async_command
async def set_keys(app_id: int, jwks_file: TextIO, database_url: str | None, as_json: bool) -> None:
    """Replace the app's public keys with those of JWKS_FILE: one JWK or a JWK Set (RFC 7517),
    RSA (RS256, >= 2048 bits) or EC P-256 (ES256), public parts only ("-" reads stdin)."""
    try:
        jwks = client_assertion.normalize_jwks(jwks_file.read())
    except client_assertion.BadKeys as exc:
        raise click.BadParameter(str(exc), param_hint="JWKS_FILE") from None
    settings = settings_from(database_url)
    async with open_context(settings) as ctx:
        if not await ctx.store.set_app_jwks(app_id, jwks, ctx.now_ms()):
            raise click.ClickException(f"no app {app_id}")
        ctx.audit("app_keys_changed", app_id=app_id, keys=len(json.loads(jwks)["keys"]))
    count = len(json.loads(jwks)["keys"])
    emit({"app_id": app_id, "keys": count}, as_json, f"app {app_id}: {count} key(s) registered")


@app_keys.command("show")
@click.argument("app_id", type=click.IntRange(1, 2**31 - 1))
@database_option
@async_command
async def show_keys(app_id: int, database_url: str | None) -> None:
    """Print the app's registered public keys as a JWK Set."""
    settings = settings_from(database_url)
    async with open_context(settings) as ctx:
        stored = await ctx.store.find_app_jwks(app_id)
    click.echo(stored if stored is not None else '{"keys":[]}')


@app_keys.command("clear")
@click.argument("app_id", type=click.IntRange(1, 2**31 - 1))
@database_option
@async_command
async def clear_keys(app_id: int, database_url: str | None) -> None:
    """Remove the app's keys: its client assertions are refused from then on."""
    settings = settings_from(database_url)
    async with open_context(settings) as ctx:
        if not await ctx.store.set_app_jwks(app_id, None, ctx.now_ms()):
            raise click.ClickException(f"no app {app_id}")
        ctx.audit("app_keys_changed", app_id=app_id, keys=0)
    click.echo(f"app {app_id}: keys removed")
