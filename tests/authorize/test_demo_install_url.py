"""The install URL that ``hubauth serve --demo`` prints works end to end."""

from __future__ import annotations

import re

import httpx

from hubauth.cli import demo
from hubauth.core.context import Context
from tests.authorize.flow import location_params, offered_optional, start


async def test_demo_install_url_signs_in_consents_and_yields_a_working_code(
    client: httpx.AsyncClient, ctx: Context
) -> None:
    seeded = await demo.seed(ctx)
    text = demo.instructions(seeded, "http://hubauth.test", 300)
    url = re.search(r"http://hubauth\.test(/oauth/authorize\?\S+)", text)
    assert url is not None
    assert seeded.password in text and seeded.email in text
    flow = await start(client, url[1])
    consent = await flow.sign_in(seeded.email, seeded.password)
    assert demo.DEMO_APP_NAME in consent.text
    assert offered_optional(consent.text) == list(demo.DEMO_OPTIONAL_SCOPES)
    final = await flow.decide("approve", ("crm.objects.deals.read",))
    assert final.headers["location"].startswith(demo.DEMO_REDIRECT_URI + "?code=")
    params = location_params(final)
    assert params["state"] == "try-me"
    tokens = await client.post(
        "/oauth/v1/token",
        data={
            "grant_type": "authorization_code",
            "client_id": seeded.client_id,
            "client_secret": seeded.client_secret,
            "redirect_uri": seeded.redirect_uri,
            "code": params["code"],
        },
    )
    assert tokens.status_code == 200, tokens.text
    assert tokens.json()["scopes"] == [*demo.DEMO_SCOPES, "crm.objects.deals.read"]
