"""Code exchange after a lost response (issue 21, docs/decisions.md "Code exchange after a lost
response"). By default a used code is refused, as RFC 6749 §4.1.2 requires, and the first
redemption's tokens are revoked: the client must start the install again. With
``code_retry_grace`` > 0 the same authenticated client, with the same redirect URI and PKCE
verifier, within the grace, while nothing the first redemption issued was used, gets a new
token family instead, and the first one is revoked. Every other replay is still an attack."""

from __future__ import annotations

import asyncio
import dataclasses

import httpx
import pytest

from hubauth.core import pkce
from hubauth.core.clock import FrozenClock
from hubauth.core.context import Context, Policy
from hubauth.core.models import RefreshPolicy
from tests.security.helpers import LogCapture, access_alive, exchange, refresh, refresh_alive
from tests.support import Seed, mint_code, seed

GRACE_S = 10
VERIFIER = "v" * 43


@pytest.fixture
def policy() -> Policy:
    return Policy(code_retry_grace_s=GRACE_S)


def assert_refused(response: httpx.Response) -> None:
    assert response.status_code == 400, response.text
    assert (response.json()["error"], response.json()["status"]) == (
        "invalid_grant",
        "BAD_AUTH_CODE",
    )


async def first_redemption(
    client: httpx.AsyncClient, ctx: Context, s: Seed
) -> tuple[str, dict[str, str]]:
    code = await mint_code(ctx, s, code_challenge=pkce.s256(VERIFIER))
    response = await exchange(client, s, code, code_verifier=VERIFIER)
    assert response.status_code == 200, response.text
    return code, response.json()


async def test_by_default_a_retried_code_is_refused_and_the_client_must_install_again(
    client: httpx.AsyncClient, ctx: Context, seeded: Seed
) -> None:
    app = client._transport.app  # type: ignore[attr-defined]
    app.state.ctx = dataclasses.replace(ctx, policy=Policy())
    code, first = await first_redemption(client, ctx, seeded)
    assert_refused(await exchange(client, seeded, code, code_verifier=VERIFIER))
    assert not await refresh_alive(client, first["refresh_token"])


async def test_a_lost_code_exchange_retried_by_its_client_gets_a_new_family(
    client: httpx.AsyncClient, ctx: Context, seeded: Seed, clock: FrozenClock, logs: LogCapture
) -> None:
    code, lost = await first_redemption(client, ctx, seeded)
    clock.advance(3)

    retried = await exchange(client, seeded, code, code_verifier=VERIFIER)

    assert retried.status_code == 200, retried.text
    again = retried.json()
    assert again["refresh_token"] != lost["refresh_token"]
    assert await refresh_alive(client, again["refresh_token"])
    assert await access_alive(client, again["access_token"])
    assert not await refresh_alive(client, lost["refresh_token"])
    assert not await access_alive(client, lost["access_token"])
    [event] = logs.events("code_redeemed_again")
    assert event["app_id"] == seeded.app_id and event["family"] != event["replaced_family"]
    assert not logs.events("code_replay_detected")
    assert (await refresh(client, seeded, again["refresh_token"])).status_code == 200


@pytest.mark.parametrize(
    "attack",
    ["no_verifier", "wrong_verifier", "other_redirect_uri", "after_the_grace", "after_use"],
)
async def test_a_retried_code_that_is_not_a_lost_response_is_a_replay(
    client: httpx.AsyncClient,
    ctx: Context,
    seeded: Seed,
    clock: FrozenClock,
    logs: LogCapture,
    attack: str,
) -> None:
    code, first = await first_redemption(client, ctx, seeded)
    extra = {"code_verifier": VERIFIER}
    if attack == "no_verifier":  # an intercepted code, without the verifier (RFC 9700 §4.5)
        extra = {}
    elif attack == "wrong_verifier":
        extra = {"code_verifier": "w" * 43}
    elif attack == "other_redirect_uri":
        extra["redirect_uri"] = "https://attacker.example.test/cb"
    elif attack == "after_the_grace":
        clock.advance(GRACE_S + 1)
    elif attack == "after_use":  # the first response did arrive: its refresh token was used
        assert (await refresh(client, seeded, first["refresh_token"])).status_code == 200

    response = await exchange(client, seeded, code, **extra)

    assert response.status_code == 400, response.text
    assert not await refresh_alive(client, first["refresh_token"])
    assert not logs.events("code_redeemed_again")


async def test_a_retry_after_a_rotation_is_a_replay_and_revokes_the_successor(
    client: httpx.AsyncClient, ctx: Context
) -> None:
    rotating = await seed(ctx, refresh_policy=RefreshPolicy.ROTATE)
    code, first = await first_redemption(client, ctx, rotating)
    successor = (await refresh(client, rotating, first["refresh_token"])).json()
    assert_refused(await exchange(client, rotating, code, code_verifier=VERIFIER))
    assert not await refresh_alive(client, successor["refresh_token"])


async def test_another_client_cannot_retry_the_code(
    client: httpx.AsyncClient, ctx: Context, seeded: Seed
) -> None:
    other = await seed(ctx)
    code, first = await first_redemption(client, ctx, seeded)
    assert (await exchange(client, other, code, code_verifier=VERIFIER)).status_code == 400
    assert await refresh_alive(client, first["refresh_token"])


async def test_concurrent_retries_leave_one_live_family(
    client: httpx.AsyncClient, ctx: Context, seeded: Seed
) -> None:
    code, first = await first_redemption(client, ctx, seeded)
    responses = await asyncio.gather(
        *(exchange(client, seeded, code, code_verifier=VERIFIER) for _ in range(6))
    )
    winners = [r.json() for r in responses if r.status_code == 200]
    assert len(winners) >= 1
    alive = [await refresh_alive(client, w["refresh_token"]) for w in winners]
    assert alive.count(True) == 1, alive
    assert not await refresh_alive(client, first["refresh_token"])
