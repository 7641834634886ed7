"""Fixtures of the attack suite: the real audit sink (so tests can see security events) and a
capture of every record the ``hubauth`` loggers emit, rendered by the production JSON
formatter (so "no secret in any log line" is checked on the bytes an operator would see)."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterator

import pytest

from hubauth.core.audit import log_audit
from hubauth.core.context import Context
from tests.security.helpers import LogCapture


@pytest.fixture
def ctx(ctx: Context) -> Context:
    """The suite-wide ``ctx``, but audit events go to the ``hubauth.audit`` logger."""
    return dataclasses.replace(ctx, audit=log_audit)


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
