"""The SQL implementation of :class:`hubauth.core.ports.Store` for SQLite and PostgreSQL.

One code path serves both backends (SQLAlchemy Core); the only dialect-specific pieces are the
connection set-up (SQLite pragmas) and the install upsert. Every security-state change is a
conditional ``UPDATE`` whose row count decides the winner, inside one transaction with the
inserts that depend on it.

The store is split by concept: :mod:`~hubauth.store.errors` (error translation),
:mod:`~hubauth.store.rows` (row mapping), :mod:`~hubauth.store.queries` (SQLAlchemy Core
statements), :mod:`~hubauth.store.hot_statements` (the raw-driver boundary: methods here that use
``self._sql`` run on asyncpg/sqlite3 directly, the others through SQLAlchemy),
:mod:`~hubauth.store.engine`, :mod:`~hubauth.store.sessions` (install-page sessions) and
:mod:`~hubauth.store.admin` (purge, list, count: never on a request's path).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

import orjson
from sqlalchemy import (
    delete,
    insert,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Row
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from hubauth.core.models import (
    AccessTokenRecord,
    App,
    AuthCode,
    Hub,
    Install,
    NewAccessToken,
    NewRefreshToken,
    RefreshPolicy,
    RefreshTokenRecord,
    TokenUse,
    User,
)
from hubauth.store import directory
from hubauth.store.admin import AdminQueries
from hubauth.store.engine import DB_TIMEOUT_S, create_engine
from hubauth.store.errors import Conflict, bounded, unavailable_on_db_loss
from hubauth.store.hot import HotPath, Statement, hot_path_for
from hubauth.store.hot_statements import HotStatements, prefixed
from hubauth.store.queries import Hashes, hash_params, hashes_of
from hubauth.store.rows import (
    access_params,
    app_row,
    hub_row,
    join_words,
    refresh_params,
    split_words,
    user_row,
)
from hubauth.store.schema import (
    access_tokens,
    app_jwks,
    apps,
    auth_codes,
    client_assertion_jtis,
    client_registrations,
    hub_members,
    hubs,
    installs,
    refresh_tokens,
    users,
)
from hubauth.store.sessions import SessionQueries


class SqlStore(SessionQueries, AdminQueries):
    """:class:`~hubauth.core.ports.Store` over an :class:`AsyncEngine`."""

    def __init__(
        self, engine: AsyncEngine, *, pool_size: int = 10, timeout: float = DB_TIMEOUT_S
    ) -> None:
        self.engine = engine
        self.dialect = engine.dialect.name
        self.timeout = timeout
        self._hot: HotPath = hot_path_for(engine.url, pool_size, timeout)
        self._sql = HotStatements(self._hot)

    @classmethod
    def from_url(
        cls, database_url: str, *, pool_size: int = 10, timeout: float = DB_TIMEOUT_S
    ) -> SqlStore:
        engine = create_engine(database_url, pool_size=pool_size, timeout=timeout)
        return cls(engine, pool_size=pool_size, timeout=timeout)

    @property
    def hot(self) -> HotPath:
        """The raw-driver path (``store/hot.py``), for other stores over the same database."""
        return self._hot

    async def close(self) -> None:
        await self._hot.close()
        await self.engine.dispose()

    @unavailable_on_db_loss
    @bounded
    async def ping(self) -> None:
        async with self.engine.connect() as conn:
            await conn.execute(select(1))

    async def _one(self, stmt: Any) -> Row[Any] | None:
        async with self.engine.connect() as conn:
            return (await conn.execute(stmt)).first()

    # --- apps, hubs, users --------------------------------------------------------------------

    @unavailable_on_db_loss
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
    ) -> App:
        values: dict[str, Any] = {
            "client_id": client_id,
            "client_secret_hash": client_secret_hash,
            "key_id": client_secret_key_id,
            "name": name,
            "redirect_uris": orjson.dumps(list(redirect_uris)).decode(),
            "scopes": join_words(scopes),
            "optional_scopes": join_words(optional_scopes),
            "is_private_distribution": is_private_distribution,
            "refresh_policy": refresh_policy.value,
            "created_ms": now_ms,
        }
        if app_id is not None:
            values["app_id"] = app_id
        row = await self._insert_returning(apps, values, "app")
        return app_row(row._mapping)

    async def _insert_returning(self, table: Any, values: dict[str, Any], what: str) -> Row[Any]:
        try:
            async with self.engine.begin() as conn:
                result = await conn.execute(insert(table).values(**values).returning(table))
                row: Row[Any] = result.one()
                return row
        except IntegrityError:
            raise Conflict(f"that {what} already exists") from None

    @unavailable_on_db_loss
    async def find_app_by_client_id(self, client_id: str) -> App | None:
        row = await self._hot.fetch_one(self._sql.find_app, {"h": client_id})
        return app_row(row) if row else None

    @unavailable_on_db_loss
    @bounded
    async def find_app(self, app_id: int) -> App | None:
        row = await self._one(select(apps).where(apps.c.app_id == app_id))
        return app_row(row._mapping) if row else None

    @unavailable_on_db_loss
    async def list_apps(self) -> list[App]:
        async with self.engine.connect() as conn:
            rows = (await conn.execute(select(apps).order_by(apps.c.app_id))).all()
        return [app_row(r._mapping) for r in rows]

    @unavailable_on_db_loss
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
        async with self.engine.begin() as conn:
            result = await conn.execute(
                update(apps)
                .where(apps.c.app_id == app_id)
                .values(
                    client_secret_hash=secret_hash,
                    key_id=key_id,
                    previous_secret_hash=previous_hash,
                    previous_key_id=previous_key_id,
                    previous_secret_until_ms=previous_until_ms,
                )
            )
        return bool(result.rowcount)

    @unavailable_on_db_loss
    async def rehash_client_secret(
        self, app_id: int, old_hash: bytes, new_hash: bytes, key_id: str | None
    ) -> bool:
        """Store the current secret's digest under a newer key (key rotation); a no-op if the
        secret was replaced meanwhile. The previous secret of a grace period is left as is."""
        async with self.engine.begin() as conn:
            result = await conn.execute(
                update(apps)
                .where(apps.c.app_id == app_id, apps.c.client_secret_hash == old_hash)
                .values(client_secret_hash=new_hash, key_id=key_id)
            )
        return bool(result.rowcount)

    @unavailable_on_db_loss
    async def set_refresh_policy(self, app_id: int, policy: RefreshPolicy) -> bool:
        async with self.engine.begin() as conn:
            result = await conn.execute(
                update(apps).where(apps.c.app_id == app_id).values(refresh_policy=policy.value)
            )
        return result.rowcount == 1

    @unavailable_on_db_loss
    async def set_rotation_grace(self, app_id: int, seconds: int | None) -> bool:
        async with self.engine.begin() as conn:
            result = await conn.execute(
                update(apps).where(apps.c.app_id == app_id).values(rotation_grace_s=seconds)
            )
        return result.rowcount == 1

    @unavailable_on_db_loss
    async def create_hub(
        self, hub_domain: str, hublet: str = "na1", hub_id: int | None = None, now_ms: int = 0
    ) -> Hub:
        values: dict[str, Any] = {"hub_domain": hub_domain, "hublet": hublet, "created_ms": now_ms}
        if hub_id is not None:
            values["hub_id"] = hub_id
        return hub_row(await self._insert_returning(hubs, values, "hub"))

    @unavailable_on_db_loss
    @bounded
    async def find_hub(self, hub_id: int) -> Hub | None:
        row = await self._one(select(hubs).where(hubs.c.hub_id == hub_id))
        return hub_row(row) if row else None

    @unavailable_on_db_loss
    @bounded
    async def delete_hub(self, hub_id: int, now_ms: int) -> bool:
        async with self.engine.begin() as conn:
            result = await conn.execute(
                update(hubs)
                .where(hubs.c.hub_id == hub_id, hubs.c.deleted_ms.is_(None))
                .values(deleted_ms=now_ms)
            )
        return result.rowcount == 1

    @unavailable_on_db_loss
    async def create_user(
        self,
        email: str,
        password_hash: str | None = None,
        user_id: int | None = None,
        now_ms: int = 0,
    ) -> User:
        values: dict[str, Any] = {
            "email": email,
            "password_hash": password_hash,
            "created_ms": now_ms,
        }
        if user_id is not None:
            values["user_id"] = user_id
        return user_row(await self._insert_returning(users, values, "user"))

    @unavailable_on_db_loss
    async def set_password_hash(self, user_id: int, password_hash: str) -> None:
        async with self.engine.begin() as conn:
            await conn.execute(
                update(users).where(users.c.user_id == user_id).values(password_hash=password_hash)
            )

    @unavailable_on_db_loss
    @bounded
    async def find_user(self, user_id: int) -> User | None:
        row = await self._one(select(users).where(users.c.user_id == user_id))
        return user_row(row) if row else None

    @unavailable_on_db_loss
    @bounded
    async def find_user_by_email(self, email: str) -> User | None:
        row = await self._one(select(users).where(users.c.email == email))
        return user_row(row) if row else None

    @unavailable_on_db_loss
    async def add_hub_member(self, hub_id: int, user_id: int) -> None:
        stmt = self._insert_ignore(hub_members, {"hub_id": hub_id, "user_id": user_id})
        async with self.engine.begin() as conn:
            await conn.execute(stmt)

    @unavailable_on_db_loss
    @bounded
    async def list_user_hubs(self, user_id: int) -> list[Hub]:
        stmt = (
            select(hubs)
            .join(hub_members, hub_members.c.hub_id == hubs.c.hub_id)
            .where(hub_members.c.user_id == user_id, hubs.c.deleted_ms.is_(None))
            .order_by(hubs.c.hub_id)
        )
        async with self.engine.connect() as conn:
            return [hub_row(r) for r in (await conn.execute(stmt)).all()]

    def _insert_ignore(self, table: Any, values: dict[str, Any]) -> Any:
        dialect_insert = postgresql.insert if self.dialect == "postgresql" else sqlite.insert
        return dialect_insert(table).values(**values).on_conflict_do_nothing()

    # --- installs -----------------------------------------------------------------------------

    @unavailable_on_db_loss
    @bounded
    async def upsert_install(
        self, app_id: int, hub_id: int, user_id: int, scopes: Sequence[str], now_ms: int
    ) -> Install:
        dialect_insert = postgresql.insert if self.dialect == "postgresql" else sqlite.insert
        upsert = dialect_insert(installs).values(
            app_id=app_id,
            hub_id=hub_id,
            user_id=user_id,
            scopes=join_words(scopes),
            created_ms=now_ms,
            updated_ms=now_ms,
        )
        stmt = upsert.on_conflict_do_update(
            index_elements=["app_id", "hub_id", "user_id"],
            set_={"scopes": upsert.excluded.scopes, "updated_ms": now_ms, "uninstalled_ms": None},
        ).returning(installs.c.install_id)
        async with self.engine.begin() as conn:
            install_id = (await conn.execute(stmt)).scalar_one()
        return Install(install_id, app_id, hub_id, user_id, tuple(scopes))

    @unavailable_on_db_loss
    @bounded
    async def uninstall(self, app_id: int, hub_id: int, now_ms: int) -> int:
        async with self.engine.begin() as conn:
            result = await conn.execute(
                update(installs)
                .where(
                    installs.c.app_id == app_id,
                    installs.c.hub_id == hub_id,
                    installs.c.uninstalled_ms.is_(None),
                )
                .values(uninstalled_ms=now_ms)
            )
            # Refresh tokens twice, as in revoke_family: a successor a concurrent rotation
            # inserted after the first UPDATE's snapshot is caught by the second.
            for table in (refresh_tokens, access_tokens, refresh_tokens):
                await conn.execute(
                    update(table)
                    .where(
                        table.c.app_id == app_id,
                        table.c.hub_id == hub_id,
                        table.c.revoked_ms.is_(None),
                    )
                    .values(revoked_ms=now_ms)
                )
        return result.rowcount

    # --- authorization codes ------------------------------------------------------------------

    @unavailable_on_db_loss
    @bounded
    async def save_code(self, code: AuthCode) -> None:
        async with self.engine.begin() as conn:
            await conn.execute(
                insert(auth_codes).values(
                    code_hash=code.code_hash,
                    app_id=code.app_id,
                    install_id=code.install_id,
                    hub_id=code.hub_id,
                    user_id=code.user_id,
                    scopes=join_words(code.scopes),
                    redirect_uri=code.redirect_uri,
                    code_challenge=code.code_challenge,
                    code_challenge_method=code.code_challenge_method,
                    created_ms=code.created_ms,
                    expires_ms=code.expires_ms,
                    key_id=code.key_id,
                )
            )

    @unavailable_on_db_loss
    async def find_code(self, code_hash: Hashes) -> AuthCode | None:
        hashes = hashes_of(code_hash)
        row = await self._hot.fetch_one(self._sql.lookup("code", len(hashes)), hash_params(hashes))
        if row is None:
            return None
        return AuthCode(
            code_hash=bytes(row["code_hash"]),
            app_id=row["app_id"],
            install_id=row["install_id"],
            hub_id=row["hub_id"],
            user_id=row["user_id"],
            scopes=split_words(row["scopes"]),
            redirect_uri=row["redirect_uri"],
            created_ms=row["created_ms"],
            expires_ms=row["expires_ms"],
            code_challenge=row["code_challenge"],
            code_challenge_method=row["code_challenge_method"],
            consumed_ms=row["consumed_ms"],
            family_id=row["family_id"],
            hublet=row["hublet"],
            hub_deleted=row["deleted_ms"] is not None,
            install_active=row["uninstalled_ms"] is None,
            key_id=row["key_id"],
        )

    @unavailable_on_db_loss
    async def redeem_code(
        self, code_hash: bytes, now_ms: int, refresh: NewRefreshToken, access: NewAccessToken
    ) -> bool:
        # The conditional UPDATE comes first so SQLite takes its write lock up front and
        # PostgreSQL's row lock serialises racers: exactly one sees rowcount 1.
        at_once = self._sql.redeem_code_at_once
        if at_once is not None:
            guard = {"h": code_hash, "p_now": now_ms, "p_family": refresh.family_id}
            return await self._guarded(at_once, guard, refresh, access)
        return await self._hot.transaction(
            [
                (
                    self._sql.consume_code,
                    {"h": code_hash, "p_now": now_ms, "p_family": refresh.family_id},
                )
            ],
            [
                (self._sql.insert_refresh, refresh_params(refresh)),
                (self._sql.insert_access, access_params(access)),
            ],
        )

    @unavailable_on_db_loss
    async def redeem_code_again(
        self,
        code_hash: bytes,
        first_family: str,
        consumed_since_ms: int,
        now_ms: int,
        refresh: NewRefreshToken,
        access: NewAccessToken,
    ) -> bool:
        step = {
            "h": code_hash,
            "p_old": first_family,
            "p_since": consumed_since_ms,
            "p_now": now_ms,
            "p_family": refresh.family_id,
        }
        return await self._hot.transaction(
            [
                (self._sql.move_code, step),
                (self._sql.revoke_unused_first_refresh, step),
            ],
            [
                (self._sql.revoke_family_access, step),
                (self._sql.insert_refresh, refresh_params(refresh)),
                (self._sql.insert_access, access_params(access)),
            ],
        )

    # --- tokens -------------------------------------------------------------------------------

    @unavailable_on_db_loss
    async def find_refresh_token(self, token_hash: Hashes) -> RefreshTokenRecord | None:
        hashes = hashes_of(token_hash)
        row = await self._hot.fetch_one(
            self._sql.lookup("refresh", len(hashes)), hash_params(hashes)
        )
        if row is None:
            return None
        return RefreshTokenRecord(
            refresh_id=row["refresh_id"],
            app_id=row["app_id"],
            client_id=row["client_id"],
            install_id=row["install_id"],
            hub_id=row["hub_id"],
            hub_domain=row["hub_domain"],
            hublet=row["hublet"],
            user_id=row["user_id"],
            user_email=row["email"],
            scopes=split_words(row["scopes"]),
            family_id=row["family_id"],
            created_ms=row["created_ms"],
            revoked_ms=row["revoked_ms"],
            rotated_ms=row["rotated_ms"],
            hub_deleted=row["deleted_ms"] is not None,
            install_active=row["uninstalled_ms"] is None,
            refresh_policy=RefreshPolicy(row["refresh_policy"]),
            token_hash=bytes(row["token_hash"]),
            key_id=row["key_id"],
            rotation_grace_s=row["rotation_grace_s"],
        )

    @unavailable_on_db_loss
    async def rehash_refresh_token(
        self, refresh_id: int, old_hash: bytes, new_hash: bytes, key_id: str | None
    ) -> bool:
        """Store a refresh token's digest under a newer key (key rotation); a no-op if the row
        changed meanwhile (another node re-hashed it first)."""
        async with self.engine.begin() as conn:
            result = await conn.execute(
                update(refresh_tokens)
                .where(
                    refresh_tokens.c.refresh_id == refresh_id,
                    refresh_tokens.c.token_hash == old_hash,
                )
                .values(token_hash=new_hash, key_id=key_id)
            )
        return result.rowcount == 1

    @unavailable_on_db_loss
    async def find_access_token(self, token_hash: Hashes) -> AccessTokenRecord | None:
        hashes = hashes_of(token_hash)
        row = await self._hot.fetch_one(
            self._sql.lookup("access", len(hashes)), hash_params(hashes)
        )
        if row is None:
            return None
        return AccessTokenRecord(
            access_id=row["access_id"],
            app_id=row["app_id"],
            client_id=row["client_id"],
            hub_id=row["hub_id"],
            hub_domain=row["hub_domain"],
            hublet=row["hublet"],
            user_id=row["user_id"],
            user_email=row["email"],
            scopes=split_words(row["scopes"]),
            created_ms=row["created_ms"],
            expires_ms=row["expires_ms"],
            revoked_ms=row["revoked_ms"],
            token_use=TokenUse(row["token_use"]),
            is_private_distribution=bool(row["is_private_distribution"]),
            install_id=row["install_id"],
            hub_deleted=row["deleted_ms"] is not None,
        )

    @unavailable_on_db_loss
    async def issue_access_token(self, access: NewAccessToken) -> None:
        await self._hot.transaction([], [(self._sql.insert_access, access_params(access))])

    @unavailable_on_db_loss
    async def issue_access_token_if_live(self, refresh_id: int, access: NewAccessToken) -> bool:
        params = access_params(access)
        params["p_refresh_id"] = refresh_id
        return await self._hot.transaction([(self._sql.insert_access_if_live, params)], [])

    async def _guarded(
        self,
        statement: Statement,
        guard: dict[str, Any],
        refresh: NewRefreshToken,
        access: NewAccessToken,
    ) -> bool:
        params = (
            guard | prefixed("r_", refresh_params(refresh)) | prefixed("a_", access_params(access))
        )
        row = await self._hot.fetch_one(statement, params)
        return row is not None and row["guarded"] == 1

    @unavailable_on_db_loss
    async def rotate_refresh_token(
        self, refresh_id: int, now_ms: int, new_refresh: NewRefreshToken, access: NewAccessToken
    ) -> bool:
        at_once = self._sql.rotate_at_once
        if at_once is not None:
            guard = {"p_id": refresh_id, "p_now": now_ms}
            return await self._guarded(at_once, guard, new_refresh, access)
        return await self._hot.transaction(
            [(self._sql.retire_refresh, {"p_id": refresh_id, "p_now": now_ms})],
            [
                (self._sql.insert_refresh, refresh_params(new_refresh)),
                (self._sql.insert_access, access_params(access)),
            ],
        )

    @unavailable_on_db_loss
    async def replace_unused_successor(
        self, retired_id: int, now_ms: int, new_refresh: NewRefreshToken, access: NewAccessToken
    ) -> bool:
        # Concurrent retries of one retired token queue on its row (PostgreSQL; SQLite's
        # write lock does the same), so each one's successor lookup runs after the previous
        # retry committed and finds that retry's successor: never two live successors, and
        # the later retry wins (docs/decisions.md, "Rotation grace").
        step = {"p_parent": retired_id, "p_now": now_ms, "p_family": new_refresh.family_id}
        return await self._hot.transaction(
            [
                (self._sql.lock_retired, step),
                (self._sql.retire_unused_successor, step),
            ],
            [
                (self._sql.revoke_successor_access, step),
                (self._sql.insert_refresh, refresh_params(new_refresh)),
                (self._sql.insert_access, access_params(access)),
            ],
        )

    @unavailable_on_db_loss
    @bounded
    async def revoke_refresh_token(
        self, token_hash: Hashes, now_ms: int, *, with_access_tokens: bool
    ) -> bool:
        async with self.engine.begin() as conn:
            family = (
                await conn.execute(
                    update(refresh_tokens)
                    .where(
                        refresh_tokens.c.token_hash.in_(hashes_of(token_hash)),
                        refresh_tokens.c.revoked_ms.is_(None),
                        refresh_tokens.c.rotated_ms.is_(None),
                    )
                    .values(revoked_ms=now_ms)
                    .returning(refresh_tokens.c.family_id)
                )
            ).scalar_one_or_none()
            if family is None:
                return False
            if with_access_tokens:
                await conn.execute(
                    update(access_tokens)
                    .where(
                        access_tokens.c.family_id == family, access_tokens.c.revoked_ms.is_(None)
                    )
                    .values(revoked_ms=now_ms)
                )
        return True

    @unavailable_on_db_loss
    @bounded
    async def revoke_access_token(self, token_hash: Hashes, now_ms: int) -> bool:
        async with self.engine.begin() as conn:
            result = await conn.execute(
                update(access_tokens)
                .where(
                    access_tokens.c.token_hash.in_(hashes_of(token_hash)),
                    access_tokens.c.revoked_ms.is_(None),
                )
                .values(revoked_ms=now_ms)
            )
        return result.rowcount == 1

    @unavailable_on_db_loss
    @bounded
    async def revoke_family(self, family_id: str, now_ms: int) -> int:
        total = 0
        async with self.engine.begin() as conn:
            # Refresh tokens a second time: on PostgreSQL (READ COMMITTED) the first UPDATE may
            # have waited for a rotation holding one of the family's rows, whose successor was
            # inserted after that UPDATE's snapshot; once it committed, the next statement sees it.
            for table in (refresh_tokens, access_tokens, refresh_tokens):
                result = await conn.execute(
                    update(table)
                    .where(table.c.family_id == family_id, table.c.revoked_ms.is_(None))
                    .values(revoked_ms=now_ms)
                )
                total += result.rowcount
        return total

    # --- private_key_jwt (RFC 7523) ------------------------------------------------------------

    @unavailable_on_db_loss
    async def set_app_jwks(self, app_id: int, jwks: str | None, now_ms: int) -> bool:
        """Replace the app's JWK Set (``None`` removes it); False when there is no such app."""
        async with self.engine.begin() as conn:
            exists = (
                await conn.execute(select(apps.c.app_id).where(apps.c.app_id == app_id))
            ).first()
            if exists is None:
                return False
            await conn.execute(delete(app_jwks).where(app_jwks.c.app_id == app_id))
            if jwks is not None:
                await conn.execute(
                    insert(app_jwks).values(app_id=app_id, jwks=jwks, updated_ms=now_ms)
                )
        return True

    @unavailable_on_db_loss
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
        async with self.engine.begin() as conn:
            result = await conn.execute(
                update(apps)
                .where(apps.c.app_id == app_id)
                .values(
                    name=name,
                    redirect_uris=orjson.dumps(list(redirect_uris)).decode(),
                    scopes=join_words(scopes),
                    optional_scopes=join_words(optional_scopes),
                    refresh_policy=refresh_policy.value,
                )
            )
        return result.rowcount == 1

    @unavailable_on_db_loss
    async def delete_app(self, app_id: int) -> dict[str, int] | None:
        async with self.engine.begin() as conn:
            for table in (app_jwks, client_registrations):
                await conn.execute(delete(table).where(table.c.app_id == app_id))
        removed = await directory.delete_app(self.engine, app_id)
        return None if removed is None else dataclasses.asdict(removed)

    @unavailable_on_db_loss
    async def save_registration(
        self, app_id: int, token_hash: bytes, key_id: str | None, auth_method: str, now_ms: int
    ) -> None:
        async with self.engine.begin() as conn:
            await conn.execute(
                delete(client_registrations).where(client_registrations.c.app_id == app_id)
            )
            await conn.execute(
                insert(client_registrations).values(
                    app_id=app_id,
                    token_hash=token_hash,
                    key_id=key_id,
                    auth_method=auth_method,
                    created_ms=now_ms,
                )
            )

    @unavailable_on_db_loss
    async def find_registration(self, app_id: int) -> tuple[bytes, str | None, str] | None:
        async with self.engine.connect() as conn:
            row = (
                await conn.execute(
                    select(
                        client_registrations.c.token_hash,
                        client_registrations.c.key_id,
                        client_registrations.c.auth_method,
                    )
                    .join(apps, apps.c.app_id == client_registrations.c.app_id)
                    .where(
                        client_registrations.c.app_id == app_id,
                        # a row left by a release that deleted the app without it (rolling
                        # upgrade) must not attach to a later app given the same id
                        client_registrations.c.created_ms >= apps.c.created_ms,
                    )
                )
            ).first()
        return None if row is None else (bytes(row[0]), row[1], str(row[2]))

    @unavailable_on_db_loss
    async def find_app_jwks(self, app_id: int) -> str | None:
        async with self.engine.connect() as conn:
            row = (
                await conn.execute(select(app_jwks.c.jwks).where(app_jwks.c.app_id == app_id))
            ).first()
        return None if row is None else str(row[0])

    @unavailable_on_db_loss
    async def use_assertion_jti(self, jti_hash: bytes, app_id: int, expires_ms: int) -> bool:
        """Record a client assertion's ``jti``; False when it was already recorded (a replay).
        The primary key decides, so two nodes racing with one assertion get one True."""
        stmt = self._insert_ignore(
            client_assertion_jtis,
            {"jti_hash": jti_hash, "app_id": app_id, "expires_ms": expires_ms},
        )
        async with self.engine.begin() as conn:
            return bool((await conn.execute(stmt)).rowcount == 1)
