"""Code the multi-process tests run in spawned child processes (importable by name), and a
clock whose offset lives in shared memory so the server and every worker agree on "now"."""

from __future__ import annotations

import os
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from multiprocessing.queues import Queue
from multiprocessing.sharedctypes import Synchronized
from multiprocessing.synchronize import Barrier

from hubauth.client import MemoryTokenStore, TokenManager, TokenStore


class SharedClock:
    """Real time plus an offset in shared memory: ``advance`` in the parent moves every
    process's clock (the testing server reads it too, through the core's clock seam)."""

    def __init__(self, offset_ms: Synchronized[int]) -> None:
        self._offset = offset_ms

    def now_ms(self) -> int:
        return time.time_ns() // 1_000_000 + self._offset.value

    def advance(self, seconds: float) -> None:
        with self._offset.get_lock():
            self._offset.value += round(seconds * 1000)


@dataclass(frozen=True)
class StoreSpec:
    """How to open a store in any process (store objects hold connections; specs pickle)."""

    kind: str
    url: str
    table: str = "hubauth_client_tokens"
    prefix: str = "hubauth:tokens:"

    def open(self) -> TokenStore:
        if self.kind == "sqlite":
            from hubauth.client.stores.sqlite import SqliteTokenStore

            return SqliteTokenStore(self.url, table=self.table)
        if self.kind == "postgres":
            from hubauth.client.stores.postgres import PostgresTokenStore

            return PostgresTokenStore(self.url, table=self.table)
        if self.kind == "redis":
            from hubauth.client.stores.redis import RedisTokenStore

            return RedisTokenStore(self.url, prefix=self.prefix)
        return MemoryTokenStore()


@dataclass(frozen=True)
class WorkerJob:
    spec: StoreSpec
    key: str
    client_id: str
    client_secret: str
    base_url: str
    rounds: int
    threads: int


def worker(job: WorkerJob, clock: SharedClock, barrier: Barrier, results: Queue) -> None:
    """Each round: wait for the parent to move the clock past expiry, then have ``threads``
    threads ask for a token at once; report the tokens seen and the refreshes done here."""
    store = job.spec.open()
    manager = TokenManager(
        job.client_id,
        job.client_secret,
        base_url=job.base_url,
        store=store,
        key=job.key,
        clock=clock,
    )
    try:
        with ThreadPoolExecutor(job.threads) as pool:
            for round_no in range(job.rounds):
                barrier.wait(60)
                seen = set(pool.map(lambda _: manager.get_access_token(), range(job.threads)))
                results.put((round_no, os.getpid(), sorted(seen), manager.refreshes))
    except BaseException as exc:
        results.put(("error", os.getpid(), repr(exc), -1))
        raise
    finally:
        manager.close()
        store.close()
