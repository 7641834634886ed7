"""Token minting and hashing.

Shapes follow HubSpot by default (spec §3.1): refresh tokens and codes are
``<hublet>-xxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`` (28 hex digits = 112 random bits) and access
tokens are opaque URL-safe strings starting with ``C`` (148 characters, well under the
512-character ceiling). The ``strong`` shape keeps the hublet prefix but carries 256 random
bits, meeting RFC 6749 §10.10's 2^-128 guessing bound with room to spare.

Every value comes from :mod:`secrets`. Only a keyed hash (HMAC-SHA256 under the server key)
is ever stored or logged; tokens are high-entropy, so a fast hash is the right tool and a
slow password hash would only cost latency (architecture decision, ``docs/decisions.md``).
"""

from __future__ import annotations

import base64
import hmac
import secrets
import uuid
from enum import StrEnum


class TokenShape(StrEnum):
    HUBSPOT = "hubspot"
    STRONG = "strong"


MAX_TOKEN_LENGTH = 512
"""HubSpot's documented ceiling for access tokens (spec §3.1); longer input is never a token."""


def _hublet_hex(hublet: str) -> str:
    h = secrets.token_hex(14)
    return f"{hublet}-{h[0:4]}-{h[4:8]}-{h[8:12]}-{h[12:16]}-{h[16:28]}"


def new_refresh_token(hublet: str, shape: TokenShape = TokenShape.HUBSPOT) -> str:
    if shape is TokenShape.STRONG:
        return f"{hublet}-{secrets.token_urlsafe(32)}"
    return _hublet_hex(hublet)


def new_auth_code(hublet: str, shape: TokenShape = TokenShape.HUBSPOT) -> str:
    if shape is TokenShape.STRONG:
        return f"{hublet}-{secrets.token_urlsafe(32)}"
    return _hublet_hex(hublet)


def new_access_token(hublet: str = "na1") -> str:
    """An opaque bearer token in HubSpot's look: ``C`` + URL-safe base64 embedding the hublet.

    It carries 864 random bits; nothing in it is meaningful to a client (HubSpot's own are
    opaque too), which keeps it free to change.
    """
    body = hublet.encode() + secrets.token_bytes(108)
    return "C" + base64.urlsafe_b64encode(body).decode().rstrip("=")


def new_client_id() -> str:
    return str(uuid.uuid4())


def new_client_secret() -> str:
    # uuid4 draws from os.urandom, as secrets does: 122 random bits in HubSpot's UUID shape.
    return str(uuid.uuid4())


def new_family_id(now_ms: int) -> str:
    """32 hex digits: the issue time in milliseconds (12 digits), then 80 random bits.

    Time first so that new families land at one end of the ``family_id`` indexes instead of
    on a random page of them: a code exchange inserts two rows carrying it, and with 10^6
    stored tokens the random inserts were what made it slower (docs/performance.md). Family
    ids are internal (never sent to clients); only the random part makes them unique.
    """
    return f"{now_ms & 0xFFFFFFFFFFFF:012x}{secrets.token_hex(10)}"


class TokenHasher:
    """HMAC-SHA256 under the server key: the only form in which secrets reach storage."""

    __slots__ = ("_key",)

    def __init__(self, key: bytes) -> None:
        if len(key) < 32:
            raise ValueError("the server secret key must be at least 32 bytes")
        self._key = key

    def hash(self, value: str) -> bytes:
        # hmac.digest is OpenSSL's one-shot HMAC: no Python HMAC object per call (hot path).
        return hmac.digest(self._key, value.encode("utf-8", "surrogatepass"), "sha256")

    def matches(self, value: str, digest: bytes) -> bool:
        """Constant-time comparison of ``value`` against a stored digest."""
        return hmac.compare_digest(self.hash(value), digest)

    def fingerprint(self, value: str) -> str:
        """A short, non-reversible tag for logs: lets operators correlate without the value."""
        return self.hash("fp:" + value)[:6].hex()

    def sign(self, payload: bytes) -> str:
        return base64.b64encode(hmac.digest(self._key, payload, "sha256")).decode()


def plausible_token(value: str) -> bool:
    """Cheap pre-check before hashing and a database round trip.

    Anything longer than HubSpot's ceiling or with characters outside the printable ASCII range
    cannot be a token we issued; rejecting it here keeps absurd input away from storage.
    """
    return 0 < len(value) <= MAX_TOKEN_LENGTH and value.isascii() and value.isprintable()
