"""hubauth measured against HubSpot's published OpenAPI specs of the OAuth API.

* the checker the suite-wide recorder uses (tests/conftest.py) catches what it must;
* every contract mirroring a HubSpot schema is at least as strict as it (required members,
  integer widths, enums), mechanically, so a spec update shows up here;
* the per-version capability table matches the specs, and the server follows it.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Iterator
from typing import Any

import httpx
import orjson
import pytest

from hubauth import contracts
from hubauth.core.versions import API_VERSIONS
from tests import hubspot_spec
from tests.hubspot_spec import Operation
from tests.support import Seed, mint_code, official_check

INT32 = (-(2**31), 2**31 - 1)
INT64 = (-(2**63), 2**63 - 1)


@pytest.fixture(scope="module", autouse=True)
def specs() -> Iterator[None]:
    reason = hubspot_spec.missing_reason()
    if reason is not None:
        if os.environ.get("CI"):
            pytest.fail(f"HubSpot's specs are required in CI: {reason}")
        pytest.skip(reason)
    yield


def op(method: str, path: str) -> Operation:
    found = hubspot_spec.find(method, path)
    assert found is not None, (method, path)
    return found


def problems(method: str, path: str, status: int, body: Any) -> list[str]:
    raw = orjson.dumps(body)
    return hubspot_spec.problems(op(method, path), status, "application/json", raw)


# --- the checker --------------------------------------------------------------------------------

SIGNED = {
    "appId": 1,
    "appInstallId": "1",
    "audience": "hubauth",
    "expiresAt": 1_796_605_297_891,
    "hubId": 2,
    "hublet": "na1",
    "installingUserId": 3,
    "isPrivateDistribution": False,
    "isServiceAccount": False,
    "isUserLevel": True,
    "newSignature": "s",
    "scopeToScopeGroupPks": "",
    "scopes": "ABA=",
    "signature": "s",
    "trialScopeToScopeGroupPks": "",
    "trialScopes": "",
    "userId": 3,
}
ACCESS_INFO = {
    "token": "C-x",
    "token_type": "access",
    "scopes": ["oauth"],
    "hub_id": 2,
    "app_id": 1,
    "user_id": 3,
    "expires_in": 1800,
    "is_private_distribution": False,
    "signed_access_token": SIGNED,
}


def test_a_conforming_access_token_info_passes() -> None:
    assert problems("GET", "/oauth/v1/access-tokens/C-x", 200, ACCESS_INFO) == []


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"hub_id": 2**31}, "is not a 'int32'"),
        ({"expires_in": 2**63}, "is not a 'int64'"),
        ({"scopes": "oauth"}, "is not of type 'array'"),
        ({"signed_access_token": {**SIGNED, "isUserLevel": "yes"}}, "is not of type 'boolean'"),
    ],
)
def test_widths_and_types_outside_the_spec_are_divergences(
    change: dict[str, Any], expected: str
) -> None:
    found = problems("GET", "/oauth/v1/access-tokens/C-x", 200, {**ACCESS_INFO, **change})
    assert any(expected in p for p in found), found


def test_a_missing_required_member_is_a_divergence() -> None:
    signed = {k: v for k, v in SIGNED.items() if k != "trialScopes"}
    found = problems(
        "GET", "/oauth/v1/access-tokens/C-x", 200, {**ACCESS_INFO, "signed_access_token": signed}
    )
    assert any("'trialScopes' is a required property" in p for p in found), found


def test_introspection_outside_the_token_use_enum_is_a_divergence() -> None:
    body = {
        "active": True,
        "token": "C-x",
        "token_type": "Bearer",
        "token_use": "client_credentials",
        "client_id": "c",
        "app_id": 1,
        "hub_id": 0,
        "user_id": 0,
        "scopes": ["oauth"],
        "expires_in": 1800,
        "is_private_distribution": False,
        "signed_access_token": SIGNED,
    }
    assert problems("POST", "/oauth/v3/token/introspect", 200, body)
    assert (
        problems("POST", "/oauth/v3/token/introspect", 200, {**body, "token_use": "access_token"})
        == []
    )


def test_the_inactive_introspection_answer_is_the_one_kept_divergence() -> None:
    inactive = {"active": False}
    spec = op("POST", "/oauth/v3/token/introspect").schema(200)
    assert spec is not None
    assert hubspot_spec.validate("v3", spec, inactive)  # v3 publishes active shapes only
    assert hubspot_spec.exemption(op("POST", "/oauth/v3/token/introspect"), 200, inactive)
    assert problems("POST", "/oauth/v3/token/introspect", 200, inactive) == []
    # the newest spec requires nothing but active
    assert problems("POST", "/oauth/2026-09/token/introspect", 200, inactive) == []
    assert problems("POST", "/oauth/2026-09/token/introspect", 200, {"active": "no"})


def test_errors_outside_the_token_family_must_be_hubspots_error_object() -> None:
    good = {
        "status": "error",
        "message": "m",
        "correlationId": "aeb5f871-7f07-4993-9211-075dc63e7cbf",
        "category": "OBJECT_NOT_FOUND",
    }
    assert problems("GET", "/oauth/v1/refresh-tokens/x", 404, good) == []
    assert problems("GET", "/oauth/v1/refresh-tokens/x", 404, {**good, "correlationId": "r-1"})
    assert problems("DELETE", "/oauth/v1/refresh-tokens/x", 429, {"message": "m"})
    # the token family's RFC 6749 hybrid is not what the spec models: exempt, by design
    rfc = {
        "error": "invalid_grant",
        "error_description": "d",
        "status": "BAD_REFRESH_TOKEN",
        "message": "d",
    }
    assert problems("POST", "/oauth/v1/token", 400, rfc) == []
    assert problems("POST", "/oauth/2026-03/token/revoke", 400, rfc) == []
    # but a token-family error without `error` (429, 503) is checked against Error
    assert problems("POST", "/oauth/v3/token", 429, {"status": "error", "message": "m"})


async def test_the_recorder_sees_the_suites_responses(client: httpx.AsyncClient) -> None:
    """The session-end check relies on the recorder installed by tests/conftest.py."""
    from tests.conftest import OBSERVED

    before = len(OBSERVED)
    response = await client.get("/oauth/v1/refresh-tokens/na1-0000")
    assert response.status_code == 404
    seen = OBSERVED[before:]
    assert [(s.method, s.path, s.status, s.body) for s in seen] == [
        ("GET", "/oauth/v1/refresh-tokens/na1-0000", 404, response.content)
    ]
    assert "::test_the_recorder_sees_the_suites_responses[" in seen[0].test


# --- contracts at least as strict as HubSpot's schemas ------------------------------------------


# (contract, definition or None for the root, spec version, HubSpot schema)
MIRRORS: list[tuple[str, str | None, str, str]] = [
    ("access-token-metadata", None, "v1", "AccessTokenInfoResponse"),
    *[
        ("access-token-metadata", "SignedAccessToken", v, "SignedAccessToken")
        for v in ("v1", "v3", "2026-03")
    ],
    *[
        ("introspection-response", "SignedAccessToken", v, "SignedAccessToken")
        for v in ("v1", "v3", "2026-03")
    ],
    *[
        ("introspection-response", "ActiveAccessToken", v, "PublicAccessTokenInfoResponse")
        for v in ("v3", "2026-03")
    ],
    *[
        ("introspection-response", "ActiveRefreshToken", v, "PublicRefreshTokenInfoResponse")
        for v in ("v3", "2026-03")
    ],
    *[
        ("introspection-response", d, "2026-09", "TokenInfoResponseBaseIF")
        for d in ("InactiveToken", "ActiveAccessToken", "ActiveRefreshToken")
    ],
    *[
        ("token-response", "AccessTokenResponse", v, "AccessTokenResponse")
        for v in ("v1", "v3", "2026-03")
    ],
    *[
        ("token-response", "ClientCredentialsTokenResponse", v, "ClientCredentialsTokenResponse")
        for v in ("v1", "v3", "2026-03")
    ],
    *[("error", None, v, "Error") for v in hubspot_spec.SPEC_VERSIONS],
    *[
        (c, "ErrorDetail", v, "ErrorDetail")
        for c in ("error", "rate-limit")
        for v in hubspot_spec.SPEC_VERSIONS
    ],
    *[("rate-limit", None, v, "Error") for v in hubspot_spec.SPEC_VERSIONS],
]

#: HubSpot schemas no contract mirrors member for member, and why.
NOT_MIRRORED = {
    # The founding contract ships byte for byte and requires less than HubSpot does (no
    # token_type, no user_id); the served body is checked against both (test below and the
    # suite-wide recorder).
    ("v1", "RefreshTokenInfoResponse"): "refresh-token-metadata (founding, verbatim)",
    # The oneOf unions are the contracts' root unions, whose members are mirrored above.
    **{(v, "TokenResponseIF"): "token-response root union" for v in ("v1", "v3", "2026-03")},
    **{
        (v, "TokenInfoResponseBaseIF"): "introspection-response root union"
        for v in ("v3", "2026-03")
    },
}


def _declaration(contract: str, definition: str | None) -> dict[str, Any]:
    doc = contracts.load(contract)
    decl: dict[str, Any] = doc if definition is None else doc["definitions"][definition]
    return decl


def _integer_range(decl: dict[str, Any]) -> tuple[int, int] | None:
    """The range of JSON integers a contract declaration admits, or None if it admits
    non-integers (or is not numeric)."""
    kind = decl.get("type")
    if kind == "int32":
        return INT32
    if kind == "number" and decl.get("multipleOf") == 1 and "minimum" in decl and "maximum" in decl:
        return (decl["minimum"], decl["maximum"])
    return None


def _weaker(contract: str, decl: dict[str, Any], version: str, schema: dict[str, Any]) -> list[str]:
    out: list[str] = []
    props: dict[str, Any] = decl.get("properties", {})
    closed = decl.get("additionalProperties") is False
    for name in schema.get("required", []):
        if name not in decl.get("required", []):
            out.append(f"{name}: required by HubSpot, optional in the contract")
    for name, spec_prop in schema.get("properties", {}).items():
        ours = props.get(name)
        if ours is None:
            if not closed:
                out.append(f"{name}: declared by HubSpot, unconstrained in the open contract")
            continue
        if "$ref" in spec_prop:
            target = spec_prop["$ref"].rsplit("/", 1)[1]
            if ours.get("type") != {"$ref": f"#/definitions/{target}"}:
                out.append(f"{name}: HubSpot's {target}, contract has {ours.get('type')!r}")
            continue
        kind = spec_prop.get("type")
        if kind == "integer":
            bounds = INT64 if spec_prop.get("format") == "int64" else INT32
            got = _integer_range(ours)
            if got is None or got[0] < bounds[0] or got[1] > bounds[1]:
                out.append(f"{name}: HubSpot {spec_prop.get('format')}, contract {ours!r}")
        elif kind == "string":
            if ours.get("type") not in ("string", "uuid"):
                out.append(f"{name}: HubSpot string, contract {ours.get('type')!r}")
            if spec_prop.get("format") == "uuid" and ours.get("type") != "uuid":
                out.append(f"{name}: HubSpot uuid, contract {ours.get('type')!r}")
        elif kind == "boolean" and ours.get("type") != "boolean":
            out.append(f"{name}: HubSpot boolean, contract {ours.get('type')!r}")
        elif kind == "array":
            items = spec_prop["items"]
            want = (
                {"$ref": f"#/definitions/{items['$ref'].rsplit('/', 1)[1]}"}
                if "$ref" in items
                else items.get("type")
            )
            if ours.get("type") != "array" or ours["items"].get("type") != want:
                out.append(f"{name}: HubSpot array of {want}, contract {ours!r}")
        elif kind == "object" and ours.get("type") != "map":
            out.append(f"{name}: HubSpot map, contract {ours.get('type')!r}")
        if "enum" in spec_prop:
            allowed = [ours["const"]] if "const" in ours else ours.get("enum")
            if allowed is None or not set(allowed) <= set(spec_prop["enum"]):
                out.append(f"{name}: HubSpot enum {spec_prop['enum']}, contract allows {allowed}")
    return out


@pytest.mark.parametrize(("contract", "definition", "version", "schema"), MIRRORS)
def test_contract_is_at_least_as_strict_as_hubspots_schema(
    contract: str, definition: str | None, version: str, schema: str
) -> None:
    spec_schema = hubspot_spec.load(version)["components"]["schemas"][schema]
    assert _weaker(contract, _declaration(contract, definition), version, spec_schema) == []


def test_every_hubspot_schema_is_mirrored_or_explained() -> None:
    mirrored = {(v, s) for _, _, v, s in MIRRORS}
    for version in hubspot_spec.SPEC_VERSIONS:
        for name, schema in hubspot_spec.load(version)["components"]["schemas"].items():
            if schema.get("properties") or "oneOf" in schema or "required" in schema:
                assert (version, name) in mirrored or (version, name) in NOT_MIRRORED, (
                    version,
                    name,
                )


def test_the_strictness_check_catches_a_loosened_contract() -> None:
    decl = copy.deepcopy(_declaration("access-token-metadata", "SignedAccessToken"))
    spec_schema = hubspot_spec.load("v1")["components"]["schemas"]["SignedAccessToken"]
    decl["required"].remove("trialScopes")
    decl["properties"]["expiresAt"] = {"type": "number"}
    decl["properties"]["hubId"] = {
        "type": "number",
        "multipleOf": 1,
        "minimum": 0,
        "maximum": 2**40,
    }
    found = _weaker("access-token-metadata", decl, "v1", spec_schema)
    assert [f.split(":")[0] for f in found] == ["trialScopes", "expiresAt", "hubId"]


async def test_served_refresh_token_metadata_satisfies_the_seed_and_hubspots_schema(
    client: httpx.AsyncClient, seeded: Seed, ctx: Any
) -> None:
    code = await mint_code(ctx, seeded)
    tokens = await client.post(
        "/oauth/v1/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": seeded.redirect_uri,
            **seeded.creds(),
        },
    )
    refresh = tokens.json()["refresh_token"]
    body = (await client.get(f"/oauth/v1/refresh-tokens/{refresh}")).json()
    official_check("refresh-token-metadata", body)
    spec = {"$ref": "#/components/schemas/RefreshTokenInfoResponse"}
    assert hubspot_spec.validate("v1", spec, body) == []


# --- per-version differences --------------------------------------------------------------------


@pytest.mark.parametrize("version", hubspot_spec.SPEC_VERSIONS)
def test_version_table_matches_the_published_spec(version: str) -> None:
    token = next(
        o
        for o in hubspot_spec.operations()
        if o.version == version and o.template.endswith("/token")
    )
    item = hubspot_spec.load(version)["paths"][token.template]["post"]
    form = item["requestBody"]["content"]["application/x-www-form-urlencoded"]["schema"]
    listed = API_VERSIONS[version]
    assert set(form["properties"]["grant_type"]["enum"]) == set(listed.grant_types)
    assert ("client_assertion" in form["properties"]) is listed.lists_client_assertion
    assert ("client_assertion_type" in form["properties"]) is listed.lists_client_assertion
    assert (token.schema(200) is not None) is listed.documents_token_response
