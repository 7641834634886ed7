"""Fixtures of the install-page tests: users with several accounts (hubs)."""

from __future__ import annotations

import dataclasses
import secrets
from dataclasses import dataclass

import pytest

from hubauth.core.context import Context, Policy
from hubauth.core.install_page import InstallPageRules
from tests.support import Seed, hash_password


@pytest.fixture
def policy(policy: Policy, request: pytest.FixtureRequest) -> Policy:
    """``@pytest.mark.install_page_rules("rfc6749")`` switches the install-page rules (denial
    and missing required scopes redirect to the app); default: HubSpot's."""
    marker = request.node.get_closest_marker("install_page_rules")
    if marker is None:
        return policy
    return dataclasses.replace(policy, install_page_rules=InstallPageRules(marker.args[0]))


@dataclass
class MultiHubUser:
    user_id: int
    email: str
    password: str
    hub_ids: list[int]


@pytest.fixture
async def multi_hub_user(ctx: Context, seeded: Seed) -> MultiHubUser:
    """A user in two accounts (plus nothing else), for the account chooser."""
    tag = secrets.token_hex(4)
    password = "pw-" + secrets.token_hex(6)
    now = ctx.now_ms()
    user = await ctx.store.create_user(
        f"multi-{tag}@example.test", hash_password(password), now_ms=now
    )
    hubs = [await ctx.store.create_hub(f"{tag}-{i}.example.test", now_ms=now) for i in (1, 2)]
    for hub in hubs:
        await ctx.store.add_hub_member(hub.hub_id, user.user_id)
    return MultiHubUser(user.user_id, user.email, password, [h.hub_id for h in hubs])
