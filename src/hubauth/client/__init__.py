"""A token manager for HubSpot OAuth integrations (and hubauth): refreshes ahead of expiry,
once per expiry across threads, tasks and processes, and turns failures into three
exceptions a caller can act on. See ``docs/testing.md`` for examples.

    manager = TokenManager(CLIENT_ID, CLIENT_SECRET, tokens=token_response)
    headers = {"Authorization": f"Bearer {manager.get_access_token()}"}
"""

from hubauth.client.async_manager import AsyncTokenManager
from hubauth.client.errors import (
    Misconfigured,
    ReconnectRequired,
    RefreshError,
    RetryLater,
    StoreUnavailable,
)
from hubauth.client.manager import TokenManager
from hubauth.client.plan import Timing
from hubauth.client.protocol import HUBSPOT_API, TOKEN_PATH_V1, TOKEN_PATH_V3, OAuthApp
from hubauth.client.stores.base import MemoryTokenStore, StoredState, TokenStore
from hubauth.client.tokens import TokenSet

__all__ = [
    "HUBSPOT_API",
    "TOKEN_PATH_V1",
    "TOKEN_PATH_V3",
    "AsyncTokenManager",
    "MemoryTokenStore",
    "Misconfigured",
    "OAuthApp",
    "ReconnectRequired",
    "RefreshError",
    "RetryLater",
    "StoreUnavailable",
    "StoredState",
    "Timing",
    "TokenManager",
    "TokenSet",
    "TokenStore",
]
