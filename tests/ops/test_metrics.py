"""``/metrics``: request counts and latencies per route template, and domain events counted
from the audit sink; summed across worker processes in multiprocess mode."""

from __future__ import annotations

from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families

from hubauth.core.context import Context
from hubauth.core.models import RefreshPolicy
from tests.support import METRICS_AUTH, LiveServer, Seed, mint_code, seed


def samples(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def value(text: str, name: str, **labels: str) -> float:
    return samples(text).get((name, frozenset(labels.items())), 0.0)


async def scrape(client: httpx.AsyncClient) -> str:
    response = await client.get("/metrics", headers=METRICS_AUTH)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return response.text


async def exchange(client: httpx.AsyncClient, s: Seed, code: str) -> httpx.Response:
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": s.redirect_uri}
    return await client.post("/oauth/v1/token", data={**form, **s.creds()})


async def test_requests_are_counted_by_route_template_never_by_raw_path(
    ops_client: httpx.AsyncClient, ctx: Context, seeded: Seed
) -> None:
    tokens = (await exchange(ops_client, seeded, await mint_code(ctx, seeded))).json()
    at, rt = tokens["access_token"], tokens["refresh_token"]
    assert (await ops_client.get(f"/oauth/v1/access-tokens/{at}")).status_code == 200
    assert (await ops_client.get(f"/oauth/v1/access-tokens/{at}")).status_code == 200
    assert (await ops_client.get("/oauth/v1/access-tokens/Cunknown")).status_code == 401
    assert (await ops_client.get(f"/no/such/{rt}")).status_code == 404
    text = await scrape(ops_client)
    route = "/oauth/v1/access-tokens/{token}"
    get = "hubauth_http_requests_total"
    assert value(text, get, method="GET", route=route, status="200") == 2
    assert value(text, get, method="GET", route=route, status="401") == 1
    assert value(text, get, method="POST", route="/oauth/v1/token", status="200") == 1
    assert value(text, get, method="GET", route="<unmatched>", status="404") == 1
    hist = "hubauth_http_request_duration_seconds_count"
    assert value(text, hist, method="GET", route=route, status="200") == 2
    assert at not in text and rt not in text


async def test_domain_events_are_counted_from_the_audit_sink(
    ops_client: httpx.AsyncClient, ctx: Context, seeded: Seed
) -> None:
    code = await mint_code(ctx, seeded)
    tokens = (await exchange(ops_client, seeded, code)).json()
    rt = tokens["refresh_token"]
    refresh = {"grant_type": "refresh_token", "refresh_token": rt}
    assert (
        await ops_client.post("/oauth/v1/token", data={**refresh, **seeded.creds()})
    ).status_code == 200
    wrong = {"client_id": seeded.client_id, "client_secret": "not-the-secret"}
    assert (await ops_client.post("/oauth/v1/token", data={**refresh, **wrong})).status_code == 400
    assert (await exchange(ops_client, seeded, code)).status_code == 400  # replayed code
    cc = {"grant_type": "client_credentials", "scope": "oauth", **seeded.creds()}
    assert (await ops_client.post("/oauth/v1/token", data=cc)).status_code == 200
    other = await seed(ctx)  # the replay revoked the first family: delete a fresh token
    fresh = (await exchange(ops_client, other, await mint_code(ctx, other))).json()
    assert (
        await ops_client.delete(f"/oauth/v1/refresh-tokens/{fresh['refresh_token']}")
    ).status_code == 204

    text = await scrape(ops_client)
    grants = "hubauth_grants_issued_total"
    assert value(text, grants, grant_type="authorization_code") == 2
    assert value(text, grants, grant_type="refresh_token") == 1
    assert value(text, grants, grant_type="client_credentials") == 1
    assert value(text, "hubauth_token_refreshes_total", rotated="false") == 1
    assert value(text, "hubauth_client_auth_failures_total", reason="bad_client_secret") == 1
    assert value(text, "hubauth_replays_detected_total", kind="authorization_code") == 1
    assert (
        value(text, "hubauth_revocations_total", event="refresh_token_revoked", via="v1_delete")
        == 1
    )
    assert value(text, "hubauth_audit_events_total", event="code_replay_detected") == 1


async def test_refresh_token_reuse_is_counted_as_a_replay(
    ops_client: httpx.AsyncClient, ctx: Context
) -> None:
    s = await seed(ctx, refresh_policy=RefreshPolicy.ROTATE)
    first = (await exchange(ops_client, s, await mint_code(ctx, s))).json()["refresh_token"]
    refresh = {"grant_type": "refresh_token", "refresh_token": first, **s.creds()}
    rotated = await ops_client.post("/oauth/v1/token", data=refresh)
    assert rotated.json()["refresh_token"] != first
    retried = await ops_client.post("/oauth/v1/token", data=refresh)  # within the grace
    assert retried.status_code == 200
    ctx.clock.advance(ctx.policy.rotation_grace_s + 1)  # type: ignore[attr-defined]
    assert (await ops_client.post("/oauth/v1/token", data=refresh)).status_code == 400
    text = await scrape(ops_client)
    assert value(text, "hubauth_replays_detected_total", kind="refresh_token") == 1
    assert value(text, "hubauth_token_refreshes_total", rotated="true") == 2
    assert value(text, "hubauth_audit_events_total", event="refresh_retried_within_grace") == 1


async def test_database_outages_are_counted(down_client: httpx.AsyncClient) -> None:
    assert (await down_client.get("/oauth/v1/access-tokens/Cabc")).status_code == 503
    assert (await down_client.delete("/oauth/v1/refresh-tokens/na1-x")).status_code == 503
    text = await scrape(down_client)
    assert value(text, "hubauth_store_unavailable_total") == 2


def test_metrics_are_summed_across_worker_processes(
    pg_url: str, live_env: dict[str, str], tmp_path: Path
) -> None:
    metrics_dir = tmp_path / "prom"
    metrics_dir.mkdir()
    env = {**live_env, "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir)}
    server = LiveServer(pg_url, env, workers=2)
    try:
        for _ in range(30):  # a new connection each time, so the kernel spreads them
            assert httpx.get(server.url + "/healthz", timeout=5).status_code == 200
        scrapes = [
            httpx.get(server.url + "/metrics", headers=METRICS_AUTH, timeout=5).text
            for _ in range(6)
        ]
    finally:
        server.stop()
    for text in scrapes:
        assert value(text, "hubauth_http_requests_total", method="GET", route="/healthz",
                     status="200") == 30  # fmt: skip
    writers = {p.name.rsplit("_", 1)[-1] for p in metrics_dir.glob("counter_*.db")}
    assert len(writers) >= 2, f"only one worker process wrote metrics: {writers}"


async def test_methods_outside_http_standard_share_one_label_so_series_stay_bounded(
    ops_client: httpx.AsyncClient,
) -> None:
    for method in ("BREW", "PROPFIND", "X" * 40):
        await ops_client.request(method, "/oauth/v1/token")
    text = await scrape(ops_client)
    route = "/oauth/v1/token"
    assert value(text, "hubauth_http_requests_total", method="other", route=route, status="405")
    assert (
        value(text, "hubauth_http_requests_total", method="other", route=route, status="405") == 3
    )
    assert "BREW" not in text and "PROPFIND" not in text
