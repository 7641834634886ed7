"""The install pages' browser session: a random id in the cookie, everything else in the
database (OWASP Session Management Cheat Sheet).

The cookie holds only the session id (256 random bits from :mod:`secrets`); the database keeps
its HMAC digest under the keyring's session key (``browser_sessions.token_hash``), the
signed-in user, the CSRF token and the timeouts, and one row per pending authorization
request (``install_flows``: the parameters an app sent to ``/oauth/authorize``, so later steps
refer to a request by an opaque flow id).
Because the server holds the state, the server can end it:

* the id is rotated at sign-in (session fixation) and the old one stops working;
* sign-out deletes the row: a cookie copied before sign-out is worth nothing afterwards (the
  pending flows move to a fresh anonymous session, so the user can sign in again);
* approving or denying *deletes* the flow in one conditional statement before a code is
  minted, so a replayed or double-submitted decision finds nothing and mints nothing;
* idle (``HUBAUTH_SESSION_IDLE_TIMEOUT``) and absolute (``HUBAUTH_SESSION_ABSOLUTE_TIMEOUT``)
  timeouts, checked in the query with the one clock; expired rows are removed by
  ``hubauth tokens purge-expired`` with the tokens.

The cookie is ``HttpOnly``, ``SameSite=Lax`` and ``Secure`` whenever hubauth is reached over
HTTPS (RFC 6265bis §4.1.2); it has no ``Max-Age``, so it ends with the browser session.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass, field, replace

import orjson
from starlette.requests import Request
from starlette.responses import Response

from hubauth.core.keys import Keyring, Purpose
from hubauth.core.models import BrowserSession, InstallFlow
from hubauth.core.ports import Store

COOKIE_NAME = "hubauth_session"
#: ``secrets.token_urlsafe(32)`` is 43 characters; anything much longer is not ours.
MAX_COOKIE_CHARS = 64
#: Pending requests kept at once (one per open install tab); the oldest is dropped first.
MAX_PENDING = 4
#: How long a started install stays usable.
PENDING_TTL_MS = 30 * 60 * 1000
#: Largest remembered authorization request (its parameters as JSON), as the cookie allowed.
MAX_PARAMS_BYTES = 3800
#: The idle deadline is written back at most this often (not on every page view).
TOUCH_EVERY_MS = 60 * 1000

_KEY_LABEL = b"hubauth/install-session-id/v1"


def session_keys(keyring: Keyring) -> list[bytes]:
    """Keys whose digests of a session id are accepted, the one new ids use first: the
    keyring's session key (HKDF, ``hubauth.core.keys``) under each listed key, newest first,
    then, while legacy digests are accepted, the pre-keyring derivation (an HMAC of a label
    under the raw server key). With ``write_legacy`` the pre-keyring one comes first, so nodes
    of a release without the keyring find the sessions this node creates."""
    derived = [key for _, key in keyring.purpose_keys(Purpose.SESSION)]
    legacy = [hmac.new(s, _KEY_LABEL, hashlib.sha256).digest() for s in keyring.legacy_secrets()]
    return legacy + derived if keyring.write_legacy else derived + legacy


class SessionTooLarge(ValueError):
    """A single pending request is too large to keep (an enormous ``state``)."""


@dataclass
class Pending:
    """An authorization request waiting for the user: the raw parameters as the app sent them
    (re-validated at every step, so an app changed meanwhile is noticed) and the account."""

    params: dict[str, str]
    created_ms: int
    pinned_hub_id: int | None = None
    chosen_hub_id: int | None = None


@dataclass
class Session:
    """One request's view of its session. ``record`` is None until something needs storing
    (a flow); ``new_id`` is the id to send in a Set-Cookie (new or rotated)."""

    record: BrowserSession | None = None
    csrf_token: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    new_id: str | None = None

    def signed_in_user(self) -> int | None:
        return self.record.user_id if self.record is not None else None

    def csrf_ok(self, presented: str | None) -> bool:
        """Constant-time comparison of the form's token with the session's (OWASP CSRF
        "synchronizer token" pattern). A session not stored yet has no forms to post."""
        if not presented or self.record is None:
            return False
        return hmac.compare_digest(presented.encode(), self.csrf_token.encode())


class SessionStore:
    """Reads, creates, rotates and ends sessions, and keeps their flows."""

    def __init__(self, keyring: Keyring, *, idle_s: int, absolute_s: int) -> None:
        self._keys = session_keys(keyring)
        self.idle_ms = idle_s * 1000
        self.absolute_ms = absolute_s * 1000

    def _hash(self, session_id: str) -> bytes:
        """The digest a new session id is stored under (the newest key)."""
        return hmac.digest(self._keys[0], session_id.encode(), "sha256")

    def _candidates(self, session_id: str) -> tuple[bytes, ...]:
        """Every digest an existing session id may be stored under: one indexed lookup.
        Sessions are not re-hashed on use: their absolute timeout bounds how long one made
        under an old key lives (docs/operations.md, key rotation)."""
        raw = session_id.encode()
        return tuple([hmac.digest(key, raw, "sha256") for key in self._keys])

    async def load(self, store: Store, request: Request, now_ms: int) -> Session:
        """The request's session, or a fresh unstored one if the cookie is missing, unknown,
        ended or timed out."""
        raw = request.cookies.get(COOKIE_NAME)
        if not raw or len(raw) > MAX_COOKIE_CHARS:
            return Session()
        record = await store.find_browser_session(self._candidates(raw), now_ms)
        if record is None:
            return Session()
        idle_until = min(now_ms + self.idle_ms, record.expires_ms)
        if idle_until - record.idle_expires_ms >= TOUCH_EVERY_MS:
            await store.touch_browser_session(record.session_id, idle_until)
            record = replace(record, idle_expires_ms=idle_until)
        return Session(record=record, csrf_token=record.csrf_token)

    async def _ensure(self, store: Store, session: Session, now_ms: int) -> BrowserSession:
        if session.record is not None:
            return session.record
        new_id = secrets.token_urlsafe(32)
        expires = now_ms + self.absolute_ms
        idle = min(now_ms + self.idle_ms, expires)
        session_id = await store.create_browser_session(
            self._hash(new_id), session.csrf_token, now_ms, idle, expires
        )
        session.record = BrowserSession(
            session_id, session.csrf_token, None, None, now_ms, idle, expires
        )
        session.new_id = new_id
        return session.record

    async def add_flow(self, store: Store, session: Session, pending: Pending) -> str:
        params = orjson.dumps(pending.params)
        if len(params) > MAX_PARAMS_BYTES:
            raise SessionTooLarge("the authorization request is too large to keep")
        record = await self._ensure(store, session, pending.created_ms)
        flow_id = secrets.token_urlsafe(12)
        await store.add_install_flow(
            InstallFlow(
                flow_id=flow_id,
                session_id=record.session_id,
                params=pending.params,
                pinned_hub_id=pending.pinned_hub_id,
                chosen_hub_id=pending.chosen_hub_id,
                created_ms=pending.created_ms,
                expires_ms=pending.created_ms + PENDING_TTL_MS,
            ),
            MAX_PENDING,
        )
        return flow_id

    async def find_flow(
        self, store: Store, session: Session, flow_id: str | None, now_ms: int
    ) -> Pending | None:
        if session.record is None or not flow_id or len(flow_id) > 32:
            return None
        flow = await store.find_install_flow(flow_id, session.record.session_id, now_ms)
        if flow is None:
            return None
        return Pending(flow.params, flow.created_ms, flow.pinned_hub_id, flow.chosen_hub_id)

    async def choose_hub(
        self, store: Store, session: Session, flow_id: str, hub_id: int | None
    ) -> None:
        if session.record is not None:
            await store.set_install_flow_hub(flow_id, session.record.session_id, hub_id)

    async def consume_flow(self, store: Store, session: Session, flow_id: str, now_ms: int) -> bool:
        """End a flow (approve or deny); True for exactly one of any number of racing posts."""
        if session.record is None:
            return False
        return await store.consume_install_flow(flow_id, session.record.session_id, now_ms)

    async def sign_in(self, store: Store, session: Session, user_id: int, now_ms: int) -> None:
        """Record the user under a new session id and CSRF token (OWASP session-fixation
        advice): the id the session had before sign-in stops working."""
        record = await self._ensure(store, session, now_ms)
        new_id, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        idle = min(now_ms + self.idle_ms, record.expires_ms)
        await store.sign_in_browser_session(
            record.session_id, self._hash(new_id), csrf, user_id, now_ms, idle
        )
        session.record = replace(
            record, csrf_token=csrf, user_id=user_id, signed_in_ms=now_ms, idle_expires_ms=idle
        )
        session.csrf_token, session.new_id = csrf, new_id

    async def sign_out(self, store: Store, session: Session, now_ms: int) -> None:
        """Delete the session; its pending flows move to a fresh anonymous one."""
        old = session.record
        fresh = Session()
        await self._ensure(store, fresh, now_ms)
        assert fresh.record is not None
        if old is not None:
            await store.delete_browser_session(
                old.session_id, keep_flows_for=fresh.record.session_id
            )
        session.record, session.csrf_token, session.new_id = (
            fresh.record,
            fresh.csrf_token,
            fresh.new_id,
        )

    @staticmethod
    def save(response: Response, session: Session, *, secure: bool) -> None:
        if session.new_id is None:
            return
        response.set_cookie(
            COOKIE_NAME, session.new_id, path="/", secure=secure, httponly=True, samesite="lax"
        )
