"""The served OpenAPI description: valid OpenAPI 3.1, complete (every route of ``route_table()``
with its methods), and true: each documented response is produced by a real request and its
body validated against the documented JSON Schema (``jsonschema``) and the contract (official
json-structure package)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from jsonschema import Draft202012Validator, FormatChecker
from openapi_spec_validator import validate as validate_openapi
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012
from starlette.routing import Route

from hubauth.config import Settings
from hubauth.core.clock import FrozenClock
from hubauth.core.context import Context
from hubauth.core.sunset import V1_SUNSET_MS, V1Sunset
from hubauth.store.sql import SqlStore
from hubauth.web.app import create_app, route_table
from hubauth.web.openapi import build_document
from hubauth.web.routing import ApiRoute
from tests.ops.conftest import asgi_client
from tests.support import METRICS_AUTH, Seed, mint_code, official_check

DOC_URI = "urn:hubauth:openapi"


def documented_operations(doc: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {
        (method.upper(), path): op
        for path, item in doc["paths"].items()
        for method, op in item.items()
    }


async def test_openapi_json_is_a_valid_openapi_3_1_document(ops_client: httpx.AsyncClient) -> None:
    response = await ops_client.get("/openapi.json")
    assert response.status_code == 200
    doc = response.json()
    assert doc["openapi"].startswith("3.1")
    validate_openapi(doc)


def test_every_route_of_the_route_table_is_described_with_its_methods() -> None:
    doc = build_document(route_table())
    described = documented_operations(doc)
    routes = [r for r in route_table() if isinstance(r, Route)]
    assert routes
    for route in routes:
        path = re.sub(r"{([^}:]+):[^}]+}", r"{\1}", route.path)
        for method in (route.methods or {"GET"}) - {"HEAD"}:
            assert (method, path) in described, f"{method} {path} is not in the description"
    expected = sum(len((r.methods or {"GET"}) - {"HEAD"}) for r in routes)
    assert len(described) == expected  # and nothing that is not served


def test_api_route_responses_are_documented_with_their_contract_schemas() -> None:
    doc = build_document(route_table())
    described = documented_operations(doc)
    for route in route_table():
        if not isinstance(route, ApiRoute):
            continue
        path = re.sub(r"{([^}:]+):[^}]+}", r"{\1}", route.path)
        for method in route.methods - {"HEAD"}:
            responses = described[(method, path)]["responses"]
            assert set(responses) == {str(s) for s in route.responses}
            for status, contract in route.responses.items():
                content = responses[str(status)].get("content")
                if contract is None:
                    assert content is None
                else:
                    ref = content["application/json"]["schema"]["$ref"]
                    assert ref.removeprefix("#/components/schemas/") in doc["components"]["schemas"]


async def test_path_tokens_are_parameters_not_literal_paths(ops_client: httpx.AsyncClient) -> None:
    doc = (await ops_client.get("/openapi.json")).json()
    assert "/oauth/v1/access-tokens/{token}" in doc["paths"]
    op = doc["paths"]["/oauth/v1/access-tokens/{token}"]["get"]
    assert op["parameters"][0]["name"] == "token"
    assert op["parameters"][0]["in"] == "path"


async def test_docs_page_is_self_contained_html_covering_every_operation(
    ops_client: httpx.AsyncClient,
) -> None:
    response = await ops_client.get("/docs")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "default-src 'none'" in response.headers["content-security-policy"]
    page = response.text
    assert "<script" not in page and "<link" not in page and "<img" not in page
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", page), "external asset"
    doc = (await ops_client.get("/openapi.json")).json()
    for path, item in doc["paths"].items():
        for op in item.values():
            assert f'id="{op["operationId"]}"' in page
            assert f"<code>{path}</code>" in page
    for name in doc["components"]["schemas"]:
        assert f">{name}</h3>" in page
    # descriptions are prose: inline code is rendered, never shown as raw backticks
    assert "`" not in page
    assert "<code>" in page.split("<h2", 1)[0] or page.count("<code>") > len(doc["paths"])


# --- every documented response, produced for real ---------------------------------------------


@dataclass
class Env:
    up: httpx.AsyncClient
    down: httpx.AsyncClient
    ctx: Context
    seed: Seed
    limited: httpx.AsyncClient
    retired: httpx.AsyncClient
    strict: httpx.AsyncClient

    async def tokens(self) -> dict[str, Any]:
        code = await mint_code(self.ctx, self.seed)
        response = await self.up.post(
            "/oauth/v1/token",
            data={
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": self.seed.redirect_uri,
                **self.seed.creds(),
            },
        )
        assert response.status_code == 200, response.text
        return response.json()


Scenario = Callable[[Env], Awaitable[httpx.Response]]
UNKNOWN_RT = "na1-0000-0000-0000-0000-000000000000"
_BAD_FORM = {"grant_type": "refresh_token", "refresh_token": UNKNOWN_RT, "token": "x"}


async def _exchange(env: Env) -> httpx.Response:
    code = await mint_code(env.ctx, env.seed)
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": env.seed.redirect_uri}
    return await env.up.post("/oauth/v1/token", data={**form, **env.seed.creds()})


async def _access_metadata(env: Env) -> httpx.Response:
    return await env.up.get(f"/oauth/v1/access-tokens/{(await env.tokens())['access_token']}")


async def _refresh_metadata(env: Env) -> httpx.Response:
    return await env.up.get(f"/oauth/v1/refresh-tokens/{(await env.tokens())['refresh_token']}")


async def _delete(env: Env) -> httpx.Response:
    return await env.up.delete(f"/oauth/v1/refresh-tokens/{(await env.tokens())['refresh_token']}")


SCENARIOS: dict[tuple[str, int], Scenario] = {
    ("v1_token", 200): _exchange,
    ("v1_token", 400): lambda env: env.up.post("/oauth/v1/token", data={"grant_type": "nope"}),
    ("v1_token", 413): lambda env: env.up.post("/oauth/v1/token", data={"code": "x" * 20_000}),
    ("v1_token", 415): lambda env: env.up.post("/oauth/v1/token", json={"grant_type": "x"}),
    ("v1_token", 401): lambda env: env.up.post(
        "/oauth/v1/token",
        data={"grant_type": "refresh_token", "refresh_token": "x"},
        auth=(env.seed.client_id, "wrong"),
    ),
    ("v1_token", 503): lambda env: env.down.post(
        "/oauth/v1/token", data={"grant_type": "refresh_token", **env.seed.creds()}
    ),
    ("v1_access_token_metadata", 200): _access_metadata,
    ("v1_access_token_metadata", 401): lambda env: env.up.get("/oauth/v1/access-tokens/Cnope"),
    ("v1_access_token_metadata", 503): lambda env: env.down.get("/oauth/v1/access-tokens/Cx"),
    ("v1_refresh_token_metadata", 200): _refresh_metadata,
    ("v1_refresh_token_metadata", 404): lambda env: env.up.get(
        f"/oauth/v1/refresh-tokens/{UNKNOWN_RT}"
    ),
    ("v1_refresh_token_metadata", 503): lambda env: env.down.get(
        f"/oauth/v1/refresh-tokens/{UNKNOWN_RT}"
    ),
    ("v1_delete_refresh_token", 204): _delete,
    ("v1_delete_refresh_token", 404): lambda env: env.up.delete(
        f"/oauth/v1/refresh-tokens/{UNKNOWN_RT}"
    ),
    ("v1_delete_refresh_token", 503): lambda env: env.down.delete(
        f"/oauth/v1/refresh-tokens/{UNKNOWN_RT}"
    ),
    ("healthz", 200): lambda env: env.up.get("/healthz"),
    ("readyz", 200): lambda env: env.up.get("/readyz"),
    ("readyz", 503): lambda env: env.down.get("/readyz"),
    ("metrics", 200): lambda env: env.up.get("/metrics", headers=METRICS_AUTH),
    ("metrics", 401): lambda env: env.up.get("/metrics"),
    ("openapi", 200): lambda env: env.up.get("/openapi.json"),
    ("docs", 200): lambda env: env.up.get("/docs"),
}


def _v3_scenarios(version: str) -> dict[tuple[str, int], Scenario]:
    """The v3 operations and their dated twins share one implementation: same scenarios."""
    base = f"/oauth/{version}/token"

    async def exchange(env: Env) -> httpx.Response:
        code = await mint_code(env.ctx, env.seed)
        form = {"grant_type": "authorization_code", "code": code}
        form |= {"redirect_uri": env.seed.redirect_uri, **env.seed.creds()}
        return await env.up.post(base, data=form)

    async def introspect(env: Env) -> httpx.Response:
        token = (await env.tokens())["access_token"]
        return await env.up.post(f"{base}/introspect", data={"token": token, **env.seed.creds()})

    async def revoke(env: Env) -> httpx.Response:
        token = (await env.tokens())["refresh_token"]
        return await env.up.post(f"{base}/revoke", data={"token": token, **env.seed.creds()})

    out: dict[tuple[str, int], Scenario] = {
        (f"{version}_token", 200): exchange,
        (f"{version}_introspect", 200): introspect,
        (f"{version}_revoke", 200): revoke,
    }
    for op, path in (
        ("token", base),
        ("introspect", f"{base}/introspect"),
        ("revoke", f"{base}/revoke"),
    ):
        out[(f"{version}_{op}", 400)] = lambda env, path=path: env.up.post(
            path, data={"grant_type": "nope", "token": "x"}
        )
        out[(f"{version}_{op}", 413)] = lambda env, path=path: env.up.post(
            path, data={"code": "x" * 20_000}
        )
        out[(f"{version}_{op}", 415)] = lambda env, path=path: env.up.post(
            path, content="a=b", headers={"Content-Type": "text/plain"}
        )
        out[(f"{version}_{op}", 401)] = lambda env, path=path: env.up.post(
            path, data=_BAD_FORM, auth=(env.seed.client_id, "wrong")
        )
        out[(f"{version}_{op}", 503)] = lambda env, path=path: env.down.post(
            path, data={"grant_type": "refresh_token", "token": "x", **env.seed.creds()}
        )
    return out


for _version in ("v3", "2026-03", "2026-09"):
    SCENARIOS.update(_v3_scenarios(_version))
SCENARIOS[("authorization_server_metadata", 200)] = lambda env: env.up.get(
    "/.well-known/oauth-authorization-server"
)


# --- client registration (RFC 7591/7592): env.up has no admin token, so a client registered
# through the core answers with its registration access token, and POST /oauth/register is
# driven on an app with open registration on.
_CLIENT = {
    "client_name": "openapi scenario",
    "redirect_uris": ["https://scenario.example.test/cb"],
    "scope": "oauth",
}


async def _registered(env: Env) -> tuple[str, dict[str, str]]:
    from hubauth.core import registration
    from hubauth.core.models import RefreshPolicy

    metadata = registration.parse_metadata(_CLIENT, ["client_secret_post"])
    made = await registration.register(env.ctx, metadata, RefreshPolicy.STATIC)
    assert made.registration_access_token is not None
    uri = f"/oauth/register/{made.app.client_id}"
    return uri, {"Authorization": f"Bearer {made.registration_access_token}"}


def _open_registration(body: dict[str, Any]) -> Scenario:
    async def scenario(env: Env) -> httpx.Response:
        from tests.support import TEST_KEY

        settings = Settings(
            database_url="sqlite:///unused.db", secret_key=TEST_KEY, open_registration=True
        )
        app = create_app(settings, store=env.ctx.store, contract_check=official_check)
        async with app.router.lifespan_context(app), asgi_client(app) as c:
            return await c.post("/oauth/register", json=body)

    return scenario


def _managed(method: str, suffix: str = "", body: dict[str, Any] | None = None) -> Scenario:
    async def scenario(env: Env) -> httpx.Response:
        uri, token = await _registered(env)
        return await env.up.request(method, uri + suffix, json=body, headers=token)

    return scenario


_NO_TOKEN = {"Authorization": "Bearer nope"}
SCENARIOS.update(
    {
        ("register_client", 201): _open_registration(_CLIENT),
        ("register_client", 400): _open_registration({**_CLIENT, "redirect_uris": []}),
        ("register_client", 401): lambda env: env.up.post("/oauth/register", json=_CLIENT),
        ("read_client", 200): _managed("GET"),
        ("read_client", 401): lambda env: env.up.get("/oauth/register/x", headers=_NO_TOKEN),
        ("update_client", 200): _managed("PUT", "", {**_CLIENT, "client_name": "renamed"}),
        ("update_client", 400): _managed("PUT", "", {**_CLIENT, "redirect_uris": ["ftp://x"]}),
        ("update_client", 401): lambda env: env.up.put(
            "/oauth/register/x", json=_CLIENT, headers=_NO_TOKEN
        ),
        ("delete_client", 204): _managed("DELETE"),
        ("delete_client", 401): lambda env: env.up.delete("/oauth/register/x"),
        ("rotate_client_secret", 200): _managed("POST", "/secret"),
        ("rotate_client_secret", 401): lambda env: env.up.post("/oauth/register/x/secret"),
    }
)


def _rate_limited(method: str, path: str, data: dict[str, str] | None = None) -> Scenario:
    """Two failing requests against an app that tolerates one failure: the second is 429."""

    async def scenario(env: Env) -> httpx.Response:
        for _ in range(2):
            response = await env.limited.request(method, path, data=data)
        return response

    return scenario


SCENARIOS[("v1_token", 429)] = _rate_limited("POST", "/oauth/v1/token", _BAD_FORM)
SCENARIOS[("v1_access_token_metadata", 429)] = _rate_limited("GET", "/oauth/v1/access-tokens/Cx")
SCENARIOS[("v1_refresh_token_metadata", 429)] = _rate_limited(
    "GET", f"/oauth/v1/refresh-tokens/{UNKNOWN_RT}"
)
SCENARIOS[("v1_delete_refresh_token", 429)] = _rate_limited(
    "DELETE", f"/oauth/v1/refresh-tokens/{UNKNOWN_RT}"
)
for _version in ("v3", "2026-03", "2026-09"):
    for _op, _suffix in (("token", ""), ("introspect", "/introspect"), ("revoke", "/revoke")):
        SCENARIOS[(f"{_version}_{_op}", 429)] = _rate_limited(
            "POST", f"/oauth/{_version}/token{_suffix}", _BAD_FORM
        )


def _uninstall_scenarios(version: str) -> dict[tuple[str, int], Scenario]:
    path = f"/appinstalls/{version}/external-install"
    dead = {"Authorization": "Bearer Cnope"}

    async def uninstall(env: Env) -> httpx.Response:
        token = (await env.tokens())["access_token"]
        return await env.up.delete(path, headers={"Authorization": f"Bearer {token}"})

    async def limited(env: Env) -> httpx.Response:
        for _ in range(2):
            response = await env.limited.delete(path, headers=dead)
        return response

    return {
        (f"{version}_app_uninstall", 204): uninstall,
        (f"{version}_app_uninstall", 401): lambda env: env.up.delete(path, headers=dead),
        (f"{version}_app_uninstall", 429): limited,
        (f"{version}_app_uninstall", 503): lambda env: env.down.delete(
            path, headers={"Authorization": "Bearer " + "C" * 148}
        ),
    }


for _version in ("v3", "2026-03", "2026-09"):
    SCENARIOS.update(_uninstall_scenarios(_version))

for _operation, _method, _path in (
    ("v1_token", "POST", "/oauth/v1/token"),
    ("v1_access_token_metadata", "GET", "/oauth/v1/access-tokens/Cx"),
    ("v1_refresh_token_metadata", "GET", f"/oauth/v1/refresh-tokens/{UNKNOWN_RT}"),
    ("v1_delete_refresh_token", "DELETE", f"/oauth/v1/refresh-tokens/{UNKNOWN_RT}"),
):
    SCENARIOS[(_operation, 410)] = lambda env, m=_method, p=_path: env.retired.request(m, p)

for _operation, _method in (
    ("v1_refresh_token_metadata", "GET"),
    ("v1_delete_refresh_token", "DELETE"),
):
    SCENARIOS[(_operation, 401)] = lambda env, m=_method: env.strict.request(
        m, f"/oauth/v1/refresh-tokens/{UNKNOWN_RT}"
    )


@pytest.fixture
async def strict_client(settings: Settings, store: SqlStore) -> AsyncIterator[httpx.AsyncClient]:
    """HUBAUTH_V1_REFRESH_TOKEN_CLIENT_AUTH=true: v1 refresh-token calls need client auth."""
    strict = settings.model_copy(update={"v1_refresh_token_client_auth": True})
    app = create_app(strict, store=store, contract_check=official_check)
    async with app.router.lifespan_context(app), asgi_client(app) as c:
        yield c


@pytest.fixture
async def retired_client(settings: Settings, store: SqlStore) -> AsyncIterator[httpx.AsyncClient]:
    """HUBAUTH_V1_SUNSET=enforce on a clock past the sunset: v1 answers as retired."""
    enforcing = settings.model_copy(update={"v1_sunset": V1Sunset.ENFORCE})
    clock = FrozenClock(V1_SUNSET_MS)
    app = create_app(enforcing, store=store, clock=clock, contract_check=official_check)
    async with app.router.lifespan_context(app), asgi_client(app) as c:
        yield c


#: The install pages answer with HTML, redirects and form errors; their behaviour (every
#: status, header and redirect) is proven by tests/authorize and tests/browser, not here.
HTML_PAGE_TAG = "Install pages (HTML)"


def _responses(doc: dict[str, Any]) -> dict[tuple[str, int], dict[str, Any]]:
    return {
        (op["operationId"], int(status)): response
        for item in doc["paths"].values()
        for op in item.values()
        if HTML_PAGE_TAG not in op.get("tags", ())
        for status, response in op["responses"].items()
        if status != "default"
    }


def _contracts() -> dict[tuple[str, int], str | None]:
    return {
        (route.name, status): contract
        for route in route_table()
        if isinstance(route, ApiRoute)
        for status, contract in route.responses.items()
    }


def test_every_documented_response_has_a_scenario() -> None:
    missing = sorted(set(_responses(build_document(route_table()))) - set(SCENARIOS))
    assert not missing, (
        f"documented responses never produced by this test: {missing}; add a request that "
        "produces each one to SCENARIOS in tests/ops/test_openapi_document.py"
    )


@pytest.mark.parametrize(("operation", "status"), sorted(SCENARIOS))
async def test_documented_response_matches_what_the_server_sends(
    operation: str,
    status: int,
    ops_client: httpx.AsyncClient,
    down_client: httpx.AsyncClient,
    limited_client: httpx.AsyncClient,
    retired_client: httpx.AsyncClient,
    strict_client: httpx.AsyncClient,
    ctx: Context,
    seeded: Seed,
) -> None:
    doc = (await ops_client.get("/openapi.json")).json()
    documented = _responses(doc)[(operation, status)]
    response = await SCENARIOS[(operation, status)](
        Env(ops_client, down_client, ctx, seeded, limited_client, retired_client, strict_client)
    )
    assert response.status_code == status, response.text
    content = documented.get("content")
    if content is None:
        assert response.content == b""
        return
    (media_type,) = content
    assert response.headers["content-type"].split(";")[0] == media_type
    schema = content[media_type].get("schema")
    if schema is None:
        assert response.content
        return
    body = response.json()
    registry = Registry().with_resource(
        DOC_URI, Resource.from_contents(doc, default_specification=DRAFT202012)
    )
    validator = Draft202012Validator(
        {"$ref": DOC_URI + schema["$ref"]}, registry=registry, format_checker=FormatChecker()
    )
    errors = [e.message for e in validator.iter_errors(body)]
    assert not errors, errors
    contract = _contracts()[(operation, status)]
    assert contract is not None
    official_check(contract, body)
