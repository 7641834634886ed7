"""Driving the install pages over HTTP the way a browser would (in-process client)."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx

from tests.support import Seed

_HIDDEN = re.compile(r'<input type="hidden" name="(?P<name>[a-z_]+)" value="(?P<value>[^"]*)">')
_RADIO = re.compile(r'type="radio" id="hub-(\d+)"')
_CHECKBOX = re.compile(r'type="checkbox" id="opt-\d+" name="optional_scope" value="([^"]+)"')

#: Every page and redirect of the install flow carries these (docs/authorize.md).
SECURITY_HEADERS = {
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
    "cache-control": "no-store",
}


def assert_page_headers(response: httpx.Response) -> None:
    for name, value in SECURITY_HEADERS.items():
        assert response.headers.get(name) == value, (name, response.headers.get(name))
    csp = response.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in csp
    assert "default-src 'self'" in csp


def hidden_fields(page: str) -> dict[str, str]:
    return {m["name"]: html.unescape(m["value"]) for m in _HIDDEN.finditer(page)}


def account_ids(page: str) -> list[int]:
    return [int(x) for x in _RADIO.findall(page)]


def offered_optional(page: str) -> list[str]:
    return _CHECKBOX.findall(page)


def authorize_url(s: Seed, path: str = "/oauth/authorize", **overrides: str | None) -> str:
    params: dict[str, str | None] = {
        "client_id": s.client_id,
        "redirect_uri": s.redirect_uri,
        "scope": " ".join(s.scopes),
        "optional_scope": " ".join(s.optional_scopes),
        "state": "st-123",
    }
    params.update(overrides)
    return path + "?" + urlencode({k: v for k, v in params.items() if v is not None})


def location_params(response: httpx.Response) -> dict[str, str]:
    """The query of a redirect's Location, every value single (parse_qs keeps blanks)."""
    query = parse_qs(urlsplit(response.headers["location"]).query, keep_blank_values=True)
    assert all(len(v) == 1 for v in query.values()), query
    return {k: v[0] for k, v in query.items()}


@dataclass
class Flow:
    """One install in progress: the client keeps the session cookie like a browser."""

    client: httpx.AsyncClient
    page: httpx.Response

    @property
    def fields(self) -> dict[str, str]:
        return hidden_fields(self.page.text)

    async def post(self, path: str, data: dict[str, str] | list[tuple[str, str]]) -> httpx.Response:
        base = {"csrf_token": self.fields["csrf_token"], "flow": self.fields["flow"]}
        pairs = list(base.items()) + (list(data.items()) if isinstance(data, dict) else data)
        return await self.client.post(
            path,
            content=urlencode(pairs).encode(),
            headers={"content-type": "application/x-www-form-urlencoded"},
        )

    async def follow(self, response: httpx.Response) -> httpx.Response:
        """Follow a 303 back to the flow's next page; it becomes the current page."""
        assert response.status_code == 303, response.text
        location = response.headers["location"]
        assert location.startswith("/oauth/authorize/continue?flow="), location
        self.page = await self.client.get(location)
        return self.page

    async def sign_in(self, email: str, password: str) -> httpx.Response:
        response = await self.post(
            "/oauth/authorize/sign-in", {"email": email, "password": password}
        )
        if response.status_code != 303:
            self.page = response
            return response
        return await self.follow(response)

    async def choose(self, hub_id: int | str) -> httpx.Response:
        response = await self.post("/oauth/authorize/account", {"hub_id": str(hub_id)})
        if response.status_code != 303:
            return response
        return await self.follow(response)

    async def decide(self, decision: str, optional: tuple[str, ...] = ()) -> httpx.Response:
        pairs = [("decision", decision), ("hub_id", self.fields.get("hub_id", ""))]
        pairs += [("optional_scope", s) for s in optional]
        return await self.post("/oauth/authorize/decision", pairs)


async def start(client: httpx.AsyncClient, url: str) -> Flow:
    page = await client.get(url)
    assert page.status_code == 200, page.text
    return Flow(client, page)


async def approve_flow(
    client: httpx.AsyncClient, s: Seed, *, optional: tuple[str, ...] = (), **overrides: str | None
) -> httpx.Response:
    """Sign in and approve (the seeded user has one hub, so no chooser); the final redirect."""
    flow = await start(client, authorize_url(s, **overrides))
    consent = await flow.sign_in(s.email, s.password)
    assert "Connect app" in consent.text, consent.text
    return await flow.decide("approve", optional)


async def exchange(client: httpx.AsyncClient, s: Seed, code: str, **extra: str) -> httpx.Response:
    return await client.post(
        "/oauth/v1/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": s.redirect_uri,
            **s.creds(),
            **extra,
        },
    )
