"""Audit events: installs, grants, refreshes, revocations, replays, failed client auth.

Events are structured records; the sink decides where they go (JSON-lines log by default).
Callers pass identifiers and fingerprints only, never token, code or secret values.
"""

from __future__ import annotations

import logging
from typing import Protocol

from hubauth.logs import log_event

_log = logging.getLogger("hubauth.audit")


class AuditSink(Protocol):
    def __call__(self, event: str, /, **fields: object) -> None: ...


def log_audit(event: str, /, **fields: object) -> None:
    """The default sink: one log record per event, fields attached for the JSON formatter."""
    log_event(_log, logging.INFO, event, {"audit": {"event": event, **fields}})


def null_audit(event: str, /, **fields: object) -> None:
    return None


def fan_out(*sinks: AuditSink) -> AuditSink:
    """One sink that hands every event to each of ``sinks`` (e.g. the log and the metrics).

    A failing sink is logged and skipped: observing an event must never fail the grant or
    revocation that emitted it.
    """

    def emit(event: str, /, **fields: object) -> None:
        for sink in sinks:
            try:
                sink(event, **fields)
            except Exception:
                logging.getLogger("hubauth").exception("audit sink failed on %s", event)

    return emit
