"""The SQL half of the shared stores: one schema and one set of conditional statements for
SQLite and PostgreSQL (each subclass supplies the connection, the placeholder style and the
database's own "now" for leases).

Every state change is a single conditional ``UPDATE``/upsert whose row count says who won, so
the database, not the processes, decides the lease (see :mod:`hubauth.client.stores.base`).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Any

from hubauth.client import _json
from hubauth.client.stores.base import StoredState, checked_identifier
from hubauth.client.tokens import TokenSet

DEFAULT_TABLE = "hubauth_client_tokens"


class SqlTokenStore(ABC):
    #: Parameter placeholder of the driver (``?`` for sqlite3, ``%s`` for psycopg).
    placeholder = "?"
    #: The database's wall clock in epoch milliseconds, as an SQL expression.
    now_ms_sql = ""
    #: Two-argument maximum.
    greatest = "MAX"

    def __init__(self, table: str = DEFAULT_TABLE) -> None:
        values = {
            "t": checked_identifier(table),
            "p": self.placeholder,
            "now": self.now_ms_sql,
            "greatest": self.greatest,
        }

        def sql(template: str) -> str:
            # Only the checked table name, the driver's placeholder and fixed SQL fragments are
            # spliced in; every value is a bound parameter.
            return template.format(**values)

        self._create = sql(
            "CREATE TABLE IF NOT EXISTS {t} ("
            " install_key TEXT PRIMARY KEY,"
            " tokens TEXT NOT NULL,"
            " version BIGINT NOT NULL,"
            " reconnect_reason TEXT,"
            " retry_not_before_ms BIGINT NOT NULL DEFAULT 0,"
            " lease_owner TEXT,"
            " lease_until_ms BIGINT)"
        )
        self._load = sql(
            "SELECT tokens, version, reconnect_reason, retry_not_before_ms FROM {t}"
            " WHERE install_key = {p}"
        )
        self._put = sql(
            "INSERT INTO {t} (install_key, tokens, version) VALUES ({p}, {p}, 1)"
            " ON CONFLICT (install_key) DO UPDATE SET tokens = excluded.tokens,"
            " version = {t}.version + 1, reconnect_reason = NULL, retry_not_before_ms = 0,"
            " lease_owner = NULL, lease_until_ms = NULL"
            " RETURNING version"
        )
        self._lease = sql(
            "UPDATE {t} SET lease_owner = {p}, lease_until_ms = {now} + {p}"
            " WHERE install_key = {p} AND version = {p}"
            " AND (lease_until_ms IS NULL OR lease_until_ms < {now})"
        )
        self._commit = sql(
            "UPDATE {t} SET tokens = {p}, version = version + 1, retry_not_before_ms = 0,"
            " lease_owner = NULL, lease_until_ms = NULL"
            " WHERE install_key = {p} AND version = {p}"
        )
        self._release = sql(
            "UPDATE {t} SET lease_owner = NULL, lease_until_ms = NULL,"
            " reconnect_reason = COALESCE({p}, reconnect_reason),"
            " retry_not_before_ms = {greatest}(retry_not_before_ms, {p})"
            " WHERE install_key = {p} AND version = {p} AND lease_owner = {p}"
        )
        self._delete = sql("DELETE FROM {t} WHERE install_key = {p}")

    @abstractmethod
    def _execute(self, sql: str, params: Sequence[Any] = ()) -> tuple[int, list[tuple[Any, ...]]]:
        """Run one statement in its own transaction; (rowcount, fetched rows)."""

    def load(self, key: str) -> StoredState | None:
        _, rows = self._execute(self._load, (key,))
        if not rows:
            return None
        tokens, version, reason, retry_not_before = rows[0]
        return StoredState(
            TokenSet.from_dict(_json.loads(tokens)), int(version), reason, int(retry_not_before)
        )

    def put(self, key: str, tokens: TokenSet) -> StoredState:
        _, rows = self._execute(self._put, (key, _dump(tokens)))
        return StoredState(tokens, int(rows[0][0]))

    def try_lease(self, key: str, version: int, owner: str, lease_s: float) -> bool:
        count, _ = self._execute(self._lease, (owner, round(lease_s * 1000), key, version))
        return count == 1

    def commit(self, key: str, version: int, tokens: TokenSet) -> bool:
        count, _ = self._execute(self._commit, (_dump(tokens), key, version))
        return count == 1

    def release(
        self,
        key: str,
        version: int,
        owner: str,
        *,
        reconnect_reason: str | None = None,
        retry_not_before_ms: int = 0,
    ) -> None:
        self._execute(self._release, (reconnect_reason, retry_not_before_ms, key, version, owner))

    def delete(self, key: str) -> None:
        self._execute(self._delete, (key,))


def _dump(tokens: TokenSet) -> str:
    return _json.dumps(tokens.to_dict())
