"""RFC 7523 ``private_key_jwt`` client authentication at the token endpoints HubSpot's specs
give it (v3 and 2026-03, not 2026-09 or v1), on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from click.testing import CliRunner

from hubauth.cli.main import cli
from hubauth.config import Settings
from hubauth.core.clock import FrozenClock
from hubauth.core.context import Context
from hubauth.store.sql import SqlStore
from hubauth.web.app import create_app
from tests.lifecycle.conftest import AuditRecord
from tests.lifecycle.jwt_keys import (
    Key,
    assertion_form,
    new_key,
    public_jwk,
    register_key,
    sign_assertion,
)
from tests.security.helpers import issue
from tests.support import Seed, official_check, seed

ISSUER = "http://127.0.0.1:8080"  # Settings' default issuer (no public_url in the tests)


def now_s(clock: FrozenClock) -> int:
    return clock.now_ms() // 1000


async def refresh_form(client: httpx.AsyncClient, ctx: Context, s: Seed) -> dict[str, str]:
    tokens = await issue(client, ctx, s)
    return {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}


@pytest.mark.parametrize("version", ["v3", "2026-03"])
@pytest.mark.parametrize("kind", ["ES256", "RS256"])
async def test_a_signed_assertion_authenticates_the_client(
    client: httpx.AsyncClient, ctx: Context, clock: FrozenClock, version: str, kind: str
) -> None:
    s = await seed(ctx)
    key = await register_key(ctx, s.app_id, kind)
    path = f"/oauth/{version}/token"
    for audience in (ISSUER + path, ISSUER, [ISSUER + path, "https://elsewhere.test"]):
        signed = sign_assertion(key, s.client_id, audience, now_s=now_s(clock))
        # client_id may be left out: the assertion's sub names the client (RFC 7523 §3).
        response = await client.post(
            path, data={**await refresh_form(client, ctx, s), **assertion_form(signed)}
        )
        assert response.status_code == 200, (audience, response.text)
        official_check("token-response", response.json())


async def test_json_bodies_carry_assertions_too(
    client: httpx.AsyncClient, ctx: Context, clock: FrozenClock
) -> None:
    s = await seed(ctx)
    key = await register_key(ctx, s.app_id)
    signed = sign_assertion(key, s.client_id, ISSUER, now_s=now_s(clock))
    body = {**await refresh_form(client, ctx, s), **assertion_form(signed, s.client_id)}
    response = await client.post("/oauth/v3/token", json=body)
    assert response.status_code == 200, response.text


@pytest.mark.parametrize("path", ["/oauth/2026-09/token", "/oauth/v1/token"])
async def test_endpoints_without_assertions_in_hubspots_specs_refuse_them(
    client: httpx.AsyncClient, ctx: Context, clock: FrozenClock, path: str
) -> None:
    s = await seed(ctx)
    key = await register_key(ctx, s.app_id)
    signed = sign_assertion(key, s.client_id, ISSUER + path, now_s=now_s(clock))
    response = await client.post(
        path, data={**await refresh_form(client, ctx, s), **assertion_form(signed, s.client_id)}
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"
    assert "private_key_jwt" in response.json()["message"]


async def test_an_assertion_and_a_secret_together_are_refused(
    client: httpx.AsyncClient, ctx: Context, clock: FrozenClock
) -> None:
    s = await seed(ctx)
    key = await register_key(ctx, s.app_id)
    signed = sign_assertion(key, s.client_id, ISSUER, now_s=now_s(clock))
    form = {**await refresh_form(client, ctx, s), **assertion_form(signed), **s.creds()}
    response = await client.post("/oauth/v3/token", data=form)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"


def _bad_assertions(key: Key, other: Key, s: Seed, other_s: Seed, now: int) -> dict[str, str]:
    good_aud = ISSUER + "/oauth/v3/token"
    sign = sign_assertion
    return {
        "unregistered_key": sign(other, s.client_id, good_aud, now_s=now),
        "wrong_audience": sign(key, s.client_id, "https://auth.hubspot.test", now_s=now),
        "no_audience": sign(key, s.client_id, good_aud, now_s=now, aud=None),
        "iss_not_client": sign(key, s.client_id, good_aud, now_s=now, iss="someone-else"),
        "sub_other_client": sign(key, s.client_id, good_aud, now_s=now, sub=other_s.client_id),
        "expired": sign(key, s.client_id, good_aud, now_s=now - 200, lifetime_s=100),
        "no_exp": sign(key, s.client_id, good_aud, now_s=now, exp=None),
        "too_long_lived": sign(key, s.client_id, good_aud, now_s=now, lifetime_s=3600),
        "issued_in_the_future": sign(key, s.client_id, good_aud, now_s=now + 600),
        "no_jti": sign(key, s.client_id, good_aud, now_s=now, jti=None),
        "not_a_jwt": "not.a.jwt",
        "unsigned": _unsigned(s.client_id, good_aud, now),
    }


def _unsigned(client_id: str, audience: str, now: int) -> str:
    import base64

    def part(value: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    claims = {"iss": client_id, "sub": client_id, "aud": audience, "exp": now + 60, "jti": "x"}
    return f"{part({'alg': 'none'})}.{part(claims)}."


async def test_every_refused_assertion_gets_the_same_answer_and_an_audit_reason(
    client: httpx.AsyncClient, ctx: Context, clock: FrozenClock, audit: AuditRecord
) -> None:
    s, other_s = await seed(ctx), await seed(ctx)
    key = await register_key(ctx, s.app_id)
    await register_key(ctx, other_s.app_id)
    bodies = {}
    for case, signed in _bad_assertions(key, new_key(), s, other_s, now_s(clock)).items():
        form = {**await refresh_form(client, ctx, s), **assertion_form(signed, s.client_id)}
        response = await client.post("/oauth/v3/token", data=form)
        assert response.status_code == 400, (case, response.text)
        body = response.json()
        official_check("token-error", body)
        body.pop("correlationId")
        bodies[case] = body
    assert all(b == bodies["unregistered_key"] for b in bodies.values()), bodies
    assert bodies["unregistered_key"]["error"] == "invalid_client"
    reasons = {f["reason"] for f in audit.named("client_auth_failed")}
    assert {"client_assertion_signature", "client_assertion_aud", "client_assertion_lifetime"} <= (
        reasons
    )


async def test_a_client_id_parameter_must_match_the_assertion(
    client: httpx.AsyncClient, ctx: Context, clock: FrozenClock
) -> None:
    s, other = await seed(ctx), await seed(ctx)
    key = await register_key(ctx, s.app_id)
    signed = sign_assertion(key, s.client_id, ISSUER, now_s=now_s(clock))
    form = {**await refresh_form(client, ctx, s), **assertion_form(signed, other.client_id)}
    response = await client.post("/oauth/v3/token", data=form)
    assert response.json()["error"] == "invalid_client"


async def test_an_app_without_keys_cannot_use_assertions(
    client: httpx.AsyncClient, ctx: Context, clock: FrozenClock
) -> None:
    s = await seed(ctx)
    signed = sign_assertion(new_key(), s.client_id, ISSUER, now_s=now_s(clock))
    form = {**await refresh_form(client, ctx, s), **assertion_form(signed, s.client_id)}
    response = await client.post("/oauth/v3/token", data=form)
    assert response.json()["status"] == "BAD_CLIENT_ASSERTION"


@pytest.fixture
async def second_node(
    settings: Settings, database_url: str, clock: FrozenClock, ctx: Context
) -> AsyncIterator[httpx.AsyncClient]:
    """Another server on the same database with a store (connection pool) of its own."""
    store = SqlStore.from_url(database_url, pool_size=2)
    app = create_app(settings, store=store, clock=clock, contract_check=official_check)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://hubauth.test") as c:
            yield c
    await store.close()


async def test_an_assertion_is_single_use_across_nodes(
    client: httpx.AsyncClient, second_node: httpx.AsyncClient, ctx: Context, clock: FrozenClock
) -> None:
    s = await seed(ctx)
    key = await register_key(ctx, s.app_id)
    signed = sign_assertion(key, s.client_id, ISSUER, now_s=now_s(clock))
    first = await client.post(
        "/oauth/v3/token", data={**await refresh_form(client, ctx, s), **assertion_form(signed)}
    )
    replayed = await second_node.post(
        "/oauth/v3/token", data={**await refresh_form(client, ctx, s), **assertion_form(signed)}
    )
    assert first.status_code == 200, first.text
    assert replayed.status_code == 400
    assert replayed.json()["status"] == "BAD_CLIENT_ASSERTION"


async def test_racing_replays_of_one_assertion_give_one_winner(
    client: httpx.AsyncClient, second_node: httpx.AsyncClient, ctx: Context, clock: FrozenClock
) -> None:
    s = await seed(ctx)
    key = await register_key(ctx, s.app_id)
    signed = sign_assertion(key, s.client_id, ISSUER, now_s=now_s(clock))
    forms = [{**await refresh_form(client, ctx, s), **assertion_form(signed)} for _ in range(6)]
    nodes = [client, second_node] * 3
    responses = await asyncio.gather(
        *(node.post("/oauth/v3/token", data=form) for node, form in zip(nodes, forms, strict=True))
    )
    assert sorted(r.status_code for r in responses) == [200, 400, 400, 400, 400, 400]


async def test_refused_assertions_are_rate_limited_like_bad_secrets(
    settings: Settings, store: SqlStore, clock: FrozenClock, ctx: Context
) -> None:
    tight = settings.model_copy(
        update={"rate_limit_client_failures": 2, "rate_limit_address_failures": 100}
    )
    app = create_app(tight, store=store, clock=clock, contract_check=official_check)
    s = await seed(ctx)
    await register_key(ctx, s.app_id)
    async with app.router.lifespan_context(app):
        app.state.ctx = ctx
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://hubauth.test") as c:
            statuses = []
            for _ in range(3):
                # No client_id parameter: the limiter charges the client the assertion claims.
                forged = sign_assertion(new_key(), s.client_id, ISSUER, now_s=now_s(clock))
                form = {"grant_type": "client_credentials", "scope": "oauth"}
                response = await c.post("/oauth/v3/token", data={**form, **assertion_form(forged)})
                statuses.append(response.status_code)
    assert statuses == [400, 400, 429]


CREATE = ["apps", "create", "--name", "jwt", "--redirect-uri", "https://a.test/cb"]
CREATE += ["--scopes", "oauth", "--json"]


def test_cli_registers_shows_and_removes_keys(
    database_url: str, server_env: dict[str, str], tmp_path: Any
) -> None:
    runner = CliRunner(env={"HUBAUTH_SECRET_KEY": server_env["HUBAUTH_SECRET_KEY"]})
    db = ["--database", database_url]
    made = runner.invoke(
        cli,
        [*CREATE, *db],
    )
    assert made.exit_code == 0, made.output
    app_id = str(json.loads(made.output)["app_id"])
    key = new_key("RS256")
    jwks = tmp_path / "jwks.json"
    jwks.write_text(json.dumps({"keys": [public_jwk(key, "k1"), public_jwk(new_key(), "k2")]}))
    private = tmp_path / "private.json"
    private.write_text(json.dumps(key.as_dict(private=True)))

    stored = runner.invoke(cli, ["apps", "keys", "set", app_id, str(jwks), "--json", *db])
    shown = runner.invoke(cli, ["apps", "keys", "show", app_id, *db])
    refused = runner.invoke(cli, ["apps", "keys", "set", app_id, str(private), *db])
    cleared = runner.invoke(cli, ["apps", "keys", "clear", app_id, *db])
    after = runner.invoke(cli, ["apps", "keys", "show", app_id, *db])

    assert stored.exit_code == 0, stored.output
    assert json.loads(stored.output) == {"app_id": int(app_id), "keys": 2}
    assert [k["kid"] for k in json.loads(shown.output)["keys"]] == ["k1", "k2"]
    assert all("d" not in k for k in json.loads(shown.output)["keys"])
    assert refused.exit_code == 2 and "private key material" in refused.output
    assert cleared.exit_code == 0
    assert json.loads(after.output) == {"keys": []}
