"""``hubauth keys``: server-key rotation (status, generate). Runbook: docs/operations.md."""

from __future__ import annotations

import secrets

import click
import orjson

from hubauth.cli.common import (
    async_command,
    database_option,
    json_option,
    open_context,
    settings_from,
)
from hubauth.core.key_status import KINDS, KeyRole, key_usage
from hubauth.core.keys import server_key


@click.group()
def keys() -> None:
    """Server keys: what depends on each, and new ones for rotation."""


@keys.command("status")
@database_option
@json_option
@async_command
async def status(database_url: str | None, as_json: bool) -> None:
    """How many live stored secrets still depend on each server key.

    A listed key other than the newest can be dropped once its total is 0 (refresh tokens and
    client secrets move to the newest key on their next use; codes and access tokens expire).
    """
    settings = settings_from(database_url)
    async with open_context(settings) as ctx:
        usage = await key_usage(ctx)
    rows = [
        {
            "key_id": u.key_id,
            "role": u.role.value,
            **u.counts,
            "total": u.total,
            "droppable": u.droppable,
        }
        for u in usage
    ]
    if as_json:
        click.echo(orjson.dumps({"keys": rows}).decode())
        return
    columns = ["key_id", "role", *KINDS.values(), "total"]
    widths = [max(len(c), *(len(str(r[c])) for r in rows)) for c in columns]
    click.echo("  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True)))
    for r in rows:
        click.echo("  ".join(str(r[c]).ljust(w) for c, w in zip(columns, widths, strict=True)))
    for u in usage:
        if u.droppable and u.role is KeyRole.LISTED:
            click.echo(f"{u.key_id}: nothing depends on it any more; it can be dropped")
        elif u.role is KeyRole.UNLISTED and u.total:
            click.echo(f"{u.key_id}: {u.total} stored secret(s) under a key no longer listed")


@keys.command("generate")
def generate() -> None:
    """Print a new random server key and its id (add it first in HUBAUTH_SECRET_KEYS)."""
    secret = secrets.token_hex(32)
    click.echo(f"{server_key(secret.encode()).key_id} {secret}")
