"""Fixtures for the v3 suite: the shared ``ctx`` with an audit recorder instead of the null
sink, so tests can assert which security events fired (and that none carries a secret)."""

from __future__ import annotations

from typing import Any

import pytest

from hubauth.core.clock import FrozenClock
from hubauth.core.context import Context, Policy
from hubauth.core.tokens import TokenHasher
from hubauth.store.sql import SqlStore
from tests.support import TEST_KEY

AuditLog = list[tuple[str, dict[str, Any]]]


@pytest.fixture
def audit_log() -> AuditLog:
    return []


@pytest.fixture
def ctx(store: SqlStore, clock: FrozenClock, policy: Policy, audit_log: AuditLog) -> Context:
    def record(event: str, /, **fields: Any) -> None:
        audit_log.append((event, fields))

    return Context(
        store=store,
        clock=clock,
        hasher=TokenHasher(TEST_KEY.encode()),
        policy=policy,
        audit=record,
    )
