"""Logging set-up: JSON lines (default) or plain text.

Nothing hubauth logs carries a token, code, secret or password value: call sites pass ids and
fingerprints only, and the access log masks the token path segment of the v1 routes.
"""

from __future__ import annotations

import logging
import sys
from datetime import UTC, datetime
from typing import Any

import orjson

_RESERVED = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for key, value in record.__dict__.items():
            if key not in _RESERVED and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return orjson.dumps(entry, default=str).decode()


def configure_logging(level: str = "info", fmt: str = "json") -> None:
    handler = logging.StreamHandler(sys.stderr)
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    root = logging.getLogger("hubauth")
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    root.propagate = False


def granian_log_config(fmt: str = "json") -> dict[str, Any]:
    """``logging.config`` dict for granian's own loggers, so its start/stop lines share our
    format and stream (stderr). Granian's access log stays off (``log_access=False`` in
    ``hubauth serve``): it would write the raw path, and the v1 paths carry tokens."""
    formatter: dict[str, Any] = (
        {"()": "hubauth.logs.JsonFormatter"}
        if fmt == "json"
        else {"()": "logging.Formatter", "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s"}
    )
    handler = {
        "class": "logging.StreamHandler",
        "formatter": "hubauth",
        "stream": "ext://sys.stderr",
    }
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"hubauth": formatter},
        "handlers": {"stderr": handler},
        "loggers": {
            "_granian": {"handlers": ["stderr"], "level": "INFO", "propagate": False},
            "granian.access": {"handlers": ["stderr"], "level": "INFO", "propagate": False},
        },
    }
