"""Fixtures of the attack suite: the real audit sink (so tests can see security events) and a
capture of every record the ``hubauth`` loggers emit, rendered by the production JSON
formatter (so "no secret in any log line" is checked on the bytes an operator would see)."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from hubauth.core.audit import log_audit
from hubauth.core.clock import FrozenClock
from hubauth.core.context import Context, Policy
from hubauth.core.tokens import TokenHasher
from hubauth.store.sql import SqlStore
from tests.security.helpers import LogCapture
from tests.support import TEST_KEY


@pytest.fixture
def ctx(store: SqlStore, clock: FrozenClock, policy: Policy) -> Context:
    """As the suite-wide ``ctx``, but audit events go to the ``hubauth.audit`` logger."""
    return Context(
        store=store,
        clock=clock,
        hasher=TokenHasher(TEST_KEY.encode()),
        policy=policy,
        audit=log_audit,
    )


@pytest.fixture
def logs() -> Iterator[LogCapture]:
    """Every record of the ``hubauth`` logger tree at DEBUG, whatever the configured level."""
    capture = LogCapture()
    root = logging.getLogger("hubauth")
    old_level = root.level
    root.addHandler(capture)
    root.setLevel(logging.DEBUG)
    try:
        yield capture
    finally:
        root.removeHandler(capture)
        root.setLevel(old_level)
