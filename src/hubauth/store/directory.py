"""Operator reads and removals behind ``hubauth apps|hubs|users|installs list`` and
``apps delete``: whole-table listings with counts, never on a request path.

Functions over an :class:`AsyncEngine` rather than methods of the request-serving store, so the
admin surface stays out of the ``Store`` port the core depends on.
"""

from __future__ import annotations

from dataclasses import dataclass

import orjson
from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from hubauth.store.schema import (
    access_tokens,
    apps,
    auth_codes,
    hub_members,
    hubs,
    installs,
    refresh_tokens,
    users,
)


@dataclass(frozen=True, slots=True)
class AppRow:
    app_id: int
    client_id: str
    name: str
    redirect_uris: tuple[str, ...]
    scopes: tuple[str, ...]
    optional_scopes: tuple[str, ...]
    refresh_policy: str
    is_private_distribution: bool
    created_ms: int
    active_installs: int


@dataclass(frozen=True, slots=True)
class HubRow:
    hub_id: int
    hub_domain: str
    hublet: str
    created_ms: int
    deleted_ms: int | None
    members: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class UserRow:
    user_id: int
    email: str
    can_sign_in: bool
    created_ms: int
    hubs: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class InstallRow:
    install_id: int
    app_id: int
    hub_id: int
    user_id: int
    scopes: tuple[str, ...]
    created_ms: int
    updated_ms: int
    uninstalled_ms: int | None


@dataclass(frozen=True, slots=True)
class Removed:
    """Rows deleted with an app: what ``apps delete`` revoked."""

    refresh_tokens: int
    access_tokens: int
    auth_codes: int
    installs: int


def _split(value: str) -> tuple[str, ...]:
    return tuple(value.split()) if value else ()


async def list_apps(engine: AsyncEngine, app_id: int | None = None) -> list[AppRow]:
    live = (
        select(installs.c.app_id, func.count().label("n"))
        .where(installs.c.uninstalled_ms.is_(None))
        .group_by(installs.c.app_id)
        .subquery()
    )
    stmt = (
        select(apps, func.coalesce(live.c.n, 0).label("active_installs"))
        .outerjoin(live, live.c.app_id == apps.c.app_id)
        .order_by(apps.c.app_id)
    )
    if app_id is not None:
        stmt = stmt.where(apps.c.app_id == app_id)
    async with engine.connect() as conn:
        rows = (await conn.execute(stmt)).all()
    return [
        AppRow(
            app_id=r.app_id,
            client_id=r.client_id,
            name=r.name,
            redirect_uris=tuple(orjson.loads(r.redirect_uris)),
            scopes=_split(r.scopes),
            optional_scopes=_split(r.optional_scopes),
            refresh_policy=r.refresh_policy,
            is_private_distribution=bool(r.is_private_distribution),
            created_ms=r.created_ms,
            active_installs=int(r.active_installs),
        )
        for r in rows
    ]


async def list_hubs(engine: AsyncEngine) -> list[HubRow]:
    async with engine.connect() as conn:
        rows = (await conn.execute(select(hubs).order_by(hubs.c.hub_id))).all()
        members = (await conn.execute(select(hub_members))).all()
    by_hub: dict[int, list[int]] = {}
    for m in members:
        by_hub.setdefault(m.hub_id, []).append(m.user_id)
    return [
        HubRow(
            hub_id=r.hub_id,
            hub_domain=r.hub_domain,
            hublet=r.hublet,
            created_ms=r.created_ms,
            deleted_ms=r.deleted_ms,
            members=tuple(sorted(by_hub.get(r.hub_id, ()))),
        )
        for r in rows
    ]


async def list_users(engine: AsyncEngine) -> list[UserRow]:
    async with engine.connect() as conn:
        rows = (await conn.execute(select(users).order_by(users.c.user_id))).all()
        members = (await conn.execute(select(hub_members))).all()
    by_user: dict[int, list[int]] = {}
    for m in members:
        by_user.setdefault(m.user_id, []).append(m.hub_id)
    return [
        UserRow(
            user_id=r.user_id,
            email=r.email,
            can_sign_in=r.password_hash is not None,
            created_ms=r.created_ms,
            hubs=tuple(sorted(by_user.get(r.user_id, ()))),
        )
        for r in rows
    ]


async def list_installs(
    engine: AsyncEngine,
    *,
    app_id: int | None = None,
    hub_id: int | None = None,
    include_uninstalled: bool = False,
) -> list[InstallRow]:
    stmt = select(installs).order_by(installs.c.install_id)
    if app_id is not None:
        stmt = stmt.where(installs.c.app_id == app_id)
    if hub_id is not None:
        stmt = stmt.where(installs.c.hub_id == hub_id)
    if not include_uninstalled:
        stmt = stmt.where(installs.c.uninstalled_ms.is_(None))
    async with engine.connect() as conn:
        rows = (await conn.execute(stmt)).all()
    return [
        InstallRow(
            install_id=r.install_id,
            app_id=r.app_id,
            hub_id=r.hub_id,
            user_id=r.user_id,
            scopes=_split(r.scopes),
            created_ms=r.created_ms,
            updated_ms=r.updated_ms,
            uninstalled_ms=r.uninstalled_ms,
        )
        for r in rows
    ]


async def delete_app(engine: AsyncEngine, app_id: int) -> Removed | None:
    """Delete an app and, in the same transaction, every token, code and install of it: a
    deleted row cannot be presented any more, on any node, from the commit on. None if there
    is no such app."""
    async with engine.begin() as conn:
        found = (await conn.execute(select(apps.c.app_id).where(apps.c.app_id == app_id))).first()
        if found is None:
            return None
        counts = []
        for table in (refresh_tokens, access_tokens, auth_codes, installs):
            result = await conn.execute(delete(table).where(table.c.app_id == app_id))
            counts.append(result.rowcount)
        await conn.execute(delete(apps).where(apps.c.app_id == app_id))
    return Removed(*counts)
