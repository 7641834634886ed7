"""Fixtures of the lifecycle suite: a ``ctx`` whose audit events are recorded for the test to
read, and the dedicated PostgreSQL database of the multi-process tests."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from hubauth.core.context import Context
from tests.ops.conftest import live_env, pg_url

__all__ = ["live_env", "pg_url"]


class AuditRecord(list[tuple[str, dict[str, Any]]]):
    def __call__(self, event: str, /, **fields: object) -> None:
        self.append((event, dict(fields)))

    def named(self, event: str) -> list[dict[str, Any]]:
        return [fields for name, fields in self if name == event]


@pytest.fixture
def audit() -> AuditRecord:
    return AuditRecord()


@pytest.fixture
def ctx(ctx: Context, audit: AuditRecord) -> Context:
    """The suite-wide ``ctx`` with its audit events recorded in ``audit``."""
    return dataclasses.replace(ctx, audit=audit)
