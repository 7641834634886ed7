"""Client credentials from an ``Authorization: Basic`` header (RFC 6749 §2.3.1).

HubSpot's clients send ``client_id``/``client_secret`` in the form body (``client_secret_post``);
RFC 6749 §2.3.1 says servers MUST also accept HTTP Basic. Accepting both is where confusion
attacks live (a proxy or library that checks one copy while the server uses the other), so:

* a client MUST NOT use more than one authentication method per request (RFC 6749 §2.3):
  a Basic header together with a ``client_secret`` anywhere else is refused;
* a ``client_id`` parameter next to a Basic header must name the same client;
* a malformed header is refused rather than ignored.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from urllib.parse import unquote

from starlette.requests import Request

from hubauth.core.errors import invalid_request

_MAX_HEADER = 1024


def with_basic_credentials(request: Request, params: Mapping[str, str]) -> dict[str, str]:
    """``params`` with the Basic header's credentials merged in, or refused if they conflict."""
    merged = dict(params)
    header = request.headers.get("authorization")
    if header is None:
        return merged
    scheme, _, encoded = header.strip().partition(" ")
    if scheme.lower() != "basic":
        return merged  # not client authentication (RFC 6749 only defines Basic here)
    if len(encoded) > _MAX_HEADER:
        raise invalid_request("the Authorization header is malformed")
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise invalid_request("the Authorization header is malformed") from None
    raw_id, colon, raw_secret = decoded.partition(":")
    if not colon or "\x00" in decoded:
        raise invalid_request("the Authorization header is malformed")
    # RFC 6749 §2.3.1: both parts are form-urlencoded before being joined.
    client_id, client_secret = unquote(raw_id), unquote(raw_secret)
    if "client_secret" in merged:
        raise invalid_request("client credentials must be sent once: header or body, not both")
    if "client_id" in merged and merged["client_id"] != client_id:
        raise invalid_request("client_id in the body differs from the Authorization header")
    merged["client_id"] = client_id
    merged["client_secret"] = client_secret
    return merged
