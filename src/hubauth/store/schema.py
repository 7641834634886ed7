"""SQLAlchemy Core tables shared by SQLite and PostgreSQL.

Times are integer milliseconds since the epoch (portable, cheap to compare, and what
``signed_access_token.expiresAt`` reports). Secrets appear only as 32-byte HMAC digests, each
beside the id of the server key it was made under (``key_id``; NULL = made before the keyring,
raw HMAC under the server key: ``hubauth.core.keys``).
Scope lists are stored space-separated, their wire form.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)

metadata = MetaData()

# SQLite only auto-increments a column declared exactly INTEGER PRIMARY KEY.
BigId = BigInteger().with_variant(Integer(), "sqlite")

apps = Table(
    "apps",
    metadata,
    Column("app_id", Integer, primary_key=True),
    Column("client_id", String(64), nullable=False, unique=True),
    Column("client_secret_hash", LargeBinary(32), nullable=False),
    Column("name", String(200), nullable=False),
    Column("redirect_uris", Text, nullable=False),
    Column("scopes", Text, nullable=False),
    Column("optional_scopes", Text, nullable=False, default=""),
    Column("is_private_distribution", Boolean, nullable=False, default=False),
    Column("refresh_policy", String(16), nullable=False, default="static"),
    #: Seconds a rotated refresh token may be retried (docs/decisions.md); NULL: server-wide.
    Column("rotation_grace_s", Integer, nullable=True),
    Column("created_ms", BigInteger, nullable=False),
    Column("key_id", String(16), nullable=True),
    # apps rotate-secret --grace: the old secret keeps working until previous_secret_until_ms
    Column("previous_secret_hash", LargeBinary(32), nullable=True),
    Column("previous_secret_until_ms", BigInteger, nullable=True),
    Column("previous_key_id", String(16), nullable=True),
)

hubs = Table(
    "hubs",
    metadata,
    Column("hub_id", Integer, primary_key=True),
    Column("hub_domain", String(253), nullable=False),
    Column("hublet", String(8), nullable=False, default="na1"),
    Column("created_ms", BigInteger, nullable=False),
    Column("deleted_ms", BigInteger, nullable=True),
)

users = Table(
    "users",
    metadata,
    Column("user_id", Integer, primary_key=True),
    Column("email", String(320), nullable=False, unique=True),
    Column("password_hash", Text, nullable=True),
    Column("created_ms", BigInteger, nullable=False),
)

hub_members = Table(
    "hub_members",
    metadata,
    Column("hub_id", Integer, ForeignKey("hubs.hub_id"), primary_key=True),
    Column("user_id", Integer, ForeignKey("users.user_id"), primary_key=True),
)

installs = Table(
    "installs",
    metadata,
    Column("install_id", Integer, primary_key=True),
    Column("app_id", Integer, ForeignKey("apps.app_id"), nullable=False),
    Column("hub_id", Integer, ForeignKey("hubs.hub_id"), nullable=False),
    Column("user_id", Integer, ForeignKey("users.user_id"), nullable=False),
    Column("scopes", Text, nullable=False),
    Column("created_ms", BigInteger, nullable=False),
    Column("updated_ms", BigInteger, nullable=False),
    Column("uninstalled_ms", BigInteger, nullable=True),
    UniqueConstraint("app_id", "hub_id", "user_id", name="uq_installs_app_hub_user"),
)

auth_codes = Table(
    "auth_codes",
    metadata,
    Column("code_hash", LargeBinary(32), primary_key=True),
    Column("app_id", Integer, ForeignKey("apps.app_id"), nullable=False),
    Column("install_id", Integer, ForeignKey("installs.install_id"), nullable=False),
    Column("hub_id", Integer, nullable=False),
    Column("user_id", Integer, nullable=False),
    Column("scopes", Text, nullable=False),
    Column("redirect_uri", Text, nullable=False),
    Column("code_challenge", String(64), nullable=True),
    Column("code_challenge_method", String(8), nullable=True),
    Column("created_ms", BigInteger, nullable=False),
    Column("expires_ms", BigInteger, nullable=False),
    Column("consumed_ms", BigInteger, nullable=True),
    Column("family_id", String(32), nullable=True),
    Column("key_id", String(16), nullable=True),
    Index("ix_auth_codes_expires_ms", "expires_ms"),
)

refresh_tokens = Table(
    "refresh_tokens",
    metadata,
    Column("refresh_id", BigId, primary_key=True, autoincrement=True),
    Column("token_hash", LargeBinary(32), nullable=False, unique=True),
    Column("app_id", Integer, ForeignKey("apps.app_id"), nullable=False),
    Column("install_id", Integer, ForeignKey("installs.install_id"), nullable=False),
    Column("hub_id", Integer, nullable=False),
    Column("user_id", Integer, nullable=False),
    Column("scopes", Text, nullable=False),
    Column("family_id", String(32), nullable=False),
    Column("created_ms", BigInteger, nullable=False),
    Column("revoked_ms", BigInteger, nullable=True),
    Column("rotated_ms", BigInteger, nullable=True),
    Column("key_id", String(16), nullable=True),
    #: The refresh token this one was rotated from (its successor's link back; NULL otherwise).
    Column("parent_id", BigId, nullable=True),
    Index("ix_refresh_tokens_family_id", "family_id"),
    Index("ix_refresh_tokens_app_hub", "app_id", "hub_id"),
    Index(
        "ix_refresh_tokens_parent_id",
        "parent_id",
        postgresql_where=text("parent_id IS NOT NULL"),
        sqlite_where=text("parent_id IS NOT NULL"),
    ),
)

access_tokens = Table(
    "access_tokens",
    metadata,
    Column("access_id", BigId, primary_key=True, autoincrement=True),
    Column("token_hash", LargeBinary(32), nullable=False, unique=True),
    Column("app_id", Integer, ForeignKey("apps.app_id"), nullable=False),
    Column("hub_id", Integer, nullable=True),
    Column("user_id", Integer, nullable=True),
    Column("install_id", Integer, nullable=True),
    Column("scopes", Text, nullable=False),
    Column("token_use", String(24), nullable=False),
    Column("family_id", String(32), nullable=True),
    Column("created_ms", BigInteger, nullable=False),
    Column("expires_ms", BigInteger, nullable=False),
    Column("revoked_ms", BigInteger, nullable=True),
    Column("key_id", String(16), nullable=True),
    Index("ix_access_tokens_family_id", "family_id"),
    Index("ix_access_tokens_expires_ms", "expires_ms"),
    Index("ix_access_tokens_app_hub", "app_id", "hub_id"),
)

#: The install pages' browser sessions (web/session.py). The cookie carries a random id; only
#: its HMAC digest is stored. ``idle_expires_ms`` moves forward on use, ``expires_ms`` never.
browser_sessions = Table(
    "browser_sessions",
    metadata,
    Column("session_id", BigId, primary_key=True, autoincrement=True),
    Column("token_hash", LargeBinary(32), nullable=False, unique=True),
    Column("csrf_token", String(64), nullable=False),
    Column("user_id", Integer, nullable=True),
    Column("signed_in_ms", BigInteger, nullable=True),
    Column("created_ms", BigInteger, nullable=False),
    Column("idle_expires_ms", BigInteger, nullable=False),
    Column("expires_ms", BigInteger, nullable=False),
    Index("ix_browser_sessions_idle_expires_ms", "idle_expires_ms"),
    Index("ix_browser_sessions_expires_ms", "expires_ms"),
)

#: Authorization requests waiting for the user, one row per flow; deleting the row is what
#: consumes a flow (approve or deny), so a replayed decision finds nothing.
install_flows = Table(
    "install_flows",
    metadata,
    Column("flow_id", String(32), primary_key=True),
    Column("session_id", BigId, nullable=False),
    Column("params", Text, nullable=False),
    Column("pinned_hub_id", Integer, nullable=True),
    Column("chosen_hub_id", Integer, nullable=True),
    Column("created_ms", BigInteger, nullable=False),
    Column("expires_ms", BigInteger, nullable=False),
    Index("ix_install_flows_session_id", "session_id"),
    Index("ix_install_flows_expires_ms", "expires_ms"),
)

#: An app's public keys for ``private_key_jwt`` client authentication (RFC 7523 §2.2): one JWK
#: Set (RFC 7517 §5) per app, public parameters only.
app_jwks = Table(
    "app_jwks",
    metadata,
    Column("app_id", Integer, ForeignKey("apps.app_id", ondelete="CASCADE"), primary_key=True),
    Column("jwks", Text, nullable=False),
    Column("updated_ms", BigInteger, nullable=False),
)

#: RFC 7592 client management: the HMAC digest of each dynamically registered client's
#: registration access token, and the token endpoint auth method it registered. No foreign key:
#: deleting the app deletes this row in the same core operation.
client_registrations = Table(
    "client_registrations",
    metadata,
    Column("app_id", Integer, primary_key=True),
    Column("token_hash", LargeBinary(32), nullable=False),
    Column("key_id", String(16), nullable=True),
    Column("auth_method", String(32), nullable=False),
    Column("created_ms", BigInteger, nullable=False),
)

#: ``jti`` values of accepted client assertions (RFC 7523 §3 item 7), kept until the
#: assertion expires: inserting one that is already there is a replay, on every node.
client_assertion_jtis = Table(
    "client_assertion_jtis",
    metadata,
    Column("jti_hash", LargeBinary(32), primary_key=True),
    Column("app_id", Integer, nullable=False),
    Column("expires_ms", BigInteger, nullable=False),
    Index("ix_client_assertion_jtis_expires_ms", "expires_ms"),
)

# --- developer mode (``hubauth serve --dev``, the pytest plugin) -----------------------------
# Shared through the database so that every worker and node sees one clock and one fault queue.

#: Named integers: the clock offset (``clock.offset_ms``) and the traffic counters.
dev_values = Table(
    "dev_values",
    metadata,
    Column("name", String(160), primary_key=True),
    Column("value", BigInteger, nullable=False),
)

#: Queued faults; ``remaining`` NULL means "until cleared" (latency).
dev_faults = Table(
    "dev_faults",
    metadata,
    Column("fault_id", Integer, primary_key=True),
    Column("kind", String(16), nullable=False),
    Column("path_prefix", String(200), nullable=False),
    Column("remaining", Integer, nullable=True),
    Column("error", String(64), nullable=True),
    Column("status", Integer, nullable=True),
    Column("retry_after", Integer, nullable=True),
    Column("latency_ms", Integer, nullable=True),
    Column("created_ms", BigInteger, nullable=False),
)

#: Recent audit events of the dev server (control calls, grants), newest kept.
dev_events = Table(
    "dev_events",
    metadata,
    Column("event_id", BigId, primary_key=True, autoincrement=True),
    Column("at_ms", BigInteger, nullable=False),
    Column("event", String(64), nullable=False),
    Column("fields", Text, nullable=False),
)

schema_compat = Table(
    "schema_compat",
    metadata,
    Column("revision", String(32), primary_key=True),
    #: The oldest revision whose code still serves this schema (store/migrate.py).
    Column("compatible_from", String(32), nullable=False),
)
