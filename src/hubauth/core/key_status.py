"""What still depends on each server key: the operator's check before dropping an old key.

A stored digest depends on the key it was made under (``key_id`` beside it; ``None`` for the
legacy raw-HMAC scheme of releases before the keyring). Only rows that can still be used count:
an expired, consumed, revoked or rotated one stops nothing by becoming unverifiable.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from hubauth.core.context import Context

#: Table name as stored -> the name operators see.
KINDS = {
    "apps": "client_secrets",
    "auth_codes": "codes",
    "refresh_tokens": "refresh_tokens",
    "access_tokens": "access_tokens",
}
LEGACY = "legacy"


class KeyRole(StrEnum):
    #: hashes, signs and seals everything new
    NEWEST = "newest"
    #: still accepted; what depends on it moves to the newest key on use
    LISTED = "listed"
    #: pre-keyring raw-HMAC digests, accepted while ``accept_legacy_hashes`` is on
    LEGACY = "legacy"
    #: digests under a key (or the legacy scheme) no longer accepted: already unusable
    UNLISTED = "unlisted"


@dataclass(frozen=True, slots=True)
class KeyUsage:
    key_id: str
    role: KeyRole
    counts: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def droppable(self) -> bool:
        """Removing this key from the ring would invalidate nothing that still works."""
        return self.role is not KeyRole.NEWEST and self.total == 0


async def key_usage(ctx: Context) -> list[KeyUsage]:
    """Live stored secrets per key: every listed key (newest first), then the legacy scheme,
    then any key found in storage that is no longer listed."""
    ring = ctx.hasher.keyring
    by_table = await ctx.store.count_by_key(ctx.now_ms())
    per_key: dict[str | None, dict[str, int]] = {}
    for table, by_key in by_table.items():
        for key_id, n in by_key.items():
            per_key.setdefault(key_id, dict.fromkeys(KINDS.values(), 0))[KINDS[table]] += n

    def take(key_id: str | None) -> dict[str, int]:
        return per_key.pop(key_id, dict.fromkeys(KINDS.values(), 0))

    out = [
        KeyUsage(k, KeyRole.NEWEST if i == 0 else KeyRole.LISTED, take(k))
        for i, k in enumerate(ring.key_ids)
    ]
    legacy = take(None)
    if ring.accept_legacy or any(legacy.values()):
        role = KeyRole.LEGACY if ring.accept_legacy else KeyRole.UNLISTED
        out.append(KeyUsage(LEGACY, role, legacy))
    for key_id in sorted(k for k in per_key if k is not None):
        out.append(KeyUsage(key_id, KeyRole.UNLISTED, per_key[key_id]))
    return out
