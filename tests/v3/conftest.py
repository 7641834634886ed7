"""Fixtures for the v3 suite: the shared ``ctx`` with an audit recorder instead of the null
sink, so tests can assert which security events fired (and that none carries a secret)."""

from __future__ import annotations

from typing import Any

import pytest

from hubauth.core.clock import FrozenClock
from hubauth.core.context import Context, Policy
from hubauth.core.tokens import TokenHasher
from hubauth.store.sql import SqlStore
from tests import support
from tests.support import TEST_KEY

AuditLog = list[tuple[str, dict[str, Any]]]


@pytest.fixture(autouse=True)
def _users_without_passwords(monkeypatch: pytest.MonkeyPatch) -> None:
    """Seeded users get no sign-in password here: nothing in this suite signs in, and argon2id
    costs ~0.8 s per ``seed()`` on the 2-core CI machine (the suite ran 170 s with it). A user
    without a password hash is a state the CLI creates too (``users create`` without
    ``--password``)."""
    monkeypatch.setattr(support, "hash_password", lambda _password: None)


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
