"""Structured logs: one JSON access event per request, audit events, and never a secret value
(tokens, codes, client secrets, passwords), including the token path segment of v1 routes."""

from __future__ import annotations

import logging

import httpx
import orjson
import pytest

from hubauth.core.context import Context
from hubauth.logs import JsonFormatter
from hubauth.web.session import COOKIE_NAME
from tests.authorize.flow import authorize_url, location_params, start
from tests.support import LiveServer, Seed, mint_code


async def test_each_request_gets_one_access_event_with_template_and_fingerprint(
    ops_client: httpx.AsyncClient, ctx: Context, seeded: Seed, caplog: pytest.LogCaptureFixture
) -> None:
    code = await mint_code(ctx, seeded)
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": seeded.redirect_uri}
    tokens = (await ops_client.post("/oauth/v1/token", data={**form, **seeded.creds()})).json()
    caplog.clear()
    with caplog.at_level(logging.DEBUG, logger="hubauth"):
        response = await ops_client.get(f"/oauth/v1/refresh-tokens/{tokens['refresh_token']}")
    events = [r for r in caplog.records if r.name == "hubauth.access"]
    assert len(events) == 1
    access = events[0].access  # type: ignore[attr-defined]
    assert access["method"] == "GET"
    assert access["route"] == "/oauth/v1/refresh-tokens/{token}"
    assert access["status"] == 200
    assert access["request_id"] == response.headers["x-request-id"]
    assert access["client"] == "127.0.0.1"
    assert access["duration_ms"] >= 0
    assert access["token_fp"] == ctx.hasher.fingerprint(tokens["refresh_token"])
    line = JsonFormatter().format(events[0])
    assert orjson.loads(line)["access"]["route"] == "/oauth/v1/refresh-tokens/{token}"
    assert tokens["refresh_token"] not in line


async def test_probe_requests_are_logged_at_debug_only(
    ops_client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="hubauth"):
        await ops_client.get("/healthz")
        await ops_client.get("/oauth/v1/access-tokens/Cnope")
    routes = [r.access["route"] for r in caplog.records if r.name == "hubauth.access"]  # type: ignore[attr-defined]
    assert routes == ["/oauth/v1/access-tokens/{token}"]


async def test_no_secret_value_reaches_the_logs_during_a_full_lifecycle(
    database_url: str, server_env: dict[str, str], ctx: Context, seeded: Seed
) -> None:
    """A real ``hubauth serve`` at DEBUG level, installed through the sign-in and consent
    pages (a wrong password first), then the v1 lifecycle; everything it writes is searched."""
    env = {**server_env, "HUBAUTH_LOG_LEVEL": "debug", "HUBAUTH_LOG_FORMAT": "json"}
    redirect, password = seeded.redirect_uri, seeded.password
    wrong_password = "not-" + password
    secret, wrong_secret = seeded.client_secret, "d1f1e7c2-0000-4000-8000-wrongsecret0"
    creds = seeded.creds()
    server = LiveServer(database_url, env)
    sent: list[httpx.Response] = []

    async def keep(response: httpx.Response) -> None:
        sent.append(response)

    try:
        async with httpx.AsyncClient(
            base_url=server.url, timeout=10, event_hooks={"response": [keep]}
        ) as browser:
            flow = await start(browser, authorize_url(seeded))
            assert (await flow.sign_in(seeded.email, wrong_password)).status_code == 422
            assert "Connect app" in (await flow.sign_in(seeded.email, password)).text
            approved = await flow.decide("approve")
            code = location_params(approved)["code"]
            session_cookie = str(browser.cookies.get(COOKIE_NAME))
            csrf_token = flow.fields["csrf_token"]
        hooks = {"response": [sent.append]}
        with httpx.Client(base_url=server.url, timeout=10, event_hooks=hooks) as http:
            exchange = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect}
            r = http.post("/oauth/v1/token", data={**exchange, **creds})
            assert r.status_code == 200, r.text
            at, rt = r.json()["access_token"], r.json()["refresh_token"]
            refresh = {"grant_type": "refresh_token", "refresh_token": rt}
            at2 = http.post("/oauth/v1/token", data={**refresh, **creds}).json()["access_token"]
            assert http.get(f"/oauth/v1/access-tokens/{at}").status_code == 200
            assert http.get(f"/oauth/v1/refresh-tokens/{rt}").status_code == 200
            bad = {**refresh, "client_id": creds["client_id"], "client_secret": wrong_secret}
            assert http.post("/oauth/v1/token", data=bad).status_code == 400
            # HubSpot's v1 also takes the secret and refresh token in the query string.
            query = {"client_secret": wrong_secret, "refresh_token": rt}
            form = {"grant_type": "refresh_token", "client_id": creds["client_id"]}
            assert http.post("/oauth/v1/token", params=query, data=form).status_code == 400
            assert http.delete(f"/oauth/v1/refresh-tokens/{rt}").status_code == 204
            assert http.get(f"/oauth/v1/refresh-tokens/{rt}").status_code == 404
            assert http.post("/oauth/v1/token", data={**exchange, **creds}).status_code == 400
    finally:
        output = server.stop()

    secrets_seen = {
        "access token": at,
        "second access token": at2,
        "refresh token": rt,
        "authorization code": code,
        "client secret": secret,
        "wrong client secret": wrong_secret,
        "password": password,
        "wrong password": wrong_password,
        "session cookie": session_cookie,
        "CSRF token": csrf_token,
    }
    for what, value in secrets_seen.items():
        assert value not in output, f"the {what} appears in the server's logs"
        assert value[4:16] not in output, f"part of the {what} appears in the server's logs"

    events = [orjson.loads(line) for line in output.splitlines() if line.startswith("{")]
    access = [e["access"] for e in events if e.get("logger") == "hubauth.access"]
    assert len(sent) == 5 + 9  # install pages, then the v1 lifecycle
    for response in sent:
        mine = [a for a in access if a["request_id"] == response.headers["x-request-id"]]
        assert len(mine) == 1, f"{response.request.method} {response.status_code}: {mine}"
        assert mine[0]["status"] == response.status_code
        assert mine[0]["method"] == response.request.method
        assert mine[0]["client"] == "127.0.0.1"
        assert mine[0]["route"] == response.request.url.path or "{" in mine[0]["route"]
        assert ("token_fp" in mine[0]) == ("{token}" in mine[0]["route"])
    audit = [e["audit"]["event"] for e in events if e.get("logger") == "hubauth.audit"]
    for expected in ("grant_issued", "token_refreshed", "client_auth_failed",
                     "refresh_token_revoked", "code_replay_detected"):  # fmt: skip
        assert expected in audit
