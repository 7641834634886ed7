"""Token minting and hashing.

Shapes follow HubSpot by default (spec §3.1): refresh tokens and codes are
``<hublet>-xxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`` (28 hex digits = 112 random bits) and access
tokens are opaque URL-safe strings starting with ``C`` (148 characters, well under the
512-character ceiling). The ``strong`` shape keeps the hublet prefix but carries 256 random
bits, meeting RFC 6749 §10.10's 2^-128 guessing bound with room to spare.

Every value comes from :mod:`secrets`. Only a keyed hash (HMAC-SHA256 under a key derived from
the server key, :mod:`hubauth.core.keys`) is ever stored or logged; tokens are high-entropy,
so a fast hash is the right tool and a slow password hash would only cost latency
(architecture decision, ``docs/decisions.md``).
"""

from __future__ import annotations

import base64
import hmac
import secrets
import uuid
from enum import StrEnum

from hubauth.core.keys import Keyring, Purpose


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
    """Keyed digests under the server keyring: the only form in which secrets reach storage.

    New digests use the newest key's derived key for their purpose (:mod:`hubauth.core.keys`);
    lookups try every digest a value may be stored under (:meth:`candidates`), in one indexed
    ``IN`` query.
    """

    __slots__ = (
        "_fp_key",
        "_lookup_keys",
        "_secret_key",
        "_sig_key",
        "_token_key",
        "key_id",
        "keyring",
    )

    def __init__(self, key: bytes | Keyring) -> None:
        self.keyring = key if isinstance(key, Keyring) else Keyring.single(key)
        #: The key id stored beside new digests; None = the legacy scheme.
        self.key_id: str | None = self.keyring.newest.key_id
        self._token_key = self.keyring.purpose_key(Purpose.TOKEN_HASH)
        self._secret_key = self.keyring.purpose_key(Purpose.CLIENT_SECRET_HASH)
        if self.keyring.write_legacy:  # what a release without the keyring can still read
            self.key_id = None
            self._token_key = self._secret_key = self.keyring.newest.secret
        self._sig_key = self.keyring.purpose_key(Purpose.ACCESS_TOKEN_SIGNATURE)
        self._fp_key = self.keyring.purpose_key(Purpose.LOG_FINGERPRINT)
        # Every key a token digest may be under, newest first, legacy raw keys last: computed
        # once, as the lookups run on every request.
        self._lookup_keys = tuple(
            k for _, k in self.keyring.purpose_keys(Purpose.TOKEN_HASH)
        ) + tuple(self.keyring.legacy_secrets())

    def hash(self, value: str) -> bytes:
        """A token's digest under the newest key (refresh and access tokens, codes)."""
        # hmac.digest is OpenSSL's one-shot HMAC: no Python HMAC object per call (hot path).
        return hmac.digest(self._token_key, _utf8(value), "sha256")

    def candidates(self, value: str) -> tuple[bytes, ...]:
        """Every digest a token may be stored under: newest key first, legacy ones last."""
        raw = _utf8(value)
        return tuple([hmac.digest(k, raw, "sha256") for k in self._lookup_keys])

    def hash_secret(self, secret: str) -> bytes:
        """A client secret's digest under the newest key (stored with :attr:`key_id`)."""
        return hmac.digest(self._secret_key, _utf8(secret), "sha256")

    def secret_matches(self, secret: str, digest: bytes, key_id: str | None) -> bool:
        """Constant-time check of a client secret against its stored digest and key id."""
        return self.keyring.verify(Purpose.CLIENT_SECRET_HASH, _utf8(secret), digest, key_id)

    def fingerprint(self, value: str) -> str:
        """A short, non-reversible tag for logs: lets operators correlate without the value."""
        return hmac.digest(self._fp_key, _utf8(value), "sha256")[:6].hex()

    def sign(self, payload: bytes) -> str:
        return base64.b64encode(hmac.digest(self._sig_key, payload, "sha256")).decode()


def _utf8(value: str) -> bytes:
    return value.encode("utf-8", "surrogatepass")


def plausible_token(value: str) -> bool:
    """Cheap pre-check before hashing and a database round trip.

    Anything longer than HubSpot's ceiling or with characters outside the printable ASCII range
    cannot be a token we issued; rejecting it here keeps absurd input away from storage.
    """
    return 0 < len(value) <= MAX_TOKEN_LENGTH and value.isascii() and value.isprintable()
