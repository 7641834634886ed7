"""The raw-driver boundary: the hot path's statements (lookups, grants, code redemption),
compiled once per dialect from :mod:`hubauth.store.queries` and executed by
:mod:`hubauth.store.hot` on asyncpg / sqlite3 directly. Everything else in the store goes through
SQLAlchemy; a method of :class:`~hubauth.store.sql.SqlStore` that uses ``self._sql`` is on this
side of the boundary."""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    bindparam,
    func,
    insert,
    literal_column,
    select,
    update,
)

from hubauth.store.hot import HotPath, Statement
from hubauth.store.queries import (
    ACCESS_COLUMNS,
    ACCESS_QUERY,
    CODE_QUERY,
    REFRESH_COLUMNS,
    REFRESH_LIVE,
    REFRESH_QUERY,
    access_if_live,
)
from hubauth.store.schema import (
    access_tokens,
    apps,
    auth_codes,
    refresh_tokens,
)


class HotStatements:
    """The hot path's statements: the Core statements above, compiled once per dialect."""

    def __init__(self, hot: HotPath) -> None:
        self._hot = hot
        self._lookups: dict[tuple[str, int], Statement] = {}
        self.find_app = hot.compile(select(apps).where(apps.c.client_id == bindparam("h")))
        self.insert_access = hot.compile(
            insert(access_tokens).values({c: bindparam(c) for c in ACCESS_COLUMNS})
        )
        self.insert_refresh = hot.compile(
            insert(refresh_tokens).values({c: bindparam(c) for c in REFRESH_COLUMNS})
        )
        self.consume_code = hot.compile(
            update(auth_codes)
            .where(auth_codes.c.code_hash == bindparam("h"), auth_codes.c.consumed_ms.is_(None))
            .values(consumed_ms=bindparam("p_now"), family_id=bindparam("p_family"))
        )
        self.retire_refresh = hot.compile(
            update(refresh_tokens)
            .where(refresh_tokens.c.refresh_id == bindparam("p_id"), *REFRESH_LIVE)
            .values(rotated_ms=bindparam("p_now"))
        )
        self.insert_access_if_live = hot.compile(access_if_live())
        # Code exchange retried (opt-in, docs/decisions.md): the code moves to the new family
        # only if it still points at the first one and was consumed recently ...
        self.move_code = hot.compile(
            update(auth_codes)
            .where(
                auth_codes.c.code_hash == bindparam("h"),
                auth_codes.c.family_id == bindparam("p_old"),
                auth_codes.c.consumed_ms >= bindparam("p_since"),
            )
            .values(family_id=bindparam("p_family"))
        )
        # ... and the first family's one refresh token is revoked only if it was never used:
        # not rotated, and no access token minted from it besides the code's own.
        family_access_count = (
            select(func.count())
            .select_from(access_tokens)
            .where(access_tokens.c.family_id == bindparam("p_old"))
            .scalar_subquery()
        )
        self.revoke_unused_first_refresh = hot.compile(
            update(refresh_tokens)
            .where(
                refresh_tokens.c.family_id == bindparam("p_old"),
                refresh_tokens.c.parent_id.is_(None),
                refresh_tokens.c.revoked_ms.is_(None),
                refresh_tokens.c.rotated_ms.is_(None),
                family_access_count == literal_column("1"),
            )
            .values(revoked_ms=bindparam("p_now"))
        )
        self.revoke_family_access = hot.compile(
            update(access_tokens)
            .where(
                access_tokens.c.family_id == bindparam("p_old"),
                access_tokens.c.revoked_ms.is_(None),
            )
            .values(revoked_ms=bindparam("p_now"))
        )
        # A no-op UPDATE: the row lock that queues concurrent grace retries of one token.
        self.lock_retired = hot.compile(
            update(refresh_tokens)
            .where(
                refresh_tokens.c.refresh_id == bindparam("p_parent"),
                refresh_tokens.c.revoked_ms.is_(None),
                refresh_tokens.c.rotated_ms.is_not(None),
            )
            .values(rotated_ms=refresh_tokens.c.rotated_ms)
        )
        # Rotation grace (docs/decisions.md): the retired token's live successor, if it was
        # never used (under rotation, using it rotates it), is retired in its place ...
        self.retire_unused_successor = hot.compile(
            update(refresh_tokens)
            .where(refresh_tokens.c.parent_id == bindparam("p_parent"), *REFRESH_LIVE)
            .values(rotated_ms=bindparam("p_now"))
        )
        # ... with the access token issued beside it (same family, same instant): the lost
        # response carried it, so nobody legitimate holds it. An access token of the retired
        # token's own issue is never matched (strictly later), so if both were issued in the
        # same millisecond the successor's simply lives out its lifetime.
        retired_now = select(refresh_tokens.c.created_ms).where(
            refresh_tokens.c.parent_id == bindparam("p_parent"),
            refresh_tokens.c.rotated_ms == bindparam("p_now"),
        )
        parent_issued = select(refresh_tokens.c.created_ms).where(
            refresh_tokens.c.refresh_id == bindparam("p_parent")
        )
        self.revoke_successor_access = hot.compile(
            update(access_tokens)
            .where(
                access_tokens.c.family_id == bindparam("p_family"),
                access_tokens.c.revoked_ms.is_(None),
                access_tokens.c.created_ms.in_(retired_now.scalar_subquery()),
                access_tokens.c.created_ms > parent_issued.scalar_subquery(),
            )
            .values(revoked_ms=bindparam("p_now"))
        )

        # PostgreSQL: the code exchange and the rotation in one statement, one round trip
        # instead of five (BEGIN, guard, two inserts, COMMIT); SQLite batches them instead
        # (group commit, store/hot.py).
        self.redeem_code_at_once: Statement | None = None
        self.rotate_at_once: Statement | None = None
        if hot.one_round_trip:
            consume = (
                update(auth_codes)
                .where(auth_codes.c.code_hash == bindparam("h"), auth_codes.c.consumed_ms.is_(None))
                .values(consumed_ms=bindparam("p_now"), family_id=bindparam("p_family"))
                .returning(auth_codes.c.app_id)
            )
            retire = (
                update(refresh_tokens)
                .where(refresh_tokens.c.refresh_id == bindparam("p_id"), *REFRESH_LIVE)
                .values(rotated_ms=bindparam("p_now"))
                .returning(refresh_tokens.c.refresh_id)
            )
            self.redeem_code_at_once = hot.compile(guarded_tokens(consume))
            self.rotate_at_once = hot.compile(guarded_tokens(retire))

    def lookup(self, kind: str, count: int) -> Statement:
        """The lookup of a token, code or refresh token by any of ``count`` digests: one
        indexed ``IN`` query (a probe of the unique index per digest), compiled once per
        count; the count is fixed by the keyring, so this holds one or two entries."""
        found = self._lookups.get((kind, count))
        if found is None:
            query, column = {
                "refresh": (REFRESH_QUERY, refresh_tokens.c.token_hash),
                "access": (ACCESS_QUERY, access_tokens.c.token_hash),
                "code": (CODE_QUERY, auth_codes.c.code_hash),
            }[kind]
            params: list[Any] = [bindparam(f"h{i}") for i in range(count)]
            found = self._hot.compile(query.where(column.in_(params)))
            self._lookups[(kind, count)] = found
        return found


def guarded_tokens(guard: Any) -> Any:
    """``guard`` (an ``UPDATE … RETURNING`` that matches one row or none) and the inserts of a
    refresh token (parameters prefixed ``r_``) and an access token (``a_``) as one statement:
    each insert selects from the guard's result, so it writes a row only if the guard matched,
    and the statement answers how many rows the guard matched (column ``guarded``).

    PostgreSQL runs data-modifying CTEs in one snapshot and one statement, atomically: the
    guard's row lock serialises racers as the separate ``UPDATE`` did (a racer re-checks the
    row once the winner commits, matches nothing, and so inserts nothing)."""
    matched = guard.cte("guard")
    inserts = []
    for table, columns, prefix in (
        (refresh_tokens, REFRESH_COLUMNS, "r_"),
        (access_tokens, ACCESS_COLUMNS, "a_"),
    ):
        targets = [table.c[name] for name in columns]
        values = select(*(bindparam(prefix + c.name, type_=c.type) for c in targets)).select_from(
            matched
        )
        inserts.append(insert(table).from_select(targets, values).cte(f"{prefix}insert"))
    return select(func.count().label("guarded")).select_from(matched).add_cte(*inserts)


def prefixed(prefix: str, params: dict[str, Any]) -> dict[str, Any]:
    return {prefix + name: value for name, value in params.items()}
