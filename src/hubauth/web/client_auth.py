"""Which client authentication a token-endpoint request uses, and its credentials
(RFC 6749 §2.3; the method names are RFC 7591 §2's, as discovery advertises them).

HubSpot's clients send ``client_id``/``client_secret`` in the body (``client_secret_post``);
RFC 6749 §2.3.1 says servers MUST also accept HTTP Basic. Accepting both is where confusion
attacks live (a proxy or library that checks one copy while the server uses the other), so:

* a client MUST NOT use more than one authentication method per request (RFC 6749 §2.3):
  a Basic header together with a ``client_secret`` anywhere else is refused;
* a ``client_id`` parameter next to a Basic header must name the same client;
* a malformed Basic header is refused rather than ignored;
* any other ``Authorization`` scheme (``Bearer``, sent by HubSpot's ``hubspot-sdk`` on every
  call) is not client authentication and is ignored.
"""

from __future__ import annotations

import base64
import binascii
from enum import StrEnum
from urllib.parse import unquote

from hubauth.core.errors import TokenError, invalid_request

_MAX_HEADER = 1024


class AuthMethod(StrEnum):
    """A client authentication method, by its RFC 7591 §2 / RFC 8414 §2 name.

    A third method (RFC 7523 §2.2 ``private_key_jwt``, ``client_assertion`` in the body) is
    added here and in :func:`method_of`; endpoints opt in through their ``auth_methods``.
    """

    #: No client credentials presented (the core then answers ``BAD_CLIENT_ID``/``SECRET``).
    NONE = "none"
    CLIENT_SECRET_POST = "client_secret_post"
    CLIENT_SECRET_BASIC = "client_secret_basic"
    #: RFC 7523 §2.2: a JWT signed with the client's private key (``core/client_assertion.py``).
    PRIVATE_KEY_JWT = "private_key_jwt"


def basic_credentials(header: str) -> tuple[str, str] | None:
    """``(client_id, client_secret)`` from an ``Authorization`` value, ``None`` if the scheme is
    not Basic; a malformed Basic value is refused (RFC 7617 §2)."""
    scheme, _, encoded = header.strip().partition(" ")
    if scheme.lower() != "basic":
        return None
    if len(encoded) > _MAX_HEADER:
        raise malformed_header()
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise malformed_header() from None
    raw_id, colon, raw_secret = decoded.partition(":")
    if not colon or "\x00" in decoded:
        raise malformed_header()
    # RFC 6749 §2.3.1: both parts are form-urlencoded before being joined.
    return unquote(raw_id), unquote(raw_secret)


def malformed_header() -> TokenError:
    return invalid_request("the Authorization header is malformed")


def merge_basic(params: dict[str, str], client_id: str, client_secret: str) -> None:
    """Put the Basic header's credentials into ``params``, refusing a second copy."""
    if "client_secret" in params:
        raise invalid_request("client credentials must be sent once: header or body, not both")
    if "client_id" in params and params["client_id"] != client_id:
        raise invalid_request("client_id in the body differs from the Authorization header")
    params["client_id"] = client_id
    params["client_secret"] = client_secret


def method_of(params: dict[str, str], basic: bool) -> AuthMethod:
    """The method a request used, once any Basic credentials are merged into ``params``."""
    assertion = "client_assertion" in params or "client_assertion_type" in params
    if assertion and (basic or "client_secret" in params):
        # RFC 6749 §2.3: "MUST NOT use more than one authentication method in each request".
        raise invalid_request("use one client authentication method: a secret or an assertion")
    if assertion:
        return AuthMethod.PRIVATE_KEY_JWT
    if basic:
        return AuthMethod.CLIENT_SECRET_BASIC
    if "client_secret" in params:
        return AuthMethod.CLIENT_SECRET_POST
    return AuthMethod.NONE
