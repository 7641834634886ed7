"""The token endpoint as a client sees it: where it is, what to send, how to read the answer.

No I/O here; the sync and async managers send the same forms and read answers the same way.
Every parameter goes in the form body (``application/x-www-form-urlencoded``): v3 and the dated
endpoints require it, v1 accepts it (docs/sources.md: G-V1, G-V3), and credentials never end up in
a URL or an access log.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import httpx

from hubauth.client import _json
from hubauth.client.errors import Misconfigured, RefreshError, RetryLater, classify_response
from hubauth.client.tokens import MalformedTokenResponse, TokenSet

HUBSPOT_API = "https://api.hubapi.com"
TOKEN_PATH_V1 = "/oauth/v1/token"  # deprecated, served until 2027-02-16 (docs/sources.md: CL-DEP)
TOKEN_PATH_V3 = "/oauth/v3/token"
HEADERS = {"Accept": "application/json"}


@dataclass(frozen=True, slots=True)
class OAuthApp:
    """An app's credentials and the token endpoint it talks to (HubSpot's by default)."""

    client_id: str
    client_secret: str = field(repr=False)
    base_url: str = HUBSPOT_API
    token_path: str = TOKEN_PATH_V1

    @property
    def token_url(self) -> str:
        return self.base_url.rstrip("/") + self.token_path

    def refresh_form(self, refresh_token: str) -> dict[str, str]:
        """RFC 6749 §6; HubSpot needs the secret on every refresh (docs/sources.md: G-V3)."""
        return {
            "grant_type": "refresh_token",
            "refresh_token": refresh_token,
            "client_id": self.client_id,
            "client_secret": self.client_secret,
        }

    def code_form(
        self, code: str, redirect_uri: str, code_verifier: str | None = None
    ) -> dict[str, str]:
        """RFC 6749 §4.1.3 (+ RFC 7636 §4.5 ``code_verifier``)."""
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "client_id": self.client_id,
            "client_secret": self.client_secret,
        }
        if code_verifier is not None:
            form["code_verifier"] = code_verifier
        return form


def read_token_response(
    response: httpx.Response, now_ms: int, previous_refresh_token: str | None = None
) -> TokenSet:
    """The tokens of a 200, or the classified error of anything else."""
    if response.status_code != 200:
        raise classify_response(response.status_code, response.headers, response.content, now_ms)
    try:
        body = _json.loads(response.content)
        if not isinstance(body, Mapping):
            raise MalformedTokenResponse("token response is not a JSON object")
        return TokenSet.from_response(body, now_ms, previous_refresh_token)
    except (ValueError, MalformedTokenResponse) as exc:
        raise RefreshError(f"unexpected token response: {exc}", http_status=200) from None


def transport_error(exc: httpx.TransportError) -> RefreshError:
    """A request that got no answer: transient, unless the URL itself is unusable."""
    if isinstance(exc, httpx.UnsupportedProtocol):
        return Misconfigured(f"token URL is unusable: {exc}")
    return RetryLater(f"token endpoint unreachable: {type(exc).__name__}")
