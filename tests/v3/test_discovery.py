"""``GET /.well-known/oauth-authorization-server`` (RFC 8414): the document, and a check of
each advertised capability against what the server actually does."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import secrets
import time
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import httpx
import pytest

from hubauth.config import Settings
from hubauth.core import authorization, pkce
from hubauth.core.context import Context
from hubauth.web.app import route_table
from hubauth.web.discovery import metadata_document
from tests.lifecycle.jwt_keys import Key, assertion_form, new_key, register_key, sign_assertion
from tests.support import Seed, mint_code
from tests.v3.flows import is_active, issue, post_form

WELL_KNOWN = "/.well-known/oauth-authorization-server"
VERIFIER = "v3-" + "x" * 50


@pytest.fixture
async def document(client: httpx.AsyncClient) -> dict[str, Any]:
    response = await client.get(WELL_KNOWN)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    return response.json()


def local_path(url: str, issuer: str) -> str:
    assert url.startswith(issuer + "/"), url
    return urlsplit(url).path


def served_methods(path: str) -> set[str]:
    return {
        method
        for route in route_table()
        if getattr(route, "path", None) == path
        for method in (getattr(route, "methods", None) or ())
    }


async def test_document_lists_exactly_what_hubauth_implements(
    document: dict[str, Any], settings: Settings
) -> None:
    issuer = settings.issuer
    assert document == {
        "issuer": issuer,
        "authorization_endpoint": f"{issuer}/oauth/authorize",
        "token_endpoint": f"{issuer}/oauth/v3/token",
        "introspection_endpoint": f"{issuer}/oauth/v3/token/introspect",
        "revocation_endpoint": f"{issuer}/oauth/v3/token/revoke",
        "grant_types_supported": ["authorization_code", "refresh_token", "client_credentials"],
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "token_endpoint_auth_methods_supported": [
            "client_secret_post",
            "client_secret_basic",
            "private_key_jwt",
        ],
        "token_endpoint_auth_signing_alg_values_supported": ["RS256", "ES256"],
        "introspection_endpoint_auth_methods_supported": [
            "client_secret_post",
            "client_secret_basic",
        ],
        "revocation_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
        "code_challenge_methods_supported": ["S256"],
    }


def test_issuer_follows_the_public_url_setting() -> None:
    doc = metadata_document(Settings(public_url="https://auth.example.test/").issuer)
    assert doc["issuer"] == "https://auth.example.test"
    assert doc["token_endpoint"] == "https://auth.example.test/oauth/v3/token"


async def test_document_may_be_cached(client: httpx.AsyncClient) -> None:
    response = await client.get(WELL_KNOWN)
    assert response.headers["cache-control"] == "public, max-age=3600"


@pytest.mark.parametrize(
    "member", ["token_endpoint", "introspection_endpoint", "revocation_endpoint"]
)
async def test_advertised_endpoints_are_served_with_post(
    client: httpx.AsyncClient, document: dict[str, Any], member: str
) -> None:
    path = local_path(document[member], document["issuer"])
    assert "POST" in served_methods(path)
    response = await client.post(path, data={"unused": "1"})
    assert response.status_code == 400  # the endpoint answered: a missing-parameter error
    assert response.json()["error"] in ("invalid_request", "invalid_client")


@pytest.mark.parametrize(
    ("extra", "answer"),
    [
        ({"code_challenge": pkce.s256(VERIFIER), "code_challenge_method": "S256"}, "page"),
        ({"code_challenge": VERIFIER, "code_challenge_method": "plain"}, "invalid_request"),
        ({"response_type": "code"}, "page"),
        ({"response_type": "token"}, "unsupported_response_type"),
    ],
    ids=["s256", "plain-pkce", "code", "token"],
)
async def test_advertised_authorization_endpoint_honours_the_document(
    client: httpx.AsyncClient,
    seeded: Seed,
    document: dict[str, Any],
    extra: dict[str, str],
    answer: str,
) -> None:
    """Served with GET; S256 and response_type=code start the install, while plain PKCE and
    other response types are refused with an error redirect (RFC 6749 §4.1.2.1)."""
    assert document["code_challenge_methods_supported"] == ["S256"]
    assert document["response_types_supported"] == ["code"]
    path = local_path(document["authorization_endpoint"], document["issuer"])
    assert "GET" in served_methods(path)
    query = {
        "client_id": seeded.client_id,
        "redirect_uri": seeded.redirect_uri,
        "scope": " ".join(seeded.scopes),
        "state": "st-v3",
        **extra,
    }
    response = await client.get(path + "?" + urlencode(query))
    if answer == "page":
        assert response.status_code == 200
        return
    assert response.status_code == 302
    location = urlsplit(response.headers["location"])
    params = dict(parse_qsl(location.query))
    assert params["error"] == answer
    assert "code" not in params


async def test_every_advertised_grant_type_works_at_the_token_endpoint(
    client: httpx.AsyncClient, ctx: Context, seeded: Seed, document: dict[str, Any]
) -> None:
    path = local_path(document["token_endpoint"], document["issuer"])
    code = await mint_code(ctx, seeded)
    forms = {
        "authorization_code": {"code": code, "redirect_uri": seeded.redirect_uri},
        "client_credentials": {"scope": "oauth"},
    }
    results: dict[str, dict[str, Any]] = {}
    for grant in document["grant_types_supported"]:
        if grant == "refresh_token":
            continue
        form = {"grant_type": grant, **forms[grant], **seeded.creds()}
        response = await post_form(client, path, form, "token-request")
        assert response.status_code == 200, (grant, response.text)
        results[grant] = response.json()
    form = {
        "grant_type": "refresh_token",
        "refresh_token": results["authorization_code"]["refresh_token"],
        **seeded.creds(),
    }
    assert (await post_form(client, path, form, "token-request")).status_code == 200
    assert set(document["grant_types_supported"]) == {*results, "refresh_token"}


@pytest.mark.parametrize(
    "grant", ["password", "implicit", "urn:ietf:params:oauth:grant-type:jwt-bearer"]
)
async def test_grant_types_not_advertised_are_refused(
    client: httpx.AsyncClient, seeded: Seed, grant: str
) -> None:
    response = await client.post("/oauth/v3/token", data={"grant_type": grant, **seeded.creds()})
    assert response.status_code == 400
    assert response.json()["error"] == "unsupported_grant_type"


async def test_plain_pkce_is_refused_and_s256_works(
    client: httpx.AsyncClient, ctx: Context, seeded: Seed
) -> None:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    challenge_s256 = challenge.decode().rstrip("=")

    with pytest.raises(authorization.AuthorizationError) as refused:
        await authorization.validate_request(
            ctx,
            client_id=seeded.client_id,
            redirect_uri=seeded.redirect_uri,
            scope=" ".join(seeded.scopes),
            code_challenge=verifier[:43],
            code_challenge_method="plain",
        )
    assert refused.value.error == "invalid_request"

    code = await mint_code(ctx, seeded, code_challenge=challenge_s256)
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": seeded.redirect_uri,
        **seeded.creds(),
    }
    # the plain transform (verifier == challenge) does not pass an S256 check
    plain = await post_form(
        client, "/oauth/v3/token", {**form, "code_verifier": challenge_s256}, "token-request"
    )
    assert plain.status_code == 400 and plain.json()["status"] == "BAD_CODE_VERIFIER"
    code = await mint_code(ctx, seeded, code_challenge=challenge_s256)
    s256 = await post_form(
        client,
        "/oauth/v3/token",
        {**form, "code": code, "code_verifier": verifier},
        "token-request",
    )
    assert s256.status_code == 200


def _authenticated(
    method: str, s: Seed, form: dict[str, str], key: Key | None = None, audience: str = ""
) -> dict[str, Any]:
    """httpx arguments that authenticate ``s`` with ``method``; a method this test cannot
    send fails here, so a newly advertised method must bring its proof along."""
    if method == "client_secret_post":
        return {"data": {**form, **s.creds()}}
    if method == "client_secret_basic":
        return {"data": form, "auth": (s.client_id, s.client_secret)}
    if method == "private_key_jwt":
        assert key is not None
        signed = sign_assertion(key, s.client_id, audience, now_s=int(time.time()))
        return {"data": {**form, **assertion_form(signed, s.client_id)}}
    raise AssertionError(f"discovery advertises {method!r}: teach this test to send it")


@pytest.mark.parametrize(
    "member", ["token_endpoint", "introspection_endpoint", "revocation_endpoint"]
)
async def test_every_advertised_auth_method_authenticates_a_real_request(
    client: httpx.AsyncClient, ctx: Context, seeded: Seed, document: dict[str, Any], member: str
) -> None:
    path = local_path(document[member], document["issuer"])
    methods = document[member.replace("_endpoint", "_endpoint_auth_methods_supported")]
    assert methods
    key = await register_key(ctx, seeded.app_id)
    audience = document[member]
    for method in methods:
        tokens = await issue(client, ctx, seeded)
        form = (
            {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
            if member == "token_endpoint"
            else {"token": tokens["refresh_token"]}
        )
        response = await client.post(path, **_authenticated(method, seeded, form, key, audience))
        assert response.status_code == 200, (method, response.text)
        if member == "introspection_endpoint":
            assert response.json()["active"] is True, method
        if member == "revocation_endpoint":
            assert not await is_active(client, seeded, tokens["refresh_token"]), method
        # the same request with a wrong secret is refused: the method really is checked
        wrong = dataclasses.replace(seeded, client_secret="00000000-0000-4000-8000-000000000000")
        # (for an assertion: signed by a key the app never registered)
        refused = await client.post(
            path, **_authenticated(method, wrong, form, new_key(), audience)
        )
        assert refused.json()["error"] == "invalid_client", (method, refused.text)


async def test_openid_configuration_is_not_served(client: httpx.AsyncClient) -> None:
    """hubauth is not an OpenID provider (neither is HubSpot, spec §1.9)."""
    assert (await client.get("/.well-known/openid-configuration")).status_code == 404
