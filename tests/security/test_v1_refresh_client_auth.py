"""v1 refresh-token GET and DELETE with client authentication (issue 15, problem 9), against
``hubauth serve``. HubSpot's default, kept: anyone holding a refresh token may read its
metadata (the user's e-mail) and delete it. ``HUBAUTH_V1_REFRESH_TOKEN_CLIENT_AUTH=true``
also requires the owning app's credentials (HTTP Basic)."""

from __future__ import annotations

from collections.abc import Callable

import httpx

from hubauth.core.context import Context
from tests.security.helpers import issue
from tests.support import LiveServer, Seed, seed


async def test_by_default_the_token_alone_suffices_as_at_hubspot(
    live_server: Callable[..., LiveServer], ctx: Context, seeded: Seed
) -> None:
    server = live_server()
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as http:
        rt = (await issue(http, ctx, seeded))["refresh_token"]
        assert (await http.get(f"/oauth/v1/refresh-tokens/{rt}")).json()["user"] == seeded.email
        assert (await http.delete(f"/oauth/v1/refresh-tokens/{rt}")).status_code == 204


async def test_the_opt_in_setting_requires_the_owning_clients_credentials(
    live_server: Callable[..., LiveServer], ctx: Context, seeded: Seed
) -> None:
    server = live_server(v1_refresh_token_client_auth=True)
    other = await seed(ctx)
    owner = (seeded.client_id, seeded.client_secret)
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as http:
        rt = (await issue(http, ctx, seeded))["refresh_token"]
        path = f"/oauth/v1/refresh-tokens/{rt}"
        for method in ("GET", "DELETE"):
            for auth in (None, (seeded.client_id, "wrong-secret")):
                refused = await http.request(method, path, auth=auth)
                assert refused.status_code == 401, refused.text
                assert refused.headers["www-authenticate"].startswith("Basic")
                assert seeded.email not in refused.text
            # another app's valid credentials: the token is not theirs, as if unknown
            foreign = await http.request(method, path, auth=(other.client_id, other.client_secret))
            assert foreign.status_code == 404
        assert (await http.get(path, auth=owner)).json()["user"] == seeded.email
        assert (await http.delete(path, auth=owner)).status_code == 204
        assert (await http.get(path, auth=owner)).status_code == 404
