"""The scenarios: what each request looks like against hubauth, the ceiling and the peer.

Every scenario of hubauth has a ceiling counterpart (a bare route returning the same body:
``get`` for the GET lookups, ``post`` for everything that posts a form) and, where
django-oauth-toolkit has the endpoint, a peer counterpart.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from bench.load import Request
from bench.peer import PeerSeed
from bench.peer_oidc import OidcSeed
from bench.seed_hubauth import REDIRECT_URI, Seeded


@dataclass(frozen=True)
class Scenario:
    name: str
    title: str
    ceiling: str  # "get" or "post"
    peer: bool  # django-oauth-toolkit and oidc-provider have a counterpart
    kind: str  # "lookup" or "grant" (targets differ)


SCENARIOS = (
    Scenario("refresh_lookup", "GET /oauth/v1/refresh-tokens/{t}", "get", False, "lookup"),
    Scenario("access_lookup", "GET /oauth/v1/access-tokens/{t}", "get", False, "lookup"),
    Scenario("introspect", "POST /oauth/v3/token/introspect", "post", True, "lookup"),
    Scenario("refresh_grant", "POST /oauth/v1/token (refresh_token)", "post", True, "grant"),
    Scenario("code_exchange", "POST /oauth/v1/token (authorization_code)", "post", False, "grant"),
    Scenario(
        "client_credentials", "POST /oauth/v1/token (client_credentials)", "post", True, "grant"
    ),
)
BY_NAME = {s.name: s for s in SCENARIOS}
INTROSPECT_PATH = "/oauth/v3/token/introspect"


def _creds(client_id: str, client_secret: str) -> str:
    return f"client_id={quote(client_id)}&client_secret={quote(client_secret)}"


def hubauth_request(name: str, s: Seeded, codes: Path | None, dummy: Path) -> Request:
    creds = _creds(s.client_id, s.client_secret)
    if name == "refresh_lookup":
        return Request("GET", "/oauth/v1/refresh-tokens/{t}", None, s.refresh_file)
    if name == "access_lookup":
        return Request("GET", "/oauth/v1/access-tokens/{t}", None, s.access_file)
    if name == "introspect":
        body = f"{creds}&token={{t}}&token_type_hint=access_token"
        return Request("POST", INTROSPECT_PATH, body, s.access_file)
    if name == "refresh_grant":
        body = f"grant_type=refresh_token&{creds}&refresh_token={{t}}"
        return Request("POST", "/oauth/v1/token", body, s.refresh_file)
    if name == "code_exchange":
        assert codes is not None
        body = (
            f"grant_type=authorization_code&{creds}&redirect_uri={quote(REDIRECT_URI, safe='')}"
            "&code={t}"
        )
        return Request("POST", "/oauth/v1/token", body, codes, walk=True)
    if name == "client_credentials":
        body = f"grant_type=client_credentials&{creds}&scope=crm.objects.contacts.read"
        return Request("POST", "/oauth/v1/token", body, dummy)
    raise KeyError(name)


def ceiling_request(kind: str, s: Seeded) -> Request:
    """The same request line and body as hubauth's refresh lookup / refresh grant."""
    if kind == "get":
        return Request("GET", "/ceiling/get/{t}", None, s.refresh_file)
    body = f"grant_type=refresh_token&{_creds(s.client_id, s.client_secret)}&refresh_token={{t}}"
    return Request("POST", "/ceiling/post", body, s.refresh_file)


def peer_request(name: str, p: PeerSeed, dummy: Path) -> Request:
    code = _creds(p.code_app["client_id"], p.code_app["client_secret"])
    if name == "introspect":
        return Request("POST", "/o/introspect/", f"{code}&token={{t}}", p.access_file)
    if name == "refresh_grant":
        body = f"grant_type=refresh_token&{code}&refresh_token={{t}}"
        return Request("POST", "/o/token/", body, p.refresh_file)
    if name == "client_credentials":
        cc = _creds(p.cc_app["client_id"], p.cc_app["client_secret"])
        return Request("POST", "/o/token/", f"grant_type=client_credentials&{cc}&scope=read", dummy)
    raise KeyError(name)


def oidc_request(name: str, p: OidcSeed, dummy: Path) -> Request:
    """oidc-provider's routes for the same requests (its default paths)."""
    code = _creds(p.code_app["client_id"], p.code_app["client_secret"])
    if name == "introspect":
        body = f"{code}&token={{t}}&token_type_hint=access_token"
        return Request("POST", "/token/introspection", body, p.access_file)
    if name == "refresh_grant":
        body = f"grant_type=refresh_token&{code}&refresh_token={{t}}"
        return Request("POST", "/token", body, p.refresh_file)
    if name == "client_credentials":
        cc = _creds(p.cc_app["client_id"], p.cc_app["client_secret"])
        return Request("POST", "/token", f"grant_type=client_credentials&{cc}&scope=read", dummy)
    raise KeyError(name)
