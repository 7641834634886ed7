"""Row mapping: database rows to the core's models and models to statement parameters."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import orjson
from sqlalchemy.engine import Row

from hubauth.core.models import (
    App,
    Hub,
    NewAccessToken,
    NewRefreshToken,
    RefreshPolicy,
    TokenSummary,
    User,
)


def split_words(value: str) -> tuple[str, ...]:
    return tuple(value.split()) if value else ()


def join_words(values: Sequence[str]) -> str:
    return " ".join(values)


def app_row(row: Mapping[Any, Any]) -> App:
    """From a mapping: a raw driver row or a SQLAlchemy ``Row._mapping``."""
    return App(
        app_id=row["app_id"],
        client_id=row["client_id"],
        client_secret_hash=bytes(row["client_secret_hash"]),
        name=row["name"],
        redirect_uris=tuple(orjson.loads(row["redirect_uris"])),
        scopes=split_words(row["scopes"]),
        optional_scopes=split_words(row["optional_scopes"]),
        is_private_distribution=bool(row["is_private_distribution"]),
        refresh_policy=RefreshPolicy(row["refresh_policy"]),
        client_secret_key_id=row["key_id"],
        rotation_grace_s=row["rotation_grace_s"],
        previous_secret_hash=(
            bytes(row["previous_secret_hash"]) if row["previous_secret_hash"] else None
        ),
        previous_secret_until_ms=row["previous_secret_until_ms"],
        previous_secret_key_id=row["previous_key_id"],
    )


def hub_row(row: Row[Any]) -> Hub:
    return Hub(
        hub_id=row.hub_id,
        hub_domain=row.hub_domain,
        hublet=row.hublet,
        deleted=row.deleted_ms is not None,
    )


def user_row(row: Row[Any]) -> User:
    return User(user_id=row.user_id, email=row.email, password_hash=row.password_hash)


def access_params(token: NewAccessToken) -> dict[str, Any]:
    return {
        "token_hash": token.token_hash,
        "app_id": token.app_id,
        "hub_id": token.hub_id,
        "user_id": token.user_id,
        "install_id": token.install_id,
        "scopes": join_words(token.scopes),
        "token_use": token.token_use.value,
        "family_id": token.family_id,
        "created_ms": token.created_ms,
        "expires_ms": token.expires_ms,
        "key_id": token.key_id,
    }


def refresh_params(token: NewRefreshToken) -> dict[str, Any]:
    return {
        "token_hash": token.token_hash,
        "app_id": token.app_id,
        "install_id": token.install_id,
        "hub_id": token.hub_id,
        "user_id": token.user_id,
        "scopes": join_words(token.scopes),
        "family_id": token.family_id,
        "created_ms": token.created_ms,
        "key_id": token.key_id,
        "parent_id": token.parent_id,
    }


def token_summary(is_refresh: bool, row: Row[Any]) -> TokenSummary:
    return TokenSummary(
        kind="refresh_token" if is_refresh else row.token_use,
        row_id=row.refresh_id if is_refresh else row.access_id,
        app_id=row.app_id,
        hub_id=row.hub_id,
        user_id=row.user_id,
        scopes=split_words(row.scopes),
        family_id=row.family_id,
        created_ms=row.created_ms,
        expires_ms=None if is_refresh else row.expires_ms,
        revoked_ms=row.revoked_ms,
        rotated_ms=row.rotated_ms if is_refresh else None,
        hash_prefix=bytes(row.token_hash)[:4].hex(),
    )
