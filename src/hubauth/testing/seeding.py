"""Seeding one install (an app, a hub, a user who belongs to it) with unique values.

Shared by the pytest plugin's server and hubauth's own test suite, so both seed exactly the
same way through the real store.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass

from argon2 import PasswordHasher

from hubauth.core import tokens
from hubauth.core.context import Context
from hubauth.core.models import RefreshPolicy
from hubauth.core.redirect_uris import check_registration

#: argon2id at its cheapest: a seeded user's throw-away password must not cost half a second per
#: seed. Verification reads the parameters from the hash, so sign-in still works unchanged.
CHEAP_PASSWORDS = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


@dataclass(frozen=True, slots=True)
class SeededInstall:
    app_id: int
    client_id: str
    client_secret: str
    hub_id: int
    hub_domain: str
    user_id: int
    email: str
    password: str


async def seed_install(
    ctx: Context,
    *,
    redirect_uris: Sequence[str],
    scopes: Sequence[str],
    optional_scopes: Sequence[str] = (),
    refresh_policy: RefreshPolicy = RefreshPolicy.STATIC,
) -> SeededInstall:
    """Create an app, a hub and a member user whose names no other seed will clash with.

    The redirect URIs must pass ``ctx.policy.redirect_uri_policy``, as any app's must
    (:class:`~hubauth.core.redirect_uris.RedirectUriRefused` otherwise)."""
    check_registration(redirect_uris, ctx.policy.redirect_uri_policy)
    tag = secrets.token_hex(4)
    secret = tokens.new_client_secret()
    password = "pw-" + secrets.token_hex(8)
    now = ctx.now_ms()
    app = await ctx.store.create_app(
        client_id=tokens.new_client_id(),
        client_secret_hash=ctx.hasher.hash_secret(secret),
        client_secret_key_id=ctx.hasher.key_id,
        name=f"Test app {tag}",
        redirect_uris=list(redirect_uris),
        scopes=tuple(scopes),
        optional_scopes=tuple(optional_scopes),
        refresh_policy=refresh_policy,
        now_ms=now,
    )
    hub = await ctx.store.create_hub(f"{tag}.example.test", now_ms=now)
    user = await ctx.store.create_user(
        f"user-{tag}@example.test", CHEAP_PASSWORDS.hash(password), now_ms=now
    )
    await ctx.store.add_hub_member(hub.hub_id, user.user_id)
    return SeededInstall(
        app_id=app.app_id,
        client_id=app.client_id,
        client_secret=secret,
        hub_id=hub.hub_id,
        hub_domain=hub.hub_domain,
        user_id=user.user_id,
        email=user.email,
        password=password,
    )
