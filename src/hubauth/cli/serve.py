"""``hubauth serve``: the production server (granian, multi-process)."""

from __future__ import annotations

import os

import click

from hubauth.cli.common import config_option, database_option, open_context, run, settings_from
from hubauth.cli.demo import instructions, seed
from hubauth.config import Settings
from hubauth.store import migrate


async def _prepare(settings: Settings, demo: bool) -> str | None:
    async with open_context(settings) as ctx:
        engine = ctx.store.engine  # type: ignore[attr-defined]
        if demo:
            await migrate.upgrade(engine)
            seeded = await seed(ctx)
            return instructions(seeded, settings.issuer, settings.auth_code_ttl)
        status = await migrate.status(engine)
        if not status.up_to_date:
            raise click.ClickException(
                f"database schema is at {status.current or 'nothing'} but this hubauth needs "
                f"{status.head}: run `hubauth db upgrade --database URL` first"
            )
    return None


@click.command()
@click.option("--host", default=None, help="Address to listen on (default 127.0.0.1).")
@click.option("--port", type=click.IntRange(1, 65535), default=None, help="Default 8080.")
@click.option("--workers", type=click.IntRange(1, 256), default=None, help="Default: CPU count.")
@click.option("--demo", is_flag=True, help="Migrate, seed the demo app/hub/user and print them.")
@database_option
@config_option
def serve(
    host: str | None,
    port: int | None,
    workers: int | None,
    demo: bool,
    database_url: str | None,
    config_file: str | None,
) -> None:
    """Serve the OAuth API."""
    from granian.constants import Interfaces
    from granian.server import Server

    settings = settings_from(database_url, config_file, host=host, port=port, workers=workers)
    # Worker processes rebuild settings from the environment: hand them what the flags said.
    os.environ["HUBAUTH_DATABASE_URL"] = settings.database_url
    os.environ["HUBAUTH_HOST"] = settings.host
    os.environ["HUBAUTH_PORT"] = str(settings.port)
    if config_file:
        os.environ["HUBAUTH_CONFIG"] = os.path.abspath(config_file)
    settings.server_key()  # create the key file once, before workers race for it
    text = run(_prepare(settings, demo))
    if text:
        click.echo(text)
    n_workers = settings.workers or os.cpu_count() or 1
    click.echo(f"hubauth listening on {settings.issuer} ({n_workers} worker(s))", err=True)
    Server(
        "hubauth.web.app:asgi_app_from_env",
        address=settings.host,
        port=settings.port,
        interface=Interfaces.ASGI,
        workers=n_workers,
        factory=True,
        log_access=False,
    ).serve()
