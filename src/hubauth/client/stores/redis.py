"""A token store in Redis (redis-py), shared by processes on any number of machines.

The record is a hash; the lease is a separate key set with ``NX PX`` so Redis itself expires
it. Each conditional step is a Lua script, which Redis runs atomically.
"""

from __future__ import annotations

from typing import Any

from hubauth.client import _json
from hubauth.client.errors import StoreUnavailable
from hubauth.client.stores.base import StoredState
from hubauth.client.tokens import TokenSet

try:
    import redis
except ImportError as exc:  # pragma: no cover - depends on the installed extras
    raise ImportError(
        "RedisTokenStore needs redis-py: pip install 'hubauth[client-redis]'"
    ) from exc

_PUT = """
redis.call('HSET', KEYS[1], 'tokens', ARGV[1], 'retry_not_before_ms', '0')
redis.call('HDEL', KEYS[1], 'reconnect_reason')
redis.call('DEL', KEYS[2])
return redis.call('HINCRBY', KEYS[1], 'version', 1)
"""

_LEASE = """
if redis.call('HGET', KEYS[1], 'version') ~= ARGV[1] then return 0 end
if redis.call('SET', KEYS[2], ARGV[2], 'NX', 'PX', ARGV[3]) then return 1 end
return 0
"""

_COMMIT = """
if redis.call('HGET', KEYS[1], 'version') ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'tokens', ARGV[2], 'retry_not_before_ms', '0')
redis.call('HINCRBY', KEYS[1], 'version', 1)
redis.call('DEL', KEYS[2])
return 1
"""

_RELEASE = """
if redis.call('HGET', KEYS[1], 'version') ~= ARGV[1] then return 0 end
if redis.call('GET', KEYS[2]) ~= ARGV[2] then return 0 end
redis.call('DEL', KEYS[2])
if ARGV[3] ~= '' then redis.call('HSET', KEYS[1], 'reconnect_reason', ARGV[3]) end
local before = tonumber(redis.call('HGET', KEYS[1], 'retry_not_before_ms') or '0')
if tonumber(ARGV[4]) > before then redis.call('HSET', KEYS[1], 'retry_not_before_ms', ARGV[4]) end
return 1
"""


class RedisTokenStore:
    def __init__(
        self,
        url: str = "redis://127.0.0.1:6379/0",
        *,
        prefix: str = "hubauth:tokens:",
        client: redis.Redis | None = None,
    ) -> None:
        self._redis = client or redis.Redis.from_url(
            url, socket_timeout=5, socket_connect_timeout=5
        )
        self._own_client = client is None
        self._prefix = prefix
        self._put = self._redis.register_script(_PUT)
        self._lease = self._redis.register_script(_LEASE)
        self._commit = self._redis.register_script(_COMMIT)
        self._release = self._redis.register_script(_RELEASE)

    def _keys(self, key: str) -> list[str]:
        record = self._prefix + key
        return [record, record + ":lease"]

    def _call(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except redis.RedisError as exc:
            raise StoreUnavailable(f"Redis token store: {type(exc).__name__}") from exc

    def load(self, key: str) -> StoredState | None:
        data: dict[bytes, bytes] = self._call(self._redis.hgetall, self._keys(key)[0])
        if not data or b"tokens" not in data:
            return None
        reason = data.get(b"reconnect_reason")
        return StoredState(
            TokenSet.from_dict(_json.loads(data[b"tokens"])),
            int(data[b"version"]),
            reason.decode() if reason else None,
            int(data.get(b"retry_not_before_ms", b"0")),
        )

    def put(self, key: str, tokens: TokenSet) -> StoredState:
        version = self._call(self._put, keys=self._keys(key), args=[_dump(tokens)])
        return StoredState(tokens, int(version))

    def try_lease(self, key: str, version: int, owner: str, lease_s: float) -> bool:
        won = self._call(
            self._lease, keys=self._keys(key), args=[version, owner, max(1, round(lease_s * 1000))]
        )
        return bool(won)

    def commit(self, key: str, version: int, tokens: TokenSet) -> bool:
        return bool(self._call(self._commit, keys=self._keys(key), args=[version, _dump(tokens)]))

    def release(
        self,
        key: str,
        version: int,
        owner: str,
        *,
        reconnect_reason: str | None = None,
        retry_not_before_ms: int = 0,
    ) -> None:
        self._call(
            self._release,
            keys=self._keys(key),
            args=[version, owner, reconnect_reason or "", retry_not_before_ms],
        )

    def delete(self, key: str) -> None:
        self._call(self._redis.delete, *self._keys(key))

    def close(self) -> None:
        if self._own_client:
            self._redis.close()


def _dump(tokens: TokenSet) -> str:
    return _json.dumps(tokens.to_dict())
