"""The shared token stores: the lease protocol on every backend, and 4 processes sharing one
install that refresh exactly once per expiry (against the real testing server, with refresh
token rotation on, so a duplicate refresh would also be caught as reuse by the server)."""

from __future__ import annotations

import multiprocessing
import secrets
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from hubauth.client import TokenSet
from hubauth.testing import HubAuthServer
from tests.devtools.conftest import token_set
from tests.devtools.workers import SharedClock, StoreSpec, WorkerJob, worker

TOKENS = TokenSet("access-1", "refresh-1", issued_at_ms=0, expires_at_ms=1_800_000, hub_id=7)
NEWER = TokenSet("access-2", "refresh-2", issued_at_ms=1, expires_at_ms=1_800_001, hub_id=7)


def test_put_and_load_round_trip_with_versions(store_spec: StoreSpec) -> None:
    store = store_spec.open()
    key = secrets.token_hex(4)
    try:
        assert store.load(key) is None
        first = store.put(key, TOKENS)
        loaded = store.load(key)
        assert loaded is not None
        assert loaded.tokens == TOKENS
        assert loaded.version == first.version
        assert store.put(key, NEWER).version == first.version + 1
        store.delete(key)
        assert store.load(key) is None
    finally:
        store.close()


def test_only_one_lease_per_version_and_commit_moves_the_version(store_spec: StoreSpec) -> None:
    store = store_spec.open()
    key = secrets.token_hex(4)
    try:
        version = store.put(key, TOKENS).version
        assert store.try_lease(key, version, "a", 30)
        assert not store.try_lease(key, version, "b", 30)  # held
        assert not store.try_lease(key, version + 1, "b", 30)  # no such version
        assert store.commit(key, version, NEWER)
        assert not store.commit(key, version, TOKENS)  # a late second commit loses
        state = store.load(key)
        assert state is not None
        assert (state.tokens, state.version) == (NEWER, version + 1)
        assert not store.try_lease(key, version, "b", 30)  # the old expiry was handled
        assert store.try_lease(key, version + 1, "b", 30)  # the next one is free
    finally:
        store.close()


def test_release_records_failures_and_frees_the_lease(store_spec: StoreSpec) -> None:
    store = store_spec.open()
    key = secrets.token_hex(4)
    try:
        version = store.put(key, TOKENS).version
        assert store.try_lease(key, version, "a", 30)
        store.release(key, version, "someone-else", reconnect_reason="ignored")
        assert not store.try_lease(key, version, "b", 30)  # a stranger cannot release
        store.release(key, version, "a", retry_not_before_ms=5_000)
        state = store.load(key)
        assert state is not None
        assert (state.retry_not_before_ms, state.reconnect_reason) == (5_000, None)
        assert store.try_lease(key, version, "b", 30)
        store.release(key, version, "b", reconnect_reason="BAD_HUB: gone")
        state = store.load(key)
        assert state is not None
        assert state.reconnect_reason == "BAD_HUB: gone"
        cleared = store.put(key, NEWER)  # the user reconnected
        assert (cleared.reconnect_reason, cleared.retry_not_before_ms) == (None, 0)
        reloaded = store.load(key)
        assert reloaded is not None and reloaded.reconnect_reason is None
    finally:
        store.close()


def test_an_abandoned_lease_expires(store_spec: StoreSpec) -> None:
    store = store_spec.open()
    key = secrets.token_hex(4)
    try:
        version = store.put(key, TOKENS).version
        assert store.try_lease(key, version, "crashed", 0.05)
        time.sleep(0.1)
        assert store.try_lease(key, version, "survivor", 30)
    finally:
        store.close()


# --- four processes, one install ---------------------------------------------------------------

PROCESSES = 4
ROUNDS = 3
THREADS_PER_PROCESS = 5


@pytest.mark.parametrize("kind", ["sqlite", "postgres", "redis"])
def test_four_processes_refresh_once_per_expiry(
    kind: str, store_spec_for: Callable[[str], StoreSpec], hubauth_server_factory: Any
) -> None:
    store_spec = store_spec_for(kind)
    spawn = multiprocessing.get_context("spawn")  # the server's thread must not be forked
    clock = SharedClock(spawn.Value("q", 0))
    server: HubAuthServer = hubauth_server_factory(clock=clock, refresh_policy="rotate")
    key = f"hub:{server.hub_id}"
    store = store_spec.open()
    store.put(key, token_set(server))
    barrier = spawn.Barrier(PROCESSES + 1)
    results = spawn.Queue()
    job = WorkerJob(
        store_spec,
        key,
        server.client_id,
        server.client_secret,
        server.base_url,
        ROUNDS,
        THREADS_PER_PROCESS,
    )
    procs = [
        spawn.Process(target=worker, args=(job, clock, barrier, results)) for _ in range(PROCESSES)
    ]
    for proc in procs:
        proc.start()
    try:
        for round_no in range(ROUNDS):
            clock.advance(1800)
            before = server.refresh_count
            barrier.wait(60)
            reports = [results.get(timeout=60) for _ in procs]
            assert all(r[0] == round_no for r in reports), reports
            assert all(len(r[2]) == 1 for r in reports), "a process saw two different tokens"
            assert len({r[2][0] for r in reports}) == 1, "processes disagree on the token"
            assert server.refresh_count - before == 1
        assert sum(r[3] for r in reports) == ROUNDS  # cumulative refreshes of all workers
    finally:
        for proc in procs:
            proc.join(30)
            if proc.is_alive():
                proc.kill()
    assert all(proc.exitcode == 0 for proc in procs)
    # The rotated chain is intact: the stored refresh token is the server's live one.
    state = store.load(key)
    store.close()
    assert state is not None
    meta = f"{server.base_url}/oauth/v1/refresh-tokens/{state.tokens.refresh_token}"
    assert httpx.get(meta).status_code == 200
