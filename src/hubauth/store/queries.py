"""The SQLAlchemy Core statements shared by both paths: the lookups' joins, the column lists of
token inserts and the "still live" guards. :mod:`hubauth.store.hot_statements` compiles some of
them once for the raw driver; :class:`~hubauth.store.sql.SqlStore` runs the rest through
SQLAlchemy."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import (
    bindparam,
    insert,
    select,
)

from hubauth.store.schema import (
    access_tokens,
    apps,
    auth_codes,
    hubs,
    installs,
    refresh_tokens,
    users,
)

REFRESH_QUERY = select(
    refresh_tokens.c.refresh_id,
    refresh_tokens.c.app_id,
    apps.c.client_id,
    apps.c.refresh_policy,
    apps.c.rotation_grace_s,
    refresh_tokens.c.install_id,
    refresh_tokens.c.hub_id,
    hubs.c.hub_domain,
    hubs.c.hublet,
    hubs.c.deleted_ms,
    refresh_tokens.c.user_id,
    users.c.email,
    refresh_tokens.c.scopes,
    refresh_tokens.c.family_id,
    refresh_tokens.c.created_ms,
    refresh_tokens.c.revoked_ms,
    refresh_tokens.c.rotated_ms,
    installs.c.uninstalled_ms,
    refresh_tokens.c.token_hash,
    refresh_tokens.c.key_id,
).select_from(
    refresh_tokens.join(apps, apps.c.app_id == refresh_tokens.c.app_id)
    .join(hubs, hubs.c.hub_id == refresh_tokens.c.hub_id)
    .join(users, users.c.user_id == refresh_tokens.c.user_id)
    .join(installs, installs.c.install_id == refresh_tokens.c.install_id)
)

ACCESS_QUERY = select(
    access_tokens.c.access_id,
    access_tokens.c.app_id,
    apps.c.client_id,
    apps.c.is_private_distribution,
    access_tokens.c.hub_id,
    hubs.c.hub_domain,
    hubs.c.hublet,
    hubs.c.deleted_ms,
    access_tokens.c.user_id,
    access_tokens.c.install_id,
    users.c.email,
    access_tokens.c.scopes,
    access_tokens.c.created_ms,
    access_tokens.c.expires_ms,
    access_tokens.c.revoked_ms,
    access_tokens.c.token_use,
).select_from(
    access_tokens.join(apps, apps.c.app_id == access_tokens.c.app_id)
    .outerjoin(hubs, hubs.c.hub_id == access_tokens.c.hub_id)
    .outerjoin(users, users.c.user_id == access_tokens.c.user_id)
)

CODE_QUERY = select(
    auth_codes,
    hubs.c.hublet,
    hubs.c.deleted_ms,
    installs.c.uninstalled_ms,
).select_from(
    auth_codes.join(hubs, hubs.c.hub_id == auth_codes.c.hub_id).join(
        installs, installs.c.install_id == auth_codes.c.install_id
    )
)


ACCESS_COLUMNS = (
    "token_hash",
    "app_id",
    "hub_id",
    "user_id",
    "install_id",
    "scopes",
    "token_use",
    "family_id",
    "created_ms",
    "expires_ms",
    "key_id",
)
REFRESH_COLUMNS = (
    "token_hash",
    "app_id",
    "install_id",
    "hub_id",
    "user_id",
    "scopes",
    "family_id",
    "created_ms",
    "key_id",
    "parent_id",
)

#: A lookup's digests: one, or every digest the value may be stored under (core/keys.py).
Hashes = bytes | Sequence[bytes]


def hashes_of(value: Hashes) -> tuple[bytes, ...]:
    return (value,) if isinstance(value, bytes) else tuple(value)


def hash_params(hashes: tuple[bytes, ...]) -> dict[str, bytes]:
    return {f"h{i}": h for i, h in enumerate(hashes)}


#: The refresh token's install is still active (correlated: one primary-key probe).
INSTALL_ACTIVE = (
    select(installs.c.install_id)
    .where(
        installs.c.install_id == refresh_tokens.c.install_id,
        installs.c.uninstalled_ms.is_(None),
    )
    .exists()
)

#: A refresh token that may still be used: not revoked, not rotated, its install active.
REFRESH_LIVE = (
    refresh_tokens.c.revoked_ms.is_(None),
    refresh_tokens.c.rotated_ms.is_(None),
    INSTALL_ACTIVE,
)


def access_if_live() -> Any:
    """``INSERT INTO access_tokens … SELECT … FROM live``: the access token is written only if
    the refresh token is still live when the statement runs, in the same statement
    (issue 15 item 9, RFC 7009 §2.2). On PostgreSQL ``live`` takes a ``FOR SHARE`` row lock,
    which a concurrent revocation's ``UPDATE`` of that row must wait for (and, if the
    revocation committed first, the row is re-checked and no longer matches); the
    revocation's later ``UPDATE access_tokens`` then sees this token. Shared, so concurrent
    refreshes of one static token do not queue behind each other. SQLite serialises writers
    (``BEGIN IMMEDIATE``), so the plain check is enough there; the lock clause compiles away.
    """
    live = (
        select(refresh_tokens.c.refresh_id)
        .where(refresh_tokens.c.refresh_id == bindparam("p_refresh_id"), *REFRESH_LIVE)
        .with_for_update(read=True)
        .cte("live")
    )
    columns = [access_tokens.c[name] for name in ACCESS_COLUMNS]
    values = select(*(bindparam(c.name, type_=c.type) for c in columns)).select_from(live)
    return insert(access_tokens).from_select(columns, values)
