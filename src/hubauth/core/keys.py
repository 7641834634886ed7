"""The server's keyring: server keys newest first, and one derived key per purpose.

Rotation without downtime follows Django's ``SECRET_KEY_FALLBACKS`` and Ory Hydra's
``secrets.system`` list: the newest key hashes and signs everything new, every listed key is
still accepted for what it made earlier, and an operator drops an old key once
``hubauth keys status`` shows nothing depends on it any more.

Domain separation (RFC 5869 §3.2, "info" as the application-specific context): the raw
server key is never used directly. Each purpose gets its own key, HKDF-SHA256 of the server
key with an ``info`` label naming the purpose, so a token digest can never double as a
signature, a session MAC or a client-secret digest, and one purpose's key can be handed out
(e.g. to the session store) without exposing the others.

Hashes made before the keyring existed are raw HMAC-SHA256 under the server key itself (the
*legacy* scheme). They are stored with no key id (``NULL``). While ``accept_legacy`` is on,
lookups also try the legacy digest under each listed key; a secret found that way is re-hashed
under the newest derived key on its next use (refresh tokens, client secrets), and short-lived
ones (access tokens, codes) simply expire. ``docs/decisions.md`` ("Server keys") says why.
"""

from __future__ import annotations

import hmac
import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

#: Key ids are short, printable and safe in a column, a log line and a config file.
KEY_ID_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,16}$")
MIN_SECRET_BYTES = 32


class Purpose(StrEnum):
    """What a derived key is for; the value is the HKDF ``info`` label's last part."""

    #: refresh tokens, access tokens and authorization codes (stored as HMAC digests)
    TOKEN_HASH = "token-hash"
    #: apps' client secrets (stored as HMAC digests)
    CLIENT_SECRET_HASH = "client-secret-hash"
    #: ``signed_access_token.signature`` in the v1 access-token metadata
    ACCESS_TOKEN_SIGNATURE = "access-token-signature"
    #: the install pages' browser session (cookie MAC or session-id digest)
    SESSION = "session"
    #: CSRF tokens, should they ever be derived rather than random
    CSRF = "csrf"
    #: the short fingerprints of tokens written to logs and audit events
    LOG_FINGERPRINT = "log-fingerprint"


_INFO_PREFIX = b"hubauth/v1/"


class KeyringError(ValueError):
    """The configured keys are unusable (too short, bad or duplicate id, empty ring)."""


@dataclass(frozen=True, slots=True, repr=False)
class ServerKey:
    key_id: str
    secret: bytes

    def __repr__(self) -> str:  # never the secret, even in a traceback
        return f"ServerKey({self.key_id!r})"


def derive(secret: bytes, purpose: Purpose) -> bytes:
    """HKDF-SHA256 (RFC 5869) of a server key for one purpose: 32 bytes.

    No salt: the server key is already uniformly random (RFC 5869 §3.1 allows omitting it),
    and a salt would be one more value every node has to agree on.
    """
    return HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO_PREFIX + purpose.encode()
    ).derive(secret)


def default_key_id(secret: bytes) -> str:
    """The id of a key configured without one: stable across nodes and restarts, derived with
    its own label so it reveals nothing usable about the key (32 bits of an HKDF output)."""
    out = HKDF(algorithm=hashes.SHA256(), length=4, salt=None, info=_INFO_PREFIX + b"key-id")
    return "k" + out.derive(secret).hex()


def server_key(secret: bytes) -> ServerKey:
    """A key with its id, which is always derived from the secret (:func:`default_key_id`):
    every node computes the same id, and an id can never be attached to the wrong secret."""
    if len(secret) < MIN_SECRET_BYTES:
        raise KeyringError(f"a server key must be at least {MIN_SECRET_BYTES} characters")
    return ServerKey(default_key_id(secret), secret)


def parse_key_list(text: str, *, separator: str) -> list[ServerKey]:
    """Keys newest first: ``HUBAUTH_SECRET_KEYS`` separates them with commas, a key file puts
    one per line (``#`` starts a comment line there)."""
    entries = [e.strip() for e in text.split(separator)]
    return [server_key(e.encode()) for e in entries if e and not e.startswith("#")]


class Keyring:
    """Server keys newest first; derived keys are computed once here, never per request."""

    __slots__ = ("_derived", "accept_legacy", "keys", "write_legacy")

    def __init__(
        self,
        keys: Sequence[ServerKey],
        *,
        accept_legacy: bool = True,
        write_legacy: bool = False,
    ) -> None:
        """``write_legacy``: make new digests and sessions in the pre-keyring scheme, only
        while nodes of a release without the keyring still serve (docs/operations.md,
        "Upgrading from a release without the keyring"); it implies ``accept_legacy``."""
        if not keys:
            raise KeyringError("at least one server key is needed")
        ids = [k.key_id for k in keys]
        for key in keys:
            if not KEY_ID_PATTERN.match(key.key_id):
                raise KeyringError(f"key id {key.key_id!r} must match {KEY_ID_PATTERN.pattern}")
            if len(key.secret) < MIN_SECRET_BYTES:
                raise KeyringError(f"key {key.key_id}: at least {MIN_SECRET_BYTES} bytes needed")
        if len(set(ids)) != len(ids):
            raise KeyringError("key ids must be unique: " + ", ".join(ids))
        self.keys = tuple(keys)
        self.accept_legacy = accept_legacy or write_legacy
        self.write_legacy = write_legacy
        self._derived = {(k.key_id, p): derive(k.secret, p) for k in self.keys for p in Purpose}

    @classmethod
    def single(cls, secret: bytes, *, accept_legacy: bool = True) -> Keyring:
        """A one-key ring (``HUBAUTH_SECRET_KEY`` or the key file as before)."""
        return cls([server_key(secret)], accept_legacy=accept_legacy)

    @property
    def newest(self) -> ServerKey:
        return self.keys[0]

    @property
    def key_ids(self) -> tuple[str, ...]:
        return tuple(k.key_id for k in self.keys)

    def purpose_key(self, purpose: Purpose, key_id: str | None = None) -> bytes:
        """The derived key of ``purpose`` under ``key_id`` (default: the newest key)."""
        return self._derived[(key_id or self.keys[0].key_id, purpose)]

    def purpose_keys(self, purpose: Purpose) -> list[tuple[str, bytes]]:
        """``(key_id, derived key)`` for every listed key, newest first: the one entry point
        for code outside this module that needs key material (sign with the first, accept
        any)."""
        return [(k.key_id, self._derived[(k.key_id, purpose)]) for k in self.keys]

    def legacy_secrets(self) -> list[bytes]:
        """Raw server keys, for verifying legacy digests only (empty once legacy is off)."""
        return [k.secret for k in self.keys] if self.accept_legacy else []

    def digest(self, purpose: Purpose, value: bytes, key_id: str | None = None) -> bytes:
        # hmac.digest is OpenSSL's one-shot HMAC: no Python HMAC object per call (hot path).
        return hmac.digest(self.purpose_key(purpose, key_id), value, "sha256")

    def candidates(self, purpose: Purpose, value: bytes) -> tuple[bytes, ...]:
        """Every digest ``value`` may be stored under, newest key first, legacy ones last."""
        derived = [
            hmac.digest(self._derived[k.key_id, purpose], value, "sha256") for k in self.keys
        ]
        legacy = [hmac.digest(s, value, "sha256") for s in self.legacy_secrets()]
        return tuple(derived + legacy)

    def verify(self, purpose: Purpose, value: bytes, digest: bytes, key_id: str | None) -> bool:
        """Whether ``digest`` (stored with ``key_id``; ``None`` = legacy) is ``value``'s.

        Constant time in the comparison; an unknown (dropped) key id never matches.
        """
        if key_id is None:
            found = False
            for secret in self.legacy_secrets():
                found |= hmac.compare_digest(hmac.digest(secret, value, "sha256"), digest)
            return found
        key = self._derived.get((key_id, purpose))
        if key is None:
            return False
        return hmac.compare_digest(hmac.digest(key, value, "sha256"), digest)
