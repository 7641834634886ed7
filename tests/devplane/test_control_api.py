"""The developer control API (``/_hubauth/``, dev mode only) on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from hubauth.core.devplane import CLOCK_OFFSET, REQUEST_COUNT_FLUSH_S, REQUESTS, DevPlane
from hubauth.store.schema import metadata
from tests.devplane.conftest import install_body, make_world, post, refresh_form


def dev_plane(client: httpx.AsyncClient) -> DevPlane:
    app = client._transport.app  # type: ignore[attr-defined]
    plane: DevPlane = app.state.plane
    return plane


async def test_creating_apps_hubs_and_users_applies_the_cli_checks(
    dev: httpx.AsyncClient, world: dict[str, Any]
) -> None:
    assert world["app"]["client_secret"] and world["hub"]["hub_id"] and world["user"]["user_id"]
    bad = await post(
        dev, "/_hubauth/apps", {"name": "x", "redirect_uris": ["ftp://x"], "scopes": "oauth"}
    )
    assert bad.status_code == 400
    assert bad.json()["category"] == "VALIDATION_ERROR"
    assert "redirect_uri" in bad.json()["context"]
    no_scope = await post(
        dev, "/_hubauth/apps", {"name": "x", "redirect_uris": ["https://x.test"], "scopes": ""}
    )
    assert no_scope.status_code == 400
    bad_email = await post(dev, "/_hubauth/users", {"email": "not-an-email"})
    assert bad_email.status_code == 400
    taken = await post(dev, "/_hubauth/users", {"email": "dev@example.test"})
    assert taken.status_code == 409


async def test_install_mints_a_code_the_token_endpoint_redeems(
    dev: httpx.AsyncClient, world: dict[str, Any]
) -> None:
    made = await post(dev, "/_hubauth/installs", install_body(world))
    assert made.status_code == 201
    code = made.json()
    exchanged = await dev.post(
        "/oauth/v1/token",
        data={
            "grant_type": "authorization_code",
            "code": code["code"],
            "redirect_uri": code["redirect_uri"],
            "client_id": world["app"]["client_id"],
            "client_secret": world["app"]["client_secret"],
        },
    )
    assert exchanged.status_code == 200, exchanged.text
    assert exchanged.json()["hub_id"] == world["hub"]["hub_id"]


async def test_install_for_a_missing_user_is_404(
    dev: httpx.AsyncClient, world: dict[str, Any]
) -> None:
    made = await post(dev, "/_hubauth/installs", {**install_body(world), "user_id": 999_999})
    assert made.status_code == 404


async def test_advancing_the_clock_expires_access_tokens(
    dev: httpx.AsyncClient, world: dict[str, Any]
) -> None:
    tokens = (await post(dev, "/_hubauth/installs/tokens", install_body(world))).json()
    path = f"/oauth/v1/access-tokens/{tokens['access_token']}"
    assert (await dev.get(path)).json()["expires_in"] > 1790
    moved = await post(dev, "/_hubauth/clock/advance", {"seconds": 1799})
    assert moved.json()["offset_ms"] == 1_799_000
    assert (await dev.get(path)).json()["expires_in"] <= 1
    await post(dev, "/_hubauth/clock/advance", {"seconds": 2})
    assert (await dev.get(path)).status_code == 401  # HubSpot: 401 for a dead token
    assert (await dev.get("/_hubauth/clock")).json()["offset_ms"] == 1_801_000


async def test_setting_the_clock_moves_server_time_to_the_given_instant(
    dev: httpx.AsyncClient,
) -> None:
    target = 4_102_444_800_000  # 2100-01-01
    state = (await post(dev, "/_hubauth/clock/set", {"now_ms": target})).json()
    assert target <= state["now_ms"] < target + 5_000
    assert state["now"].startswith("2100-01-01T00:00:0")
    assert (await post(dev, "/_hubauth/clock/advance", {"seconds": -1})).status_code == 400


async def test_expiring_and_revoking_a_token_now(
    dev: httpx.AsyncClient, world: dict[str, Any]
) -> None:
    tokens = (await post(dev, "/_hubauth/installs/tokens", install_body(world))).json()
    expired = await post(dev, "/_hubauth/tokens/expire", {"token": tokens["access_token"]})
    assert expired.status_code == 200 and expired.json()["action"] == "expired"
    assert (await dev.get(f"/oauth/v1/access-tokens/{tokens['access_token']}")).status_code == 401
    # A refresh token does not expire (as at HubSpot); it can be revoked.
    refusal = await post(dev, "/_hubauth/tokens/expire", {"token": tokens["refresh_token"]})
    assert refusal.status_code == 400
    revoked = await post(dev, "/_hubauth/tokens/revoke", {"token": tokens["refresh_token"]})
    assert revoked.json() == {**revoked.json(), "action": "revoked", "kind": "refresh_token"}
    refresh = await dev.post("/oauth/v1/token", data=refresh_form(world, tokens["refresh_token"]))
    assert refresh.status_code == 400 and refresh.json()["status"] == "BAD_REFRESH_TOKEN"
    unknown = await post(dev, "/_hubauth/tokens/revoke", {"token": "na1-nope"})
    assert unknown.status_code == 404


async def test_uninstall_revokes_the_installs_tokens(
    dev: httpx.AsyncClient, world: dict[str, Any]
) -> None:
    tokens = (await post(dev, "/_hubauth/installs/tokens", install_body(world))).json()
    done = await post(
        dev,
        "/_hubauth/uninstall",
        {"client_id": world["app"]["client_id"], "hub_id": world["hub"]["hub_id"]},
    )
    assert done.json()["installs_ended"] == 1
    refresh = await dev.post("/oauth/v1/token", data=refresh_form(world, tokens["refresh_token"]))
    assert refresh.json()["status"] == "BAD_REFRESH_TOKEN"


async def test_queued_refresh_failures_are_delivered_n_times_then_refreshes_work(
    dev: httpx.AsyncClient, world: dict[str, Any]
) -> None:
    tokens = (await post(dev, "/_hubauth/installs/tokens", install_body(world))).json()
    queued = await post(
        dev, "/_hubauth/faults", {"kind": "refresh", "count": 2, "error": "BAD_REFRESH_TOKEN"}
    )
    assert queued.status_code == 201 and queued.json()["remaining"] == 2
    form = refresh_form(world, tokens["refresh_token"])
    for _ in range(2):
        failed = await dev.post("/oauth/v1/token", data=form)
        assert failed.status_code == 400
        assert failed.json()["status"] == "BAD_REFRESH_TOKEN"
    assert (await dev.post("/oauth/v1/token", data=form)).status_code == 200
    assert (await dev.get("/_hubauth/faults")).json() == {"faults": []}


async def test_queued_request_failures_hit_only_their_route_with_retry_after(
    dev: httpx.AsyncClient, world: dict[str, Any]
) -> None:
    tokens = (await post(dev, "/_hubauth/installs/tokens", install_body(world))).json()
    await post(
        dev,
        "/_hubauth/faults",
        {
            "kind": "request",
            "count": 1,
            "status": 429,
            "retry_after": 7,
            "path_prefix": "/oauth/v1/token",
        },
    )
    metadata = await dev.get(f"/oauth/v1/access-tokens/{tokens['access_token']}")
    assert metadata.status_code == 200  # another route: untouched
    limited = await dev.post("/oauth/v1/token", data=refresh_form(world, tokens["refresh_token"]))
    assert limited.status_code == 429
    assert limited.headers["retry-after"] == "7"
    assert limited.json()["category"] == "RATE_LIMITS"
    await post(dev, "/_hubauth/faults", {"kind": "request", "status": 503})
    assert (await dev.get("/healthz")).status_code == 503
    assert (await dev.get("/healthz")).status_code == 200
    refused = await post(dev, "/_hubauth/faults", {"kind": "request", "status": 418})
    assert refused.status_code == 400


async def test_latency_is_queued_and_cleared(dev: httpx.AsyncClient) -> None:
    queued = await post(dev, "/_hubauth/faults", {"kind": "latency", "latency_seconds": 0.2})
    assert queued.status_code == 201 and "remaining" not in queued.json()
    assert (await dev.get("/_hubauth/faults")).json()["faults"][0]["latency_seconds"] == 0.2
    cleared = await dev.delete("/_hubauth/faults")
    assert cleared.json() == {"status": "ok", "cleared": 1}


async def test_counters_count_grants_per_app_and_refreshes_per_token(
    dev: httpx.AsyncClient, world: dict[str, Any]
) -> None:
    tokens = (await post(dev, "/_hubauth/installs/tokens", install_body(world))).json()
    await post(dev, "/_hubauth/faults", {"kind": "refresh"})
    for _ in range(3):  # the first fails (injected), and is counted all the same
        await dev.post("/oauth/v1/token", data=refresh_form(world, tokens["refresh_token"]))
    counted = (await dev.get("/_hubauth/counters")).json()
    assert counted["grants"] == {"refresh_token": 3}
    [app] = counted["apps"]
    assert app == {
        "client_id": world["app"]["client_id"],
        "app_id": world["app"]["app_id"],
        "grants": {"refresh_token": 3},
    }
    assert list(counted["refreshes"].values()) == [3]
    state = (await dev.get("/_hubauth/state")).json()
    refresh_fps = {t["fingerprint"] for t in state["tokens"] if t["kind"] == "refresh_token"}
    assert set(counted["refreshes"]) == refresh_fps
    await dev.delete("/_hubauth/counters")
    assert (await dev.get("/_hubauth/counters")).json()["grants"] == {}


async def test_plain_requests_are_counted_exactly_by_the_worker_that_reads_the_counters(
    dev: httpx.AsyncClient, world: dict[str, Any]
) -> None:
    tokens = (await post(dev, "/_hubauth/installs/tokens", install_body(world))).json()
    await dev.delete("/_hubauth/counters")
    for _ in range(5):  # plain requests: tallied in memory, not written one by one
        assert (await dev.get("/healthz")).status_code == 200
    await dev.post("/oauth/v1/token", data=refresh_form(world, tokens["refresh_token"]))
    counted = (await dev.get("/_hubauth/counters")).json()
    assert counted["requests"] == 6
    assert counted["grants"] == {"refresh_token": 1}
    await dev.get("/healthz")
    await dev.delete("/_hubauth/counters")  # a tallied request before the reset is dropped
    assert (await dev.get("/_hubauth/counters")).json()["requests"] == 0


async def test_plain_request_counts_reach_the_database_for_other_workers_unasked(
    dev: httpx.AsyncClient,
) -> None:
    plane = dev_plane(dev)
    for _ in range(3):
        assert (await dev.get("/healthz")).status_code == 200
    # Another worker reads the database, not this worker's tally: the tally must get there
    # by itself (within REQUEST_COUNT_FLUSH_S; the deadline only bounds a failing test).
    deadline = asyncio.get_running_loop().time() + 10
    while await plane.store.get_value(REQUESTS) != 3:
        assert asyncio.get_running_loop().time() < deadline, "the request count was not written"
        await asyncio.sleep(REQUEST_COUNT_FLUSH_S / 4)
    assert plane.tally.pending == 0


async def test_a_request_with_nothing_queued_never_reads_the_fault_table(
    dev: httpx.AsyncClient,
) -> None:
    plane = dev_plane(dev)
    assert await plane.store.request_state(CLOCK_OFFSET) == (None, False)
    await post(dev, "/_hubauth/faults", {"kind": "request", "count": 1, "status": 503})
    assert await plane.store.request_state(CLOCK_OFFSET) == (None, True)
    assert (await dev.get("/healthz")).status_code == 503
    # Used up: the flag drops, so the next requests skip the fault table again.
    assert await plane.store.request_state(CLOCK_OFFSET) == (None, False)
    assert (await dev.get("/healthz")).status_code == 200
    await post(dev, "/_hubauth/clock/advance", {"seconds": 2})
    assert await plane.store.request_state(CLOCK_OFFSET) == (2000, False)


async def test_reset_empties_the_server(dev: httpx.AsyncClient, world: dict[str, Any]) -> None:
    await post(dev, "/_hubauth/installs/tokens", install_body(world))
    await post(dev, "/_hubauth/clock/advance", {"seconds": 60})
    await post(dev, "/_hubauth/faults", {"kind": "refresh"})
    assert (await post(dev, "/_hubauth/reset", {})).json() == {"status": "ok"}
    state = (await dev.get("/_hubauth/state")).json()
    assert state["apps"] == state["installs"] == state["tokens"] == state["faults"] == []
    assert state["clock"]["offset_ms"] == 0
    assert [e["fields"]["action"] for e in state["events"]] == ["reset"]

    # Every table ends empty, the install pages' browser sessions and flows included.
    world = await make_world(dev)
    page = await dev.get(
        "/oauth/authorize",
        params={
            "client_id": world["app"]["client_id"],
            "redirect_uri": "http://localhost:3000/callback",
            "scope": "oauth crm.objects.contacts.read",
        },
    )
    assert page.status_code == 200
    assert await _count(dev, "install_flows") == 1
    await post(dev, "/_hubauth/reset", {})
    for table in metadata.sorted_tables:
        if table.name != "dev_events":  # the reset itself is recorded
            assert await _count(dev, table.name) == 0, table.name


async def _count(client: httpx.AsyncClient, name: str) -> int:
    engine = dev_plane(client).store.engine  # type: ignore[attr-defined]
    async with engine.connect() as conn:
        table = metadata.tables[name]
        return int((await conn.execute(select(func.count()).select_from(table))).scalar_one())


async def test_control_calls_are_audited(
    dev: httpx.AsyncClient, world: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level("INFO", logger="hubauth.audit"):
        await post(dev, "/_hubauth/clock/advance", {"seconds": 5})
    audits = [getattr(r, "audit", None) for r in caplog.records]
    assert {"event": "dev_control", "action": "clock_advanced", "seconds": 5.0} in [
        {k: a[k] for k in ("event", "action", "seconds")} for a in audits if a and "seconds" in a
    ]
    events = (await dev.get("/_hubauth/state")).json()["events"]
    assert events[0]["event"] == "dev_control"
    assert events[0]["fields"]["action"] == "clock_advanced"
    actions = {e["fields"].get("action") for e in events}
    assert {"app_created", "hub_created", "user_created"} <= actions


async def test_json_calls_need_the_json_content_type(dev: httpx.AsyncClient) -> None:
    """A cross-site form or text/plain post (no CORS preflight) is refused."""
    forged = await dev.post(
        "/_hubauth/reset", content=b"{}", headers={"content-type": "text/plain"}
    )
    assert forged.status_code == 415
    form = await dev.post("/_hubauth/clock/advance", data={"seconds": "60"})
    assert form.status_code == 415


async def test_bad_json_bodies_get_a_hubspot_validation_error(dev: httpx.AsyncClient) -> None:
    for raw in (b"not json", b"[1]", b'{"seconds": "soon"}', b"{}"):
        response = await dev.post(
            "/_hubauth/clock/advance", content=raw, headers={"content-type": "application/json"}
        )
        assert response.status_code == 400, raw
        assert response.json()["category"] == "VALIDATION_ERROR"
