"""``hubauth.resource``: accept hubauth access tokens on a platform's own APIs.

A resource server (RFC 6750) checks the ``Authorization: Bearer`` token of each request and
the scopes the route needs, and answers as HubSpot's APIs do:

* no token, or one that is unknown, expired, revoked or uninstalled: **401** with category
  ``INVALID_AUTHENTICATION`` and ``WWW-Authenticate: Bearer`` (RFC 6750 §3.1);
* a live token without every required scope: **403** with category ``MISSING_SCOPES`` and the
  missing scopes in ``context.missingScopes`` (the ``Error`` schema of HubSpot's OpenAPI specs;
  https://developers.hubspot.com/docs/api/error-handling);
* the authorization server unreachable: **503**, never a pass.

Two ways to check a token (:class:`Verifier`):

* :class:`IntrospectionVerifier`: RFC 7662 introspection at ``/oauth/v3/token/introspect`` with
  the resource server's own client credentials; needs only ``httpx`` (``pip install hubauth``).
  The server must list that client in ``HUBAUTH_RESOURCE_SERVER_CLIENTS`` to learn about tokens
  issued to other clients.
* :class:`hubauth.resource.colocated.DatabaseVerifier`: reads hubauth's database directly
  (needs ``hubauth[server]``).

Answers are cached (:class:`ResourceGuard`, bounded by ``cache_ttl`` and ``max_entries``): a
revoked token is refused at most ``cache_ttl`` seconds after its revocation, and no cached
answer outlives the token's own expiry. That bound is the guard's revocation latency.

Plug it in with :class:`ResourceGuardMiddleware` (any ASGI app) or
:func:`hubauth.resource.dependency.requires` (a FastAPI / Starlette dependency).
"""

from __future__ import annotations

import hashlib
import json
import time
import uuid
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterable, Mapping, MutableMapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import httpx

__all__ = [
    "GuardError",
    "IntrospectionVerifier",
    "MissingScopes",
    "ResourceGuard",
    "ResourceGuardMiddleware",
    "ScopeRule",
    "TokenInfo",
    "TokenRejected",
    "Verifier",
    "VerifierUnavailable",
]

#: Default seconds an answer is reused: the default revocation latency.
DEFAULT_CACHE_TTL_S = 30.0
DEFAULT_MAX_ENTRIES = 10_000
SCOPES_URL = "https://developers.hubspot.com/scopes"

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class TokenInfo:
    """What a live access token grants. ``expires_in`` is the remaining lifetime (s) when it
    was checked; the ids are HubSpot's (0 for app-level tokens, as in introspection)."""

    client_id: str
    app_id: int
    hub_id: int
    user_id: int
    scopes: frozenset[str]
    expires_in: int
    user: str | None = None
    hub_domain: str | None = None

    @classmethod
    def from_introspection(cls, body: Mapping[str, Any]) -> TokenInfo:
        """From an active RFC 7662 / HubSpot v3 introspection body (``oauth-v3.json``'s
        ``PublicAccessTokenInfoResponse``)."""
        raw_scopes = body.get("scopes")
        if not isinstance(raw_scopes, list):
            raw_scopes = str(body.get("scope", "")).split()
        return cls(
            client_id=str(body.get("client_id", "")),
            app_id=int(body.get("app_id", 0)),
            hub_id=int(body.get("hub_id", 0)),
            user_id=int(body.get("user_id", 0)),
            scopes=frozenset(str(s) for s in raw_scopes),
            expires_in=int(body.get("expires_in", 0)),
            user=body.get("user"),
            hub_domain=body.get("hub_domain"),
        )


class Verifier(Protocol):
    """Looks a bearer token up: its grant if it is a live access token, else ``None``.
    Raises :class:`VerifierUnavailable` when it cannot tell."""

    async def verify(self, token: str) -> TokenInfo | None: ...


class GuardError(Exception):
    """A refusal, rendered in HubSpot's error shape by :meth:`response`."""

    status = 500
    category = "INTERNAL_ERROR"

    def __init__(self, message: str, context: Mapping[str, list[str]] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.context = dict(context or {})

    def body(self) -> dict[str, Any]:
        """HubSpot's ``Error`` (required: category, correlationId, message) plus the
        ``status: "error"`` member its APIs send."""
        body: dict[str, Any] = {
            "status": "error",
            "message": self.message,
            "correlationId": str(uuid.uuid4()),
            "category": self.category,
        }
        if self.context:
            body["context"] = self.context
        return body

    def headers(self) -> dict[str, str]:
        return {"Cache-Control": "no-store"}

    def response(self) -> tuple[int, dict[str, str], bytes]:
        """Status, headers and body, for any framework."""
        headers = {"Content-Type": "application/json;charset=utf-8", **self.headers()}
        return self.status, headers, json.dumps(self.body()).encode()


class TokenRejected(GuardError):
    """No bearer token, or not a live one (RFC 6750 §3.1 ``invalid_token``)."""

    status = 401
    category = "INVALID_AUTHENTICATION"

    def __init__(self, message: str, *, token_presented: bool) -> None:
        super().__init__(message)
        self.token_presented = token_presented

    def headers(self) -> dict[str, str]:
        # RFC 6750 §3.1: no error code when the request carried no credentials at all
        challenge = 'Bearer realm="hubauth"'
        if self.token_presented:
            challenge += ', error="invalid_token"'
        return {**super().headers(), "WWW-Authenticate": challenge}


class MissingScopes(GuardError):
    """A live token lacking scopes the route needs (RFC 6750 §3.1 ``insufficient_scope``)."""

    status = 403
    category = "MISSING_SCOPES"

    def __init__(self, missing: Sequence[str], required: Sequence[str]) -> None:
        super().__init__(
            "This app hasn't been granted all required scopes to make this call. "
            f"Read more about required scopes here: {SCOPES_URL}.",
            {"missingScopes": list(missing)},
        )
        self.missing = tuple(missing)
        self.required = tuple(required)

    def body(self) -> dict[str, Any]:
        body = super().body()
        body["errors"] = [
            {
                "message": "One or more of the following scopes are required.",
                "context": {"requiredScopes": list(self.required)},
            }
        ]
        body["links"] = {"scopes": SCOPES_URL}
        return body

    def headers(self) -> dict[str, str]:
        scope = " ".join(self.required)
        return {
            **super().headers(),
            "WWW-Authenticate": f'Bearer realm="hubauth", error="insufficient_scope", '
            f'scope="{scope}"',
        }


class VerifierUnavailable(GuardError):
    """The token could not be checked (authorization server down): refused, not let in."""

    status = 503
    category = "SERVICE_UNAVAILABLE"


class IntrospectionVerifier:
    """RFC 7662 introspection against a hubauth server (``POST /oauth/v3/token/introspect``),
    authenticated as the resource server's own client (``client_secret_post``)."""

    def __init__(
        self,
        base_url: str,
        client_id: str,
        client_secret: str,
        *,
        version: str = "v3",
        http: httpx.AsyncClient | None = None,
        timeout: float = 5.0,
    ) -> None:
        self._url = f"{base_url.rstrip('/')}/oauth/{version}/token/introspect"
        self._form = {"client_id": client_id, "client_secret": client_secret}
        self._http = http
        self._timeout = timeout

    async def verify(self, token: str) -> TokenInfo | None:
        data = {**self._form, "token": token, "token_type_hint": "access_token"}
        try:
            if self._http is not None:
                response = await self._http.post(self._url, data=data, timeout=self._timeout)
            else:
                async with httpx.AsyncClient(timeout=self._timeout) as http:
                    response = await http.post(self._url, data=data)
        except httpx.HTTPError as exc:
            raise VerifierUnavailable(
                f"The authorization server could not be reached ({type(exc).__name__})."
            ) from None
        if response.status_code != 200:
            # 400 invalid_client means the guard's own credentials are wrong: an operator
            # error, never the caller's, so it is not a 401 for them.
            raise VerifierUnavailable(
                f"The authorization server refused introspection ({response.status_code})."
            )
        body = response.json()
        if not isinstance(body, dict) or body.get("active") is not True:
            return None
        # A refresh token is not a bearer credential for APIs (RFC 6749 §1.5).
        if body.get("token_use", "access_token") != "access_token":
            return None
        return TokenInfo.from_introspection(body)


@dataclass(slots=True)
class _Entry:
    info: TokenInfo
    until: float


class ResourceGuard:
    """Checks a bearer token and a route's scopes, caching live answers.

    ``cache_ttl`` (seconds, 0 disables) bounds how long a revoked token keeps working here;
    ``max_entries`` bounds memory (least recently used answers go first). ``clock`` is a
    monotonic seconds source (tests pass their own). Refusals are not cached, so a token
    becomes usable as soon as it is issued.
    """

    def __init__(
        self,
        verifier: Verifier,
        *,
        cache_ttl: float = DEFAULT_CACHE_TTL_S,
        max_entries: int = DEFAULT_MAX_ENTRIES,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if cache_ttl < 0 or max_entries < 0:
            raise ValueError("cache_ttl and max_entries must not be negative")
        self.verifier = verifier
        self.cache_ttl = cache_ttl
        self.max_entries = max_entries
        self._clock = clock
        self._cache: OrderedDict[bytes, _Entry] = OrderedDict()

    @property
    def cached(self) -> int:
        return len(self._cache)

    def clear(self) -> None:
        """Forget every cached answer (e.g. after an incident: revocations apply at once)."""
        self._cache.clear()

    async def authenticate(self, authorization: str | None) -> TokenInfo:
        """The grant of an ``Authorization`` header value; raises :class:`TokenRejected`."""
        token = bearer_token(authorization)
        if token is None:
            raise TokenRejected(
                "Authentication credentials not found. This API supports OAuth 2.0 "
                "authentication and you can find more details at "
                "https://developers.hubspot.com/docs/methods/auth/oauth-overview",
                token_presented=authorization is not None,
            )
        info = await self._lookup(token)
        if info is None:
            raise TokenRejected(
                "The OAuth token used to make this call is invalid, expired or revoked.",
                token_presented=True,
            )
        return info

    async def check(self, authorization: str | None, required: Iterable[str] = ()) -> TokenInfo:
        """:meth:`authenticate`, then every ``required`` scope (:class:`MissingScopes`)."""
        info = await self.authenticate(authorization)
        needed = list(dict.fromkeys(required))
        missing = [scope for scope in needed if scope not in info.scopes]
        if missing:
            raise MissingScopes(missing, needed)
        return info

    async def _lookup(self, token: str) -> TokenInfo | None:
        # The raw token is not kept as a key: a heap dump shows digests only.
        key = hashlib.sha256(token.encode()).digest()
        now = self._clock()
        entry = self._cache.get(key)
        if entry is not None:
            if entry.until > now:
                self._cache.move_to_end(key)
                return entry.info
            del self._cache[key]
        info = await self.verifier.verify(token)
        if info is not None and self.cache_ttl > 0 and self.max_entries > 0:
            until = now + min(self.cache_ttl, float(info.expires_in))
            if until > now:
                self._cache[key] = _Entry(info, until)
                while len(self._cache) > self.max_entries:
                    self._cache.popitem(last=False)
        return info


def bearer_token(authorization: str | None) -> str | None:
    """The token of ``Authorization: Bearer <token>`` (RFC 6750 §2.1; the scheme is
    case-insensitive, RFC 7235 §2.1), or ``None``."""
    if authorization is None:
        return None
    scheme, _, token = authorization.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or " " in token:
        return None
    return token


@dataclass(frozen=True, slots=True)
class ScopeRule:
    """Requests whose path starts with ``prefix`` (and whose method is in ``methods``, if
    given) need ``scopes``; ``scopes=None`` makes them public (no token checked)."""

    prefix: str
    scopes: tuple[str, ...] | None = ()
    methods: frozenset[str] | None = field(default=None)

    def matches(self, method: str, path: str) -> bool:
        if self.methods is not None and method.upper() not in self.methods:
            return False
        return path == self.prefix or path.startswith(self.prefix.rstrip("/") + "/")


class ResourceGuardMiddleware:
    """ASGI middleware: every HTTP request needs a live token, plus the scopes of the longest
    matching :class:`ScopeRule`; a request no rule matches needs a live token and no scope
    (closed by default). The grant is put in ``scope["state"]["hubauth_token"]``
    (``request.state.hubauth_token`` in Starlette / FastAPI)."""

    def __init__(self, app: ASGIApp, guard: ResourceGuard, rules: Sequence[ScopeRule] = ()):
        self.app = app
        self.guard = guard
        self.rules = sorted(rules, key=lambda rule: len(rule.prefix), reverse=True)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rule = next((r for r in self.rules if r.matches(scope["method"], scope["path"])), None)
        if rule is not None and rule.scopes is None:
            await self.app(scope, receive, send)
            return
        authorization = _header(scope, b"authorization")
        try:
            info = await self.guard.check(
                authorization, rule.scopes if rule and rule.scopes else ()
            )
        except GuardError as exc:
            await send_error(exc, send)
            return
        scope.setdefault("state", {})["hubauth_token"] = info
        await self.app(scope, receive, send)


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key.lower() == name:
            return bytes(value).decode("latin-1")
    return None


async def send_error(error: GuardError, send: Send) -> None:
    """Answer an ASGI request with ``error``."""
    status, headers, body = error.response()
    raw_headers = [(k.lower().encode(), v.encode("latin-1")) for k, v in headers.items()]
    raw_headers.append((b"content-length", str(len(body)).encode()))
    await send({"type": "http.response.start", "status": status, "headers": raw_headers})
    await send({"type": "http.response.body", "body": body})
