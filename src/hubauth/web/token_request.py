"""The one parse of a token-endpoint request, shared by the rate limiter and the handlers.

Every ``POST`` to a token, introspection or revocation endpoint (v1 and v3 with its dated twins)
is read once, here, and the outcome is cached on the ASGI scope. The rate-limit middleware
learns the ``client_id`` to charge from it, the fault-injection middleware its ``grant_type``,
and the route handler its parameters: all three see the very same bytes and headers. Two
parsers disagreeing about a repeated header was how failures escaped throttling. A refusal
is cached too: the limiter then charges the address only, and the handler renders it.

In order, each step refusing with HubSpot's token-error body:

1. a repeated ``Content-Type`` or ``Authorization`` header: 400 (which copy would count?);
2. v3 and dated endpoints: any query string, 400 (every parameter belongs in the body,
   https://developers.hubspot.com/docs/api-reference/auth-oauth-v3/guide);
3. the media type: ``application/x-www-form-urlencoded`` (RFC 6749 §3.2), or on v3 and dated
   endpoints ``application/json`` as HubSpot's ``hubspot-sdk`` sends it (unless
   ``HUBAUTH_ACCEPT_JSON_BODIES`` is off); anything else 415, as HubSpot's v1 does for JSON;
4. the body, at most ``max_body_bytes`` (413 past it), decoded strictly: no repeated names
   (RFC 6749 §3.1), UTF-8, no NULs; a JSON body must be one object of string values;
5. v1 only: ``client_secret``/``refresh_token`` from the query string (HubSpot's v1 allows them,
   ``HUBAUTH_ALLOW_QUERY_CREDENTIALS_V1``);
6. HTTP Basic credentials merged in (:mod:`hubauth.web.client_auth`), and the client
   authentication method recorded; a method the endpoint does not take is refused;
7. the endpoint's request contract (lengths, types).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Literal
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.types import Receive, Scope

from hubauth.core.client_assertion import claimed_client_id
from hubauth.core.errors import TokenError, invalid_request
from hubauth.core.versions import API_VERSIONS
from hubauth.web.client_auth import AuthMethod, basic_credentials, merge_basic, method_of
from hubauth.web.forms import (
    FORM_TYPE,
    MAX_PARAMETERS,
    check_contract,
    parse_form,
    receive_body,
)

JSON_TYPE = "application/json"

#: HubSpot's v3 API and its date-versioned twins; ``v3`` first: discovery advertises it.
VERSIONS: tuple[str, ...] = ("v3", "2026-03", "2026-09")
V1_TOKEN_PATH = "/oauth/v1/token"
TOKEN_PATH = "/oauth/{version}/token"
INTROSPECT_PATH = "/oauth/{version}/token/introspect"
REVOKE_PATH = "/oauth/{version}/token/revoke"

#: HubSpot's v1 spec allows these two in the query string; nothing else.
V1_QUERY_PARAMS = frozenset({"client_secret", "refresh_token"})

#: Names worth telling an operator about when they show up in a URL (values never logged).
_SENSITIVE = frozenset(
    {"client_secret", "refresh_token", "access_token", "token", "code", "code_verifier"}
)

#: Where the outcome is cached (an ASGI scope extension key: Starlette's Request shares it).
SCOPE_KEY = "hubauth.token_request"

Operation = Literal["token", "introspect", "revoke"]

#: What every token endpoint takes today; each endpoint lists its own (discovery reads them).
SECRET_METHODS: tuple[AuthMethod, ...] = (
    AuthMethod.CLIENT_SECRET_POST,
    AuthMethod.CLIENT_SECRET_BASIC,
)


@dataclass(frozen=True, slots=True)
class Endpoint:
    """One token endpoint and the rules its requests are parsed by."""

    path: str
    version: str
    operation: Operation
    contract: str
    auth_methods: tuple[AuthMethod, ...] = SECRET_METHODS

    @property
    def takes_json(self) -> bool:
        """HubSpot's v1 answers 415 to JSON; ``hubspot-sdk`` sends JSON to the others."""
        return self.version != "v1"


def _endpoints() -> dict[str, Endpoint]:
    table = {V1_TOKEN_PATH: Endpoint(V1_TOKEN_PATH, "v1", "token", "token-request")}
    operations: tuple[tuple[str, Operation, str], ...] = (
        (TOKEN_PATH, "token", "token-request"),
        (INTROSPECT_PATH, "introspect", "introspection-request"),
        (REVOKE_PATH, "revoke", "revocation-request"),
    )
    for version in VERSIONS:
        for template, operation, contract in operations:
            path = template.format(version=version)
            methods = SECRET_METHODS
            if operation == "token" and API_VERSIONS[version].lists_client_assertion:
                methods = (*SECRET_METHODS, AuthMethod.PRIVATE_KEY_JWT)
            table[path] = Endpoint(path, version, operation, contract, methods)
    return table


#: Every token endpoint by path.
ENDPOINTS: dict[str, Endpoint] = _endpoints()


@dataclass(frozen=True, slots=True)
class TokenRequest:
    """A parsed, contract-checked request: its parameters with any Basic credentials merged
    in, and the client authentication method it used."""

    endpoint: Endpoint
    params: Mapping[str, str]
    auth_method: AuthMethod

    @property
    def client_id(self) -> str | None:
        """The client the request names: ``client_id``, or the ``sub`` an assertion claims
        (unverified; the rate limiter charges it as it charges an unverified client_id)."""
        named = self.params.get("client_id") or None
        if named is None and self.auth_method is AuthMethod.PRIVATE_KEY_JWT:
            return claimed_client_id(self.params.get("client_assertion", ""))
        return named

    def refusal(self, error: TokenError) -> TokenError:
        """``error`` as this request should get it. RFC 6749 §5.2: a client that tried to
        authenticate with the ``Authorization`` header gets 401 (and ``WWW-Authenticate``,
        added by the error renderer) when that fails; body credentials keep HubSpot's 400."""
        if error.error == "invalid_client" and self.auth_method is AuthMethod.CLIENT_SECRET_BASIC:
            return TokenError(error.error, error.status, error.message, 401)
        return error


@dataclass(frozen=True, slots=True)
class ParseFailure:
    """A request refused by the parse: the limiter charges its address, the handler raises."""

    endpoint: Endpoint
    error: TokenError

    @property
    def client_id(self) -> None:
        return None  # nothing in a refused request is trusted enough to charge


async def parse(scope: Scope, receive: Receive) -> TokenRequest | ParseFailure | None:
    """The request's parse, from the scope's cache or made (and cached) now; ``None`` when
    it is not a ``POST`` to a token endpoint. A client that disconnects mid-body raises
    Starlette's ``ClientDisconnect`` and nothing is cached."""
    cached: TokenRequest | ParseFailure | None = scope.get(SCOPE_KEY)
    if cached is not None:
        return cached
    endpoint = ENDPOINTS.get(scope["path"])
    if endpoint is None or scope["method"] != "POST":
        return None
    result: TokenRequest | ParseFailure
    try:
        result = await _parse(endpoint, scope, receive)
    except TokenError as exc:
        result = ParseFailure(endpoint, exc)
    scope[SCOPE_KEY] = result
    return result


async def parsed_request(request: Request) -> TokenRequest:
    """For a handler: its request's parse, or the parse's refusal raised."""
    result = await parse(request.scope, request.receive)
    if isinstance(result, TokenRequest):
        return result
    if result is None:  # a route wired to a handler without an ENDPOINTS entry
        raise LookupError(f"{request.url.path} is not a token endpoint")
    raise result.error


async def _parse(endpoint: Endpoint, scope: Scope, receive: Receive) -> TokenRequest:
    content_type = authorization = None
    for name, value in scope["headers"]:
        if name == b"content-type":
            if content_type is not None:
                raise invalid_request("the Content-Type header is repeated")
            content_type = value
        elif name == b"authorization":
            if authorization is not None:
                raise invalid_request("the Authorization header is repeated")
            authorization = value

    state = scope["app"].state
    settings = state.settings
    raw_query: bytes = scope.get("query_string", b"")
    if raw_query and endpoint.version != "v1":
        _refuse_query(state, scope["path"], raw_query)

    media_type = (content_type or b"").split(b";", 1)[0].strip().lower()
    takes_json = endpoint.takes_json and settings.accept_json_bodies
    if media_type == b"application/x-www-form-urlencoded":
        params = parse_form(await receive_body(scope, receive, settings.max_body_bytes))
    elif media_type == b"application/json" and takes_json:
        params = parse_json(await receive_body(scope, receive, settings.max_body_bytes))
    else:
        accepted = f"{FORM_TYPE} or {JSON_TYPE}" if takes_json else FORM_TYPE
        raise invalid_request(f"Content-Type must be {accepted}", http_status=415)

    if raw_query and endpoint.version == "v1":
        _merge_v1_query(params, parse_form(raw_query), settings.allow_query_credentials_v1)

    basic = None
    if authorization is not None:
        basic = basic_credentials(authorization.decode("latin-1"))
        if basic is not None:
            merge_basic(params, *basic)
    method = method_of(params, basic is not None)
    if method is not AuthMethod.NONE and method not in endpoint.auth_methods:
        raise invalid_request(f"client authentication {method} is not accepted here")
    check_contract(params, endpoint.contract)
    return TokenRequest(endpoint, MappingProxyType(params), method)


def _refuse_query(state: Any, path: str, raw_query: bytes) -> None:
    """A secret put in a URL ends up in proxy and server logs: refuse it, and tell the operator
    which sensitive names (never values) were exposed, so they can have the app rotate it."""
    names = {name for name, _ in parse_qsl(raw_query.decode("latin-1"), keep_blank_values=True)}
    state.ctx.audit("query_parameters_refused", path=path, exposed=sorted(names & _SENSITIVE))
    raise invalid_request("v3 parameters must be sent in the form body, not in the URL")


def _merge_v1_query(params: dict[str, str], query: dict[str, str], allowed: bool) -> None:
    if not allowed and query.keys() & V1_QUERY_PARAMS:
        raise invalid_request("credentials must be sent in the form body, not the URL")
    for name in V1_QUERY_PARAMS & query.keys():
        if name in params and params[name] != query[name]:
            raise invalid_request(f"parameter {name!r} is repeated")
        params.setdefault(name, query[name])


def _object_without_repeats(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, value in pairs:
        if name in out:
            raise invalid_request(f"parameter {name!r} is repeated")
        out[name] = value
    return out


def parse_json(raw: bytes) -> dict[str, str]:
    """A JSON body (RFC 8259) as parameters: one object whose values are all strings, under the
    same rules as a form (no repeated names, no NULs, at most :data:`MAX_PARAMETERS`)."""
    try:
        value = json.loads(raw.decode("utf-8"), object_pairs_hook=_object_without_repeats)
    except UnicodeDecodeError:
        raise invalid_request("parameters must be UTF-8") from None
    except (ValueError, RecursionError):
        raise invalid_request("the JSON body is malformed") from None
    if not isinstance(value, dict):
        raise invalid_request("the JSON body must be an object")
    if len(value) > MAX_PARAMETERS:
        raise invalid_request(f"too many parameters (at most {MAX_PARAMETERS})")
    for name, item in value.items():
        if type(item) is not str:
            raise invalid_request(f"parameter {name!r} must be a string")
        if "\x00" in item or "\x00" in name:
            raise invalid_request("parameters must not contain NUL characters")
    return value
