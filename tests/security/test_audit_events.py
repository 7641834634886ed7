"""Audit events: installs, grants, refreshes, revocations, replay detections, refused grants,
failed client authentications and rate limiting each emit one structured JSON line on the
``hubauth.audit`` logger, carrying identifiers only (never a token, code or secret)."""

from __future__ import annotations

import asyncio

import httpx
import orjson
import pytest
from click.testing import CliRunner

from hubauth.cli.main import cli
from hubauth.core import grants, pkce
from hubauth.core.audit import log_audit
from hubauth.core.clock import SystemClock
from hubauth.core.context import Context
from hubauth.core.models import RefreshPolicy
from hubauth.core.tokens import TokenHasher
from hubauth.store.sql import SqlStore
from tests.security.helpers import TOKEN, LogCapture, code_form, exchange, issue, refresh
from tests.support import TEST_KEY, mint_code, seed

EXPECTED_EVENTS = {
    "install_approved",
    "grant_issued",
    "token_refreshed",
    "refresh_token_revoked",
    "code_replay_detected",
    "refresh_reuse_detected",
    "refresh_retried_within_grace",
    "client_auth_failed",
    "grant_refused",
}


def audit_lines(logs: LogCapture) -> list[dict[str, object]]:
    out = []
    for line in logs.lines:
        entry = orjson.loads(line)  # every line is one JSON object
        if entry["logger"] == "hubauth.audit":
            out.append(entry)
    return out


async def test_security_relevant_actions_emit_structured_audit_events(
    client: httpx.AsyncClient, ctx: Context, logs: LogCapture
) -> None:
    s = await seed(ctx, refresh_policy=RefreshPolicy.ROTATE)
    secrets_seen = {s.client_secret}

    code = await mint_code(ctx, s)  # install_approved
    secrets_seen.add(code)
    first = (await exchange(client, s, code)).json()  # grant_issued
    secrets_seen.update((first["access_token"], first["refresh_token"]))
    await exchange(client, s, code)  # code_replay_detected

    second = await issue(client, ctx, s)
    rotated = (await refresh(client, s, second["refresh_token"])).json()  # token_refreshed
    await refresh(client, s, second["refresh_token"])  # refresh_retried_within_grace
    ctx.clock.advance(ctx.policy.rotation_grace_s + 1)  # type: ignore[attr-defined]
    await refresh(client, s, second["refresh_token"])  # refresh_reuse_detected
    secrets_seen.update((second["refresh_token"], rotated["refresh_token"]))

    third = await issue(client, ctx, s)
    await client.delete(f"/oauth/v1/refresh-tokens/{third['refresh_token']}")  # revoked
    secrets_seen.add(third["refresh_token"])

    bad = await mint_code(ctx, s, code_challenge=pkce.s256("v" * 43))
    await exchange(client, s, bad, code_verifier="w" * 43)  # grant_refused (pkce)
    await client.post(TOKEN, data=code_form(s, bad, client_secret="nope"))  # client_auth_failed

    entries = audit_lines(logs)
    names = {str(e["msg"]) for e in entries}
    assert names >= EXPECTED_EVENTS, EXPECTED_EVENTS - names
    for entry in entries:
        audit = entry["audit"]
        assert isinstance(audit, dict) and audit["event"] == entry["msg"]
        assert entry["level"] == "info" and entry["ts"]
        line = orjson.dumps(entry).decode()
        for secret in secrets_seen:
            assert secret not in line

    by_name = {str(e["msg"]): e["audit"] for e in entries}
    assert by_name["grant_refused"]["reason"] == "pkce_verifier_mismatch"  # type: ignore[index]
    assert by_name["client_auth_failed"]["reason"] == "bad_client_secret"  # type: ignore[index]
    assert by_name["install_approved"]["app_id"] == s.app_id  # type: ignore[index]


async def test_cross_client_attempt_is_audited_with_both_app_ids(
    client: httpx.AsyncClient, ctx: Context, logs: LogCapture
) -> None:
    owner, thief = await seed(ctx), await seed(ctx)
    tokens = await issue(client, ctx, owner)
    await refresh(client, thief, tokens["refresh_token"])
    [event] = logs.events("grant_refused")
    assert event == {
        "event": "grant_refused",
        "reason": "foreign_refresh_token",
        "app_id": thief.app_id,
        "owner_app_id": owner.app_id,
    }


@pytest.mark.parametrize("kind", ["refresh_token", "access_token"])
def test_cli_revocation_is_audited(
    database_url: str, logs: LogCapture, monkeypatch: pytest.MonkeyPatch, kind: str
) -> None:

    async def mint() -> str:
        store = SqlStore.from_url(database_url, pool_size=1)
        try:
            c = Context(store, SystemClock(), TokenHasher(TEST_KEY.encode()), audit=log_audit)
            s = await seed(c)
            app = await store.find_app(s.app_id)
            assert app is not None
            issued = await grants.authorization_code(c, app, await mint_code(c, s), s.redirect_uri)
            return issued.refresh_token if kind == "refresh_token" else issued.access_token  # type: ignore[return-value]
        finally:
            await store.close()

    token = asyncio.run(mint())
    monkeypatch.setenv("HUBAUTH_SECRET_KEY", TEST_KEY)
    result = CliRunner().invoke(cli, ["tokens", "revoke", token, "--database", database_url])
    assert result.exit_code == 0, result.output
    [event] = logs.events("token_revoked")
    assert event["via"] == "cli" and event["kind"] == kind
    assert token not in logs.text()
