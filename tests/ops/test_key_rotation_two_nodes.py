"""A server-key rotation rolled node by node over two ``hubauth serve`` processes on one
PostgreSQL database, as the runbook in docs/operations.md describes it:

1. both nodes on the old key A (``HUBAUTH_SECRET_KEY``, a one-key ring; plus digests stored
   the way the release before the keyring stored them);
2. add the new key B after A (``HUBAUTH_SECRET_KEYS=A,B``), node by node;
3. make B the newest (``B,A``), node by node;
4. once ``keys status`` is read, drop A (``B``, legacy digests off), node by node.

At every step of 1-3, with requests alternating between the nodes, every refresh token, access
token, code, client secret and session made so far keeps working. After step 4 exactly what
still depended on A (or on the legacy scheme) is refused, and everything else works.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field

import httpx
import pytest
from sqlalchemy import Table, select, update

from hubauth.core.audit import null_audit
from hubauth.core.clock import SystemClock
from hubauth.core.context import Context
from hubauth.core.key_status import key_usage
from hubauth.core.keys import Keyring, server_key
from hubauth.core.tokens import TokenHasher
from hubauth.store.schema import access_tokens, apps, refresh_tokens
from hubauth.store.sql import SqlStore
from hubauth.web.session import COOKIE_NAME
from tests.authorize.flow import authorize_url, hidden_fields
from tests.support import TEST_KEY, LiveServer, Seed, mint_code, seed

pytestmark = pytest.mark.slow

KEY_A = TEST_KEY
KEY_B = secrets.token_hex(32)
ID_A = server_key(KEY_A.encode()).key_id
ID_B = server_key(KEY_B.encode()).key_id


@dataclass
class Node:
    env: dict[str, str]
    database_url: str
    ring: str | None = None  # None: HUBAUTH_SECRET_KEY=A, as before the keyring
    server: LiveServer | None = None

    def start(self, ring: str | None, *, legacy: bool = True) -> None:
        self.stop()
        env = dict(self.env)
        if ring is not None:
            env["HUBAUTH_SECRET_KEYS"] = ring
        env["HUBAUTH_ACCEPT_LEGACY_HASHES"] = "true" if legacy else "false"
        # The checks below refuse some requests on purpose; the limiter is not under test.
        env["HUBAUTH_RATE_LIMIT_ENABLED"] = "false"
        self.ring = ring
        self.server = LiveServer(self.database_url, env)

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop()
            self.server = None

    @property
    def url(self) -> str:
        assert self.server is not None
        return self.server.url


@dataclass
class Made:
    """What the nodes handed out, to be checked at every later step."""

    apps: list[Seed] = field(default_factory=list)
    #: (seed, refresh token) used with a grant at every step (re-hashed on use)
    active_refresh: list[tuple[Seed, str]] = field(default_factory=list)
    #: (seed, refresh token) only ever read (GET metadata: never re-hashed)
    idle_refresh: list[tuple[Seed, str]] = field(default_factory=list)
    access: list[str] = field(default_factory=list)
    #: (session cookie, flow id)
    sessions: list[tuple[str, str]] = field(default_factory=list)


@pytest.fixture
def nodes(pg_url: str, live_env: dict[str, str]) -> Iterator[tuple[Node, Node]]:
    a, b = Node(live_env, pg_url), Node(live_env, pg_url)
    try:
        a.start(None)
        b.start(None)
        yield a, b
    finally:
        a.stop()
        b.stop()


@pytest.fixture
async def pg_store(pg_url: str) -> AsyncIterator[SqlStore]:
    store = SqlStore.from_url(pg_url, pool_size=2)
    yield store
    await store.close()


def ctx_for(store: SqlStore, ring: str | None, *, legacy: bool = True) -> Context:
    keys = [server_key(k.encode()) for k in (ring or KEY_A).split(",")]
    hasher = TokenHasher(Keyring(keys, accept_legacy=legacy))
    return Context(store, SystemClock(), hasher, audit=null_audit)


def exchange(http: httpx.Client, node: Node, s: Seed, code: str) -> tuple[str, str]:
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": s.redirect_uri}
    r = http.post(node.url + "/oauth/v1/token", data={**form, **s.creds()})
    assert r.status_code == 200, r.text
    return r.json()["refresh_token"], r.json()["access_token"]


def open_session(http: httpx.Client, node: Node, s: Seed) -> tuple[str, str]:
    # A browser of its own (no cookie jar shared with other sessions: every node is 127.0.0.1).
    r = httpx.get(node.url + authorize_url(s), timeout=15)
    assert r.status_code == 200, r.text
    return r.cookies[COOKIE_NAME], hidden_fields(r.text)["flow"]


def session_works(http: httpx.Client, node: Node, cookie: str, flow: str) -> bool:
    r = httpx.get(
        f"{node.url}/oauth/authorize/continue",
        params={"flow": flow},
        headers={"cookie": f"{COOKIE_NAME}={cookie}"},
        timeout=15,
    )
    assert r.status_code in (200, 400), r.text
    return r.status_code == 200


def refresh_works(http: httpx.Client, node: Node, s: Seed, rt: str) -> bool:
    form = {"grant_type": "refresh_token", "refresh_token": rt, **s.creds()}
    r = http.post(node.url + "/oauth/v1/token", data=form)
    assert r.status_code in (200, 400, 401), r.text
    return r.status_code == 200


def get_works(http: httpx.Client, node: Node, kind: str, token: str) -> bool:
    r = http.get(f"{node.url}/oauth/v1/{kind}/{token}")
    assert r.status_code in (200, 401, 404), r.text  # access tokens: 401, as HubSpot
    return r.status_code == 200


def client_auth_works(http: httpx.Client, node: Node, s: Seed) -> bool:
    """A refresh with an unknown token: BAD_REFRESH_TOKEN once the client is authenticated,
    BAD_CLIENT_SECRET if its secret's digest cannot be verified."""
    form = {"grant_type": "refresh_token", "refresh_token": "na1-not-a-token", **s.creds()}
    status = http.post(node.url + "/oauth/v1/token", data=form).json()["status"]
    assert status in ("BAD_REFRESH_TOKEN", "BAD_CLIENT_SECRET"), status
    return status == "BAD_REFRESH_TOKEN"


def check_everything(http: httpx.Client, nodes: tuple[Node, Node], made: Made) -> None:
    """Every artefact on alternating nodes; each must work."""
    turn = 0

    def node() -> Node:
        nonlocal turn
        turn += 1
        return nodes[turn % 2]

    for s in made.apps:
        assert client_auth_works(http, node(), s), s.client_id
    for s, rt in made.active_refresh:
        assert refresh_works(http, node(), s, rt)
    for _, rt in made.idle_refresh:
        assert get_works(http, node(), "refresh-tokens", rt)
    for at in made.access:
        assert get_works(http, node(), "access-tokens", at)
    for cookie, flow in made.sessions:
        assert session_works(http, node(), cookie, flow)


async def make_legacy(store: SqlStore, s: Seed, rt: str, at: str) -> None:
    """Store an app's secret and a token pair as the release before the keyring did: raw
    HMAC-SHA256 under the server key, no key id."""

    def raw(value: str) -> bytes:
        return hmac.digest(KEY_A.encode(), value.encode(), "sha256")

    derived = ctx_for(store, None).hasher
    async with store.engine.begin() as conn:
        await conn.execute(
            update(apps)
            .where(apps.c.app_id == s.app_id)
            .values(client_secret_hash=raw(s.client_secret), key_id=None)
        )
        for table, value in ((refresh_tokens, rt), (access_tokens, at)):
            await conn.execute(
                update(table)
                .where(table.c.token_hash == derived.hash(value))
                .values(token_hash=raw(value), key_id=None)
            )


async def stored_key(store: SqlStore, table: Table, candidates: tuple[bytes, ...]) -> str | None:
    """The key id stored beside a token's digest (None: legacy)."""
    c = table.c
    async with store.engine.connect() as conn:
        found = await conn.execute(select(c.key_id).where(c.token_hash.in_(candidates)))
        return found.scalar_one()


async def test_rotation_rolled_node_by_node_breaks_nothing_and_dropping_breaks_exactly_the_rest(
    nodes: tuple[Node, Node], pg_store: SqlStore
) -> None:
    n1, n2 = nodes
    made = Made()
    pending_codes: list[tuple[Seed, str]] = []
    with httpx.Client(timeout=15) as http:
        # Step 1: both on A. One app as today's code stores it (legacy digests), one not.
        ctx = ctx_for(pg_store, None)
        legacy_app, app = await seed(ctx), await seed(ctx)
        made.apps += [legacy_app, app]
        rt, at = exchange(http, n1, legacy_app, await mint_code(ctx, legacy_app))
        await make_legacy(pg_store, legacy_app, rt, at)
        made.active_refresh.append((legacy_app, rt))
        made.access.append(at)
        rt, at = exchange(http, n2, legacy_app, await mint_code(ctx, legacy_app))
        await make_legacy(pg_store, legacy_app, rt, at)
        made.idle_refresh.append((legacy_app, rt))
        made.access.append(at)
        check_everything(http, nodes, made)

        rolls = [(n1, f"{KEY_A},{KEY_B}"), (n2, f"{KEY_A},{KEY_B}")]
        rolls += [(n1, f"{KEY_B},{KEY_A}"), (n2, f"{KEY_B},{KEY_A}")]
        for step, (node, keys) in enumerate(rolls):
            # What each node hands out before the next node restarts...
            for issuer in (n1, n2):
                issuing = ctx_for(pg_store, issuer.ring)
                rt, at = exchange(http, issuer, app, await mint_code(issuing, app))
                made.active_refresh.append((app, rt))
                made.access.append(at)
                rt, at = exchange(http, issuer, app, await mint_code(issuing, app))
                made.idle_refresh.append((app, rt))
                made.access.append(at)
                made.sessions.append(open_session(http, issuer, app))
                pending_codes.append((app, await mint_code(issuing, app)))
            node.start(keys)
            # ...and everything made so far works on both nodes, alternating.
            check_everything(http, nodes, made)
            for i, (s, code) in enumerate(pending_codes):
                made.access.append(exchange(http, nodes[(step + i) % 2], s, code)[1])
            pending_codes.clear()

        # Codes and sessions made under A (by n2 before its last restart) and under B.
        code_a = (app, await mint_code(ctx_for(pg_store, f"{KEY_A},{KEY_B}"), app))
        code_b = (app, await mint_code(ctx_for(pg_store, n1.ring), app))
        session_b = open_session(http, n1, app)
        session_a = made.sessions[-1]  # opened by n2 while it was on A,B
        # The operator's view before dropping A.
        usage = {u.key_id: u for u in await key_usage(ctx_for(pg_store, n1.ring))}
        assert usage[ID_B].counts["refresh_tokens"] > 0
        assert usage[ID_A].counts["refresh_tokens"] > 0  # the idle ones
        expected: dict[str, bool] = {}
        for _, rt in made.active_refresh + made.idle_refresh:
            candidates = ctx_for(pg_store, n1.ring).hasher.candidates(rt)
            expected[rt] = await stored_key(pg_store, refresh_tokens, candidates) == ID_B
        for at in made.access:
            candidates = ctx_for(pg_store, n1.ring).hasher.candidates(at)
            expected[at] = await stored_key(pg_store, access_tokens, candidates) == ID_B
        assert any(expected.values()) and not all(expected.values())

        # Step 4: drop A and the legacy scheme, node by node.
        n1.start(KEY_B, legacy=False)
        n2.start(KEY_B, legacy=False)
        for _, rt in made.active_refresh + made.idle_refresh:
            assert get_works(http, n1, "refresh-tokens", rt) is expected[rt]
        for at in made.access:
            assert get_works(http, n2, "access-tokens", at) is expected[at]
        # Both apps' secrets were used on a B-first node: re-hashed, they still work.
        assert client_auth_works(http, n1, legacy_app) and client_auth_works(http, n2, app)
        form = {"grant_type": "authorization_code", "redirect_uri": app.redirect_uri}
        for (s, code), works in ((code_a, False), (code_b, True)):
            r = http.post(n1.url + "/oauth/v1/token", data={**form, "code": code, **s.creds()})
            assert (r.status_code == 200) is works, r.text
        assert session_works(http, n2, *session_b)
        assert not session_works(http, n2, *session_a)
