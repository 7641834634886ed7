"""The demo seed behind ``hubauth serve --demo`` and ``make serve``.

Idempotent: the demo app, hub and user are created once and found again afterwards. Because
secrets are stored only as hashes, the demo client secret and user password cannot be shown
again later; each ``--demo`` start therefore sets fresh ones and prints them.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from hubauth.core import authorization, tokens
from hubauth.core.context import Context
from hubauth.core.passwords import hash_password

DEMO_APP_NAME = "hubauth demo app"
DEMO_EMAIL = "demo@hubauth.local"
DEMO_HUB_DOMAIN = "demo.hubauth.local"
DEMO_REDIRECT_URI = "http://localhost:3000/oauth-callback"
DEMO_SCOPES = ("oauth", "crm.objects.contacts.read")
DEMO_OPTIONAL_SCOPES = ("crm.objects.contacts.write", "crm.objects.deals.read")


@dataclass(frozen=True, slots=True)
class DemoSeed:
    app_id: int
    client_id: str
    client_secret: str
    hub_id: int
    user_id: int
    email: str
    password: str
    redirect_uri: str
    code: str


async def seed(ctx: Context) -> DemoSeed:
    store = ctx.store
    now = ctx.now_ms()
    secret = tokens.new_client_secret()
    password = secrets.token_urlsafe(12)
    app = next((a for a in await store.list_apps() if a.name == DEMO_APP_NAME), None)
    if app is None:
        app = await store.create_app(
            client_id=tokens.new_client_id(),
            client_secret_hash=ctx.hasher.hash_secret(secret),
            client_secret_key_id=ctx.hasher.key_id,
            name=DEMO_APP_NAME,
            redirect_uris=[DEMO_REDIRECT_URI],
            scopes=DEMO_SCOPES,
            optional_scopes=DEMO_OPTIONAL_SCOPES,
            now_ms=now,
        )
    else:
        await store.set_client_secret_hash(
            app.app_id, ctx.hasher.hash_secret(secret), ctx.hasher.key_id
        )
    user = await store.find_user_by_email(DEMO_EMAIL)
    if user is None:
        user = await store.create_user(DEMO_EMAIL, hash_password(password), now_ms=now)
    else:
        await store.set_password_hash(user.user_id, hash_password(password))
    hubs = await store.list_user_hubs(user.user_id)
    hub = next((h for h in hubs if h.hub_domain == DEMO_HUB_DOMAIN), None)
    if hub is None:
        hub = await store.create_hub(DEMO_HUB_DOMAIN, ctx.policy.hublet, now_ms=now)
        await store.add_hub_member(hub.hub_id, user.user_id)
    code = await authorization.approve_directly(
        ctx,
        client_id=app.client_id,
        hub_id=hub.hub_id,
        user_id=user.user_id,
        redirect_uri=DEMO_REDIRECT_URI,
        scope=" ".join(DEMO_SCOPES),
    )
    return DemoSeed(
        app_id=app.app_id,
        client_id=app.client_id,
        client_secret=secret,
        hub_id=hub.hub_id,
        user_id=user.user_id,
        email=DEMO_EMAIL,
        password=password,
        redirect_uri=DEMO_REDIRECT_URI,
        code=code,
    )


def instructions(demo: DemoSeed, base_url: str, code_ttl_s: int) -> str:
    """What ``serve --demo`` prints: credentials, the install URL and curls for each endpoint."""
    from urllib.parse import urlencode

    install = f"{base_url}/oauth/authorize?" + urlencode(
        {
            "client_id": demo.client_id,
            "redirect_uri": demo.redirect_uri,
            "scope": " ".join(DEMO_SCOPES),
            "optional_scope": " ".join(DEMO_OPTIONAL_SCOPES),
            "state": "try-me",
        }
    )
    auth = f"client_id={demo.client_id}&client_secret={demo.client_secret}"
    return f"""
hubauth demo
  app_id {demo.app_id}   client_id {demo.client_id}
  client_secret {demo.client_secret}   (new at every --demo start)
  hub_id {demo.hub_id}   user_id {demo.user_id}
  sign in as {demo.email} / {demo.password}

Install URL (opens the sign-in and consent pages):
  {install}

1. Exchange this fresh authorization code (valid {code_ttl_s} s, single use):
  curl -s {base_url}/oauth/v1/token -d grant_type=authorization_code \\
    -d '{auth}' -d redirect_uri={demo.redirect_uri} -d code={demo.code}

2. Refresh (put the refresh_token from step 1 in RT):
  curl -s {base_url}/oauth/v1/token -d grant_type=refresh_token -d '{auth}' -d refresh_token=$RT

3. Metadata (AT = access_token, RT = refresh_token):
  curl -s {base_url}/oauth/v1/access-tokens/$AT
  curl -s {base_url}/oauth/v1/refresh-tokens/$RT

4. Delete the refresh token:
  curl -s -X DELETE -o /dev/null -w '%{{http_code}}\\n' {base_url}/oauth/v1/refresh-tokens/$RT

New codes: hubauth authorize --client-id {demo.client_id} --hub-id {demo.hub_id} \\
  --user-id {demo.user_id} --scopes "{" ".join(DEMO_SCOPES)}" --redirect-uri {demo.redirect_uri}
"""
