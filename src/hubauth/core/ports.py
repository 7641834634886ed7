"""What the core needs from outside, declared by the core: the storage interface
(:class:`Store`, implemented by :mod:`hubauth.store`), :class:`StoreUnavailable` and the
:class:`~hubauth.core.clock.Clock` (as Ory Hydra's ``client/manager.go`` declares its ``Storage``).
The core imports no store module; the store depends on the core, never the other way.

Every method that changes security state is a single atomic operation: consuming a code,
rotating a refresh token and revoking are conditional writes (``UPDATE … WHERE … IS NULL``),
never read-then-write, so two racing requests (or two nodes) cannot both win.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol

from hubauth.core.clock import Clock
from hubauth.core.models import (
    AccessTokenRecord,
    App,
    AuthCode,
    BrowserSession,
    DevEvent,
    Hub,
    Install,
    InstallFlow,
    InstallSummary,
    NewAccessToken,
    NewRefreshToken,
    QueuedFault,
    RefreshPolicy,
    RefreshTokenRecord,
    TokenSummary,
    User,
)

__all__ = ["Clock", "Hashes", "Store", "StoreUnavailable"]

#: A lookup's digests: one, or every digest the value may be stored under (core/keys.py); the
#: store looks them up in one indexed ``IN`` query.
Hashes = bytes | Sequence[bytes]


class StoreUnavailable(Exception):
    """The database cannot be reached; the web layer answers 503 and nothing is half-written."""


class Store(Protocol):
    async def close(self) -> None: ...

    # --- apps, hubs, users --------------------------------------------------------------------
    async def create_app(
        self,
        *,
        client_id: str,
        client_secret_hash: bytes,
        name: str,
        redirect_uris: Sequence[str],
        scopes: Sequence[str],
        optional_scopes: Sequence[str] = (),
        is_private_distribution: bool = False,
        refresh_policy: RefreshPolicy = RefreshPolicy.STATIC,
        app_id: int | None = None,
        now_ms: int = 0,
        client_secret_key_id: str | None = None,
    ) -> App: ...

    async def find_app_by_client_id(self, client_id: str) -> App | None: ...

    async def find_app(self, app_id: int) -> App | None: ...

    async def list_apps(self) -> list[App]: ...

    async def create_hub(
        self, hub_domain: str, hublet: str = "na1", hub_id: int | None = None, now_ms: int = 0
    ) -> Hub: ...

    async def find_hub(self, hub_id: int) -> Hub | None: ...

    async def create_user(
        self,
        email: str,
        password_hash: str | None = None,
        user_id: int | None = None,
        now_ms: int = 0,
    ) -> User: ...

    async def set_password_hash(self, user_id: int, password_hash: str) -> None: ...

    async def set_client_secret_hash(
        self,
        app_id: int,
        secret_hash: bytes,
        key_id: str | None = None,
        *,
        previous_hash: bytes | None = None,
        previous_key_id: str | None = None,
        previous_until_ms: int | None = None,
    ) -> bool:
        """Replace the secret's hash (made under server key ``key_id``); ``previous_hash``
        keeps the old secret working until ``previous_until_ms`` (rotation with a grace
        period). False if there is no such app."""
        ...

    async def rehash_client_secret(
        self, app_id: int, old_hash: bytes, new_hash: bytes, key_id: str | None
    ) -> bool:
        """Replace the current secret's digest by one under a newer key, if still ``old_hash``
        (a secret rotated meanwhile wins); the grace period's previous secret is untouched."""
        ...

    async def set_refresh_policy(self, app_id: int, policy: RefreshPolicy) -> bool: ...

    async def set_rotation_grace(self, app_id: int, seconds: int | None) -> bool:
        """The app's own rotation grace; None returns it to the server-wide setting."""
        ...

    async def find_user(self, user_id: int) -> User | None: ...

    async def find_user_by_email(self, email: str) -> User | None: ...

    async def add_hub_member(self, hub_id: int, user_id: int) -> None: ...

    async def list_user_hubs(self, user_id: int) -> list[Hub]: ...

    # --- installs -----------------------------------------------------------------------------
    async def upsert_install(
        self, app_id: int, hub_id: int, user_id: int, scopes: Sequence[str], now_ms: int
    ) -> Install: ...

    async def uninstall(self, app_id: int, hub_id: int, now_ms: int) -> int:
        """Deactivate every install of the app in the hub and revoke its tokens; returns count."""
        ...

    async def delete_hub(self, hub_id: int, now_ms: int) -> bool: ...

    # --- authorization codes ------------------------------------------------------------------
    async def save_code(self, code: AuthCode) -> None: ...

    async def find_code(self, code_hash: Hashes) -> AuthCode | None: ...

    async def redeem_code(
        self,
        code_hash: bytes,
        now_ms: int,
        refresh: NewRefreshToken,
        access: NewAccessToken,
    ) -> bool:
        """Atomically mark the code consumed and store both tokens; False if already consumed."""
        ...

    async def redeem_code_again(
        self,
        code_hash: bytes,
        first_family: str,
        consumed_since_ms: int,
        now_ms: int,
        refresh: NewRefreshToken,
        access: NewAccessToken,
    ) -> bool:
        """Atomically replace a redemption: if the code was consumed at or after
        ``consumed_since_ms`` into ``first_family`` and that family's refresh token was never
        used, revoke the family's tokens, point the code at ``refresh.family_id`` and store
        both tokens; False, writing nothing, otherwise."""
        ...

    # --- tokens -------------------------------------------------------------------------------
    async def find_refresh_token(self, token_hash: Hashes) -> RefreshTokenRecord | None: ...

    async def find_access_token(self, token_hash: Hashes) -> AccessTokenRecord | None: ...

    async def rehash_refresh_token(
        self, refresh_id: int, old_hash: bytes, new_hash: bytes, key_id: str | None
    ) -> bool:
        """Replace a refresh token's digest by one under a newer key, if still ``old_hash``."""
        ...

    async def issue_access_token(self, access: NewAccessToken) -> None: ...

    async def issue_access_token_if_live(self, refresh_id: int, access: NewAccessToken) -> bool:
        """Store ``access`` only if refresh token ``refresh_id`` is still live (not revoked, not
        rotated, install active) in the same statement; False (nothing written) otherwise."""
        ...

    async def rotate_refresh_token(
        self, refresh_id: int, now_ms: int, new_refresh: NewRefreshToken, access: NewAccessToken
    ) -> bool:
        """Atomically retire ``refresh_id`` and store its successor; False if it was not live."""
        ...

    async def replace_unused_successor(
        self, retired_id: int, now_ms: int, new_refresh: NewRefreshToken, access: NewAccessToken
    ) -> bool:
        """Rotation grace: atomically retire the live, never-used successor of ``retired_id``
        (and the access token issued with it) and store ``new_refresh`` (whose ``parent_id`` is
        ``retired_id``) and ``access`` instead; False, writing nothing, if there is no such
        successor (it was used, revoked, or another retry replaced it meanwhile)."""
        ...

    async def revoke_refresh_token(
        self, token_hash: Hashes, now_ms: int, *, with_access_tokens: bool
    ) -> bool:
        """Revoke a live refresh token (and its family's access tokens if asked)."""
        ...

    async def revoke_access_token(self, token_hash: Hashes, now_ms: int) -> bool: ...

    async def revoke_family(self, family_id: str, now_ms: int) -> int:
        """Revoke every refresh and access token of a family (code replay, rotation reuse)."""
        ...

    async def set_app_jwks(self, app_id: int, jwks: str | None, now_ms: int) -> bool: ...

    async def update_app(
        self,
        app_id: int,
        *,
        name: str,
        redirect_uris: Sequence[str],
        scopes: Sequence[str],
        optional_scopes: Sequence[str],
        refresh_policy: RefreshPolicy,
    ) -> bool:
        """Replace an app's registered metadata; False when there is no such app."""
        ...

    async def delete_app(self, app_id: int) -> dict[str, int] | None:
        """Delete an app with every token, code, install, key and registration of it; the
        counts of what went, or None when there is no such app."""
        ...

    async def save_registration(
        self, app_id: int, token_hash: bytes, key_id: str | None, auth_method: str, now_ms: int
    ) -> None:
        """Store (or replace) a dynamically registered client's registration token digest
        (made under server key ``key_id``, as client secrets are)."""
        ...

    async def find_registration(self, app_id: int) -> tuple[bytes, str | None, str] | None:
        """The registration token digest, its key id and the auth method of a client."""
        ...

    async def find_app_jwks(self, app_id: int) -> str | None: ...

    async def use_assertion_jti(self, jti_hash: bytes, app_id: int, expires_ms: int) -> bool:
        """Record a client assertion's ``jti``; False if it was already used (any node)."""
        ...

    async def purge_expired(self, now_ms: int, batch_size: int = 1000) -> int:
        """Delete dead rows in small batches (never one long lock); returns rows removed."""
        ...

    # --- install-page sessions (web/session.py) -----------------------------------------------
    async def create_browser_session(
        self, token_hash: bytes, csrf_token: str, now_ms: int, idle_expires_ms: int, expires_ms: int
    ) -> int: ...

    async def find_browser_session(self, token_hash: Hashes, now_ms: int) -> BrowserSession | None:
        """The session if it exists (under any of the digests) and neither timeout has passed."""
        ...

    async def touch_browser_session(self, session_id: int, idle_expires_ms: int) -> None: ...

    async def sign_in_browser_session(
        self,
        session_id: int,
        new_token_hash: bytes,
        csrf_token: str,
        user_id: int,
        now_ms: int,
        idle_expires_ms: int,
    ) -> bool:
        """Rotate the session's id and record the user; False if the session is gone."""
        ...

    async def delete_browser_session(self, session_id: int, *, keep_flows_for: int | None) -> None:
        """Delete the session; its flows move to ``keep_flows_for`` or are deleted too."""
        ...

    async def add_install_flow(self, flow: InstallFlow, max_per_session: int) -> None:
        """Store a flow; the session's oldest flows beyond ``max_per_session`` are dropped."""
        ...

    async def find_install_flow(
        self, flow_id: str, session_id: int, now_ms: int
    ) -> InstallFlow | None: ...

    async def set_install_flow_hub(
        self, flow_id: str, session_id: int, hub_id: int | None
    ) -> None: ...

    async def consume_install_flow(self, flow_id: str, session_id: int, now_ms: int) -> bool:
        """Delete a live flow; True for exactly one caller, however many race."""
        ...

    # --- operations ---------------------------------------------------------------------------
    async def ping(self) -> None: ...

    async def count_rows(self) -> dict[str, int]: ...

    async def count_by_key(self, now_ms: int) -> dict[str, dict[str | None, int]]:
        """Live stored secrets per table and server key id (None = legacy digests)."""
        ...

    async def list_tokens(
        self,
        *,
        app_id: int | None = None,
        hub_id: int | None = None,
        user_id: int | None = None,
        limit: int = 100,
    ) -> list[TokenSummary]:
        """Refresh and access tokens matching every given filter, newest first (support)."""
        ...


class DevStore(Protocol):
    """Developer-mode state shared by every worker and node (``hubauth serve --dev``, the
    pytest plugin): named integers (clock offset, counters), queued faults, recent events.

    Taking a counted fault is one conditional ``UPDATE … RETURNING``: two workers racing for
    the last queued failure cannot both deliver it.
    """

    async def get_value(self, name: str) -> int | None: ...

    async def request_state(self, name: str) -> tuple[int | None, bool]:
        """What every request of a dev server reads, in one statement: the value ``name``
        (the clock offset) and whether any fault is queued (so that the fault table is read
        only when something is)."""
        ...

    async def add_values(self, deltas: Mapping[str, int]) -> None:
        """Add each delta (creating values at 0), all in one transaction."""
        ...

    async def set_value(self, name: str, value: int) -> None: ...

    async def add_value(self, name: str, delta: int) -> int:
        """Add ``delta`` (creating the value at 0) and return the result."""
        ...

    async def values(self, prefix: str) -> dict[str, int]: ...

    async def delete_values(self, prefix: str) -> None: ...

    async def add_fault(self, fault: QueuedFault) -> int: ...

    async def list_faults(self) -> list[QueuedFault]: ...

    async def take_fault(self, fault_id: int) -> QueuedFault | None:
        """Consume one use of a counted fault (``None`` when it is used up meanwhile); an
        uncounted fault is returned as it is."""
        ...

    async def clear_faults(self, kind: str | None = None, path_prefix: str | None = None) -> int:
        """Delete queued faults (all, or those of one kind and/or path prefix)."""
        ...

    async def record_event(self, at_ms: int, event: str, fields: str, keep: int) -> None: ...

    async def record_events(self, events: Sequence[tuple[int, str, str]], keep: int) -> None:
        """Record ``(at_ms, event, fields)`` rows in one transaction, keeping the last
        ``keep``."""
        ...

    async def recent_events(self, limit: int) -> list[DevEvent]: ...

    async def token_hash_by_id(self, kind: str, row_id: int) -> bytes | None: ...

    async def expire_access_token(self, token_hash: bytes, now_ms: int) -> bool:
        """Make a live access token expire now; False if unknown, revoked or already expired."""
        ...

    async def list_installs(self) -> list[InstallSummary]: ...

    async def erase_everything(self) -> None:
        """Delete every row of every table (apps, tokens, dev state): an empty server."""
        ...
