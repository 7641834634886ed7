"""Plain domain records. Stores return these; nothing here knows about SQL or HTTP."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class RefreshPolicy(StrEnum):
    """How the refresh grant treats the presented refresh token (per app)."""

    #: HubSpot's observed behaviour (spec §3.3): the same refresh token is echoed back.
    STATIC = "static"
    #: RFC 9700 §4.14.2: every refresh returns a new refresh token; reuse revokes the family.
    ROTATE = "rotate"


class TokenUse(StrEnum):
    ACCESS_TOKEN = "access_token"
    CLIENT_CREDENTIALS = "client_credentials"


@dataclass(frozen=True, slots=True)
class App:
    app_id: int
    client_id: str
    client_secret_hash: bytes
    name: str
    redirect_uris: tuple[str, ...]
    scopes: tuple[str, ...]
    optional_scopes: tuple[str, ...] = ()
    is_private_distribution: bool = False
    refresh_policy: RefreshPolicy = RefreshPolicy.STATIC
    #: Server key the secret's digest was made under; None = legacy raw HMAC (core/keys.py).
    client_secret_key_id: str | None = None
    #: Overrides the server-wide rotation grace (seconds) for this app; None: the setting.
    rotation_grace_s: int | None = None
    #: After ``apps rotate-secret --grace``: the old secret's hash, valid until the given time.
    previous_secret_hash: bytes | None = None
    previous_secret_until_ms: int | None = None
    previous_secret_key_id: str | None = None


@dataclass(frozen=True, slots=True)
class Hub:
    hub_id: int
    hub_domain: str
    hublet: str = "na1"
    deleted: bool = False


@dataclass(frozen=True, slots=True)
class User:
    user_id: int
    email: str
    password_hash: str | None = None


@dataclass(frozen=True, slots=True)
class Install:
    install_id: int
    app_id: int
    hub_id: int
    user_id: int
    scopes: tuple[str, ...]
    active: bool = True


@dataclass(frozen=True, slots=True)
class AuthCode:
    """An authorization code as stored: bound to client, redirect URI, hub, user and scopes."""

    code_hash: bytes
    app_id: int
    install_id: int
    hub_id: int
    user_id: int
    scopes: tuple[str, ...]
    redirect_uri: str
    created_ms: int
    expires_ms: int
    code_challenge: str | None = None
    code_challenge_method: str | None = None
    consumed_ms: int | None = None
    #: Set when redeemed: the token family the redemption created (revoked on replay).
    family_id: str | None = None
    hublet: str = "na1"
    hub_deleted: bool = False
    install_active: bool = True
    #: Server key ``code_hash`` was made under; None = legacy raw HMAC (core/keys.py).
    key_id: str | None = None


@dataclass(frozen=True, slots=True)
class NewRefreshToken:
    token_hash: bytes
    app_id: int
    install_id: int
    hub_id: int
    user_id: int
    scopes: tuple[str, ...]
    family_id: str
    created_ms: int
    key_id: str | None = None
    #: The refresh token this one replaces under rotation (the link a grace retry follows).
    parent_id: int | None = None


@dataclass(frozen=True, slots=True)
class NewAccessToken:
    token_hash: bytes
    app_id: int
    hub_id: int | None
    user_id: int | None
    scopes: tuple[str, ...]
    created_ms: int
    expires_ms: int
    token_use: TokenUse = TokenUse.ACCESS_TOKEN
    family_id: str | None = None
    install_id: int | None = None
    key_id: str | None = None


@dataclass(frozen=True, slots=True)
class RefreshTokenRecord:
    """A stored refresh token joined with what metadata and grants need (one query)."""

    refresh_id: int
    app_id: int
    client_id: str
    install_id: int
    hub_id: int
    hub_domain: str
    hublet: str
    user_id: int
    user_email: str
    scopes: tuple[str, ...]
    family_id: str
    created_ms: int
    revoked_ms: int | None
    rotated_ms: int | None
    hub_deleted: bool
    install_active: bool
    refresh_policy: RefreshPolicy = RefreshPolicy.STATIC
    #: The stored digest and the key it was made under (None = legacy): a token found under
    #: an older key is re-hashed under the newest one on use (core/keys.py).
    token_hash: bytes = b""
    key_id: str | None = None
    #: The app's own rotation grace (seconds), None: the server-wide setting.
    rotation_grace_s: int | None = None


@dataclass(frozen=True, slots=True)
class AccessTokenRecord:
    """A stored access token joined with its app, hub and user (one query)."""

    access_id: int
    app_id: int
    client_id: str
    hub_id: int | None
    hub_domain: str | None
    hublet: str | None
    user_id: int | None
    user_email: str | None
    scopes: tuple[str, ...]
    created_ms: int
    expires_ms: int
    revoked_ms: int | None
    token_use: TokenUse
    is_private_distribution: bool
    install_id: int | None = None
    hub_deleted: bool = False


@dataclass(frozen=True, slots=True)
class IssuedTokens:
    """What a grant hands back to the web layer to render as a token response."""

    access_token: str
    expires_in: int
    scopes: tuple[str, ...]
    token_use: TokenUse
    refresh_token: str | None = None
    hub_id: int | None = None
    user_id: int | None = None
    extra: dict[str, object] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class TokenSummary:
    """A stored token as support staff see it (``hubauth tokens list``): ids, scopes, times and
    the first bytes of its HMAC. The value itself is not stored, so it cannot be shown."""

    kind: str  # "refresh_token", "access_token" or "client_credentials"
    row_id: int
    app_id: int
    hub_id: int | None
    user_id: int | None
    scopes: tuple[str, ...]
    family_id: str | None
    created_ms: int
    expires_ms: int | None  # refresh tokens do not expire
    revoked_ms: int | None
    rotated_ms: int | None
    hash_prefix: str

    def status(self, now_ms: int) -> str:
        if self.revoked_ms is not None:
            return "revoked"
        if self.rotated_ms is not None:
            return "rotated"
        if self.expires_ms is not None and self.expires_ms <= now_ms:
            return "expired"
        return "live"


@dataclass(frozen=True, slots=True)
class BrowserSession:
    """A stored install-page session (the cookie holds only a random id)."""

    session_id: int
    csrf_token: str
    user_id: int | None
    signed_in_ms: int | None
    created_ms: int
    idle_expires_ms: int
    expires_ms: int


@dataclass(frozen=True, slots=True)
class InstallFlow:
    """An authorization request waiting for the user in one browser session."""

    flow_id: str
    session_id: int
    params: dict[str, str]
    pinned_hub_id: int | None
    chosen_hub_id: int | None
    created_ms: int
    expires_ms: int


@dataclass(frozen=True, slots=True)
class QueuedFault:
    """A fault waiting in developer mode (``hubauth.core.devplane``).

    ``kind`` is ``refresh`` (the next refresh grants fail with the HubSpot error ``error``),
    ``request`` (requests under ``path_prefix`` answer ``status``, with ``Retry-After`` when
    ``retry_after`` is set) or ``latency`` (requests under ``path_prefix`` wait ``latency_ms``).
    ``remaining`` is how many more requests it applies to; ``None`` means until cleared.
    """

    kind: str
    path_prefix: str
    remaining: int | None
    error: str | None = None
    status: int | None = None
    retry_after: int | None = None
    latency_ms: int | None = None
    created_ms: int = 0
    fault_id: int = 0


@dataclass(frozen=True, slots=True)
class DevEvent:
    event_id: int
    at_ms: int
    event: str
    fields: str  # a JSON object


@dataclass(frozen=True, slots=True)
class InstallSummary:
    install_id: int
    app_id: int
    hub_id: int
    user_id: int
    scopes: tuple[str, ...]
    created_ms: int
    uninstalled_ms: int | None
