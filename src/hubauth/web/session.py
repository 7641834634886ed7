"""The install pages' browser session: one signed cookie, nothing stored server-side.

The cookie holds the signed-in user, a CSRF token and the pending authorization requests
(the parameters an app sent to ``/oauth/authorize``), so later steps refer to a request by an
opaque id instead of repeating its parameters in URLs.

* Integrity: HMAC-SHA256 via ``itsdangerous`` under the keyring's session key (HKDF of the
  server key with a label of its own, ``hubauth.core.keys``), so a session signature can never
  be confused with a token hash. The newest key signs; every listed key (and, while legacy
  digests are accepted, the pre-keyring session key) still verifies, so a key rotation signs
  nobody out.
* Expiry is checked against timestamps inside the payload read with the one clock, not by the
  cookie's own lifetime (a browser may keep a "session" cookie for days).
* The cookie is ``HttpOnly``, ``SameSite=Lax`` and ``Secure`` whenever hubauth is reached
  over HTTPS (RFC 6265bis §4.1.2); it has no ``Max-Age``, so it ends with the browser session.
* The payload is signed, not encrypted: it holds no secret (the CSRF token only has to be
  unguessable to other sites, which cannot read the cookie).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass, field
from typing import Any

from itsdangerous import BadSignature, URLSafeSerializer
from starlette.requests import Request
from starlette.responses import Response

from hubauth.core.keys import Keyring, Purpose

COOKIE_NAME = "hubauth_session"
#: Browsers keep at least 4096 bytes per cookie (RFC 6265 §6.1); leave room for attributes.
MAX_COOKIE_BYTES = 3800
#: Pending requests kept at once (one per open install tab); the oldest is dropped first.
MAX_PENDING = 4
#: How long a started install stays usable, and how long a sign-in lasts.
PENDING_TTL_MS = 30 * 60 * 1000
SIGNED_IN_TTL_MS = 8 * 60 * 60 * 1000

_KEY_LABEL = b"hubauth/install-session-cookie/v1"


class SessionTooLarge(ValueError):
    """A single pending request does not fit in a cookie (an enormous ``state``)."""


@dataclass
class Pending:
    """An authorization request waiting for the user: the raw parameters as the app sent them
    (re-validated at every step, so an app changed meanwhile is noticed) and the account."""

    params: dict[str, str]
    created_ms: int
    pinned_hub_id: int | None = None
    chosen_hub_id: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "p": self.params,
            "t": self.created_ms,
            "pin": self.pinned_hub_id,
            "hub": self.chosen_hub_id,
        }

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> Pending:
        return cls(
            params={str(k): str(v) for k, v in raw["p"].items()},
            created_ms=int(raw["t"]),
            pinned_hub_id=raw.get("pin"),
            chosen_hub_id=raw.get("hub"),
        )


@dataclass
class Session:
    csrf_token: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    user_id: int | None = None
    signed_in_ms: int | None = None
    pending: dict[str, Pending] = field(default_factory=dict)
    changed: bool = True

    def signed_in_user(self, now_ms: int) -> int | None:
        if self.user_id is None or self.signed_in_ms is None:
            return None
        if now_ms - self.signed_in_ms >= SIGNED_IN_TTL_MS:
            return None
        return self.user_id

    def sign_in(self, user_id: int, now_ms: int) -> None:
        """A new CSRF token on every change of identity (OWASP session-fixation advice)."""
        self.user_id = user_id
        self.signed_in_ms = now_ms
        self.csrf_token = secrets.token_urlsafe(32)
        self.changed = True

    def sign_out(self) -> None:
        self.user_id = None
        self.signed_in_ms = None
        self.csrf_token = secrets.token_urlsafe(32)
        self.changed = True

    def add_pending(self, pending: Pending) -> str:
        request_id = secrets.token_urlsafe(12)
        self.pending[request_id] = pending
        while len(self.pending) > MAX_PENDING:
            del self.pending[next(iter(self.pending))]
        self.changed = True
        return request_id

    def find_pending(self, request_id: str | None, now_ms: int) -> Pending | None:
        pending = self.pending.get(request_id or "")
        if pending is None or now_ms - pending.created_ms >= PENDING_TTL_MS:
            return None
        return pending

    def drop_pending(self, request_id: str) -> None:
        if self.pending.pop(request_id, None) is not None:
            self.changed = True

    def csrf_ok(self, presented: str | None) -> bool:
        """Constant-time comparison of the form's token with the session's (OWASP CSRF
        "synchronizer token" pattern)."""
        if not presented:
            return False
        return hmac.compare_digest(presented.encode(), self.csrf_token.encode())

    def to_json(self, now_ms: int) -> dict[str, Any]:
        live = {
            rid: p.to_json()
            for rid, p in self.pending.items()
            if now_ms - p.created_ms < PENDING_TTL_MS
        }
        return {"c": self.csrf_token, "u": self.user_id, "s": self.signed_in_ms, "p": live}

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> Session:
        return cls(
            csrf_token=str(raw["c"]),
            user_id=raw.get("u"),
            signed_in_ms=raw.get("s"),
            pending={str(k): Pending.from_json(v) for k, v in raw.get("p", {}).items()},
            changed=False,
        )


def session_keys(keyring: Keyring) -> list[bytes]:
    """Keys that verify a session, oldest first and the signing key last (itsdangerous'
    order): the pre-keyring key derived from each raw server key while legacy digests are
    accepted, then each listed key's derived session key."""
    legacy = [
        hmac.new(secret, _KEY_LABEL, hashlib.sha256).digest()
        for secret in reversed(keyring.legacy_secrets())
    ]
    derived = [key for _, key in reversed(keyring.purpose_keys(Purpose.SESSION))]
    if keyring.write_legacy:  # sign as a release without the keyring does (newest key's)
        return derived + legacy
    return legacy + derived


class SessionCodec:
    """Reads and writes the session cookie."""

    def __init__(self, keyring: Keyring) -> None:
        self._serializer = URLSafeSerializer(session_keys(keyring), salt="hubauth.session")

    def load(self, request: Request) -> Session:
        """The request's session, or a fresh one if the cookie is missing, forged or stale."""
        raw = request.cookies.get(COOKIE_NAME)
        if not raw or len(raw) > MAX_COOKIE_BYTES:
            return Session()
        try:
            return Session.from_json(self._serializer.loads(raw))
        except (BadSignature, KeyError, TypeError, ValueError, AttributeError):
            return Session()

    def encode(self, session: Session, now_ms: int) -> str:
        """Serialise; drop the oldest pending requests until the cookie fits."""
        while True:
            value = self._serializer.dumps(session.to_json(now_ms))
            if len(value) <= MAX_COOKIE_BYTES:
                return value
            if len(session.pending) <= 1:
                raise SessionTooLarge("the authorization request is too large to keep")
            del session.pending[next(iter(session.pending))]

    def save(self, response: Response, session: Session, now_ms: int, *, secure: bool) -> None:
        if not session.changed:
            return
        response.set_cookie(
            COOKIE_NAME,
            self.encode(session, now_ms),
            path="/",
            secure=secure,
            httponly=True,
            samesite="lax",
        )
