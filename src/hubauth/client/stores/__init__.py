"""Token stores for :mod:`hubauth.client`. The SQL and Redis ones are imported from their own
modules so their drivers stay optional (``hubauth[client-postgres]``, ``hubauth[client-redis]``).
"""

from hubauth.client.stores.base import MemoryTokenStore, StoredState, TokenStore

__all__ = ["MemoryTokenStore", "StoredState", "TokenStore"]
