"""Ending an install: HubSpot's App Uninstalls API, the CLI and the pytest plugin.

HubSpot's ``DELETE /appinstalls/v3/external-install`` (and its dated twins 2026-03, 2026-09;
https://developers.hubspot.com/docs/api-reference/latest/app-management/app-uninstalls) is
authenticated by an access token of the install and ends that install. Every caller that
uninstalls goes through :func:`uninstall`, so the API, ``hubauth installs uninstall`` and
``HubAuthServer.uninstall()`` leave the same state and the same audit event.
"""

from __future__ import annotations

from hubauth.core.context import Context
from hubauth.core.errors import TokenNotFound
from hubauth.core.metadata import live_access_token


async def uninstall(ctx: Context, app_id: int, hub_id: int, *, via: str) -> int:
    """End every install of ``app_id`` on ``hub_id``: the installs are marked uninstalled and
    every refresh and access token of that app on that hub is revoked, in one transaction in the
    shared database (so every node sees it at once). The hub's other apps are untouched.

    Returns how many installs were live (one per installing user; 0 if none was).
    """
    ended = await ctx.store.uninstall(app_id, hub_id, ctx.now_ms())
    ctx.audit("app_uninstalled", via=via, app_id=app_id, hub_id=hub_id, installs=ended)
    return ended


async def uninstall_with_access_token(ctx: Context, token: str) -> int:
    """The App Uninstalls API: the bearer access token names the app and the hub.

    A missing, unknown, expired or revoked token raises :class:`TokenNotFound`, and so does an
    app-level token (client_credentials): it belongs to no install. A second call with the same
    token therefore fails as a dead token does, since the first revoked it.
    """
    record, _ = await live_access_token(ctx, token)
    if record.hub_id is None:
        raise TokenNotFound
    return await uninstall(ctx, record.app_id, record.hub_id, via="api")
