"""Logging set-up: JSON lines (default) or plain text.

Nothing hubauth logs carries a token, code, secret or password value: call sites pass ids and
fingerprints only, and the access log masks the token path segment of the v1 routes.
"""

from __future__ import annotations

import asyncio
import logging
import sys
import time
from collections.abc import Mapping
from typing import Any

import orjson

_RESERVED = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    """One JSON object per record: ts, level, logger, msg, then every ``extra`` field.

    Formats one line per request on the hot path, so the timestamp's seconds part is cached
    (``time.strftime`` once a second instead of a ``datetime`` per record)."""

    _second: tuple[int, str] = (-1, "")

    def _timestamp(self, created: float) -> str:
        second = int(created)
        cached, prefix = self._second
        if cached != second:
            prefix = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second))
            self._second = (second, prefix)  # one assignment: safe if handlers share us
        return f"{prefix}.{int((created - second) * 1000):03d}+00:00"

    def render(
        self, name: str, level: int, msg: str, extra: Mapping[str, object], created: float
    ) -> str:
        """The line :meth:`format` would produce for such a record, without the record."""
        entry: dict[str, Any] = {
            "ts": self._timestamp(created),
            "level": logging.getLevelName(level).lower(),
            "logger": name,
            "msg": msg,
            **extra,
        }
        return orjson.dumps(entry, default=str).decode()

    def format(self, record: logging.LogRecord) -> str:
        fields = record.__dict__
        extra = {k: fields[k] for k in sorted(fields.keys() - _RESERVED) if not k.startswith("_")}
        if record.exc_info:
            extra["exc"] = self.formatException(record.exc_info)
        return self.render(record.name, record.levelno, record.getMessage(), extra, record.created)


class LineHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """hubauth's handler (``configure_logging``): one line per record, written at once, so a
    crash loses nothing already logged; :func:`log_event` hands it pre-rendered lines.

    The exception is lines written with ``batch=True`` (the per-request access lines) from a
    thread running an event loop: they are held for at most :attr:`BATCH_S` and written
    together, or sooner with the next line that is not batched (so the order of lines never
    changes). Each write hands the GIL to the server's I/O thread, and winning it back cost
    more than the rest of the request's logging (docs/performance.md). A hard kill loses at
    most the last ``BATCH_S`` of access lines; audit lines and everything else are never held.
    """

    BATCH_S = 0.05

    def __init__(self, stream: Any = None) -> None:
        super().__init__(stream)
        self._held: list[str] = []
        # The loop whose timer will write the held lines. Never cancelled (a timer may only be
        # touched from its loop's thread, and other threads log too): when it fires with
        # nothing held it does nothing.
        self._timer_loop: asyncio.AbstractEventLoop | None = None

    def write_line(self, line: str, *, batch: bool = False) -> None:
        with self.lock:  # type: ignore[union-attr]
            if batch:
                try:
                    loop = asyncio.get_running_loop()
                except RuntimeError:
                    loop = None
                if loop is not None:
                    self._held.append(line + self.terminator)
                    if self._timer_loop is not loop:
                        self._timer_loop = loop
                        loop.call_later(self.BATCH_S, self._on_timer, loop)
                    return
            self._write(line + self.terminator)

    def _on_timer(self, loop: asyncio.AbstractEventLoop) -> None:
        with self.lock:  # type: ignore[union-attr]
            if self._timer_loop is loop:
                self._timer_loop = None
            self.flush()

    def emit(self, record: logging.LogRecord) -> None:
        try:
            line = self.format(record)
        except Exception:
            self.handleError(record)
            return
        self.write_line(line)

    def _write(self, text: str) -> None:
        held = self._held
        if held:
            text = "".join(held) + text
            held.clear()
        self.stream.write(text)
        super().flush()

    def flush(self) -> None:
        with self.lock:  # type: ignore[union-attr]
            if self._held:
                self._write("")
            else:
                super().flush()


def _direct_handlers(logger: logging.Logger, level: int) -> list[LineHandler] | None:
    """The handlers a record would reach if every one is a :class:`LineHandler` with a JSON
    formatter, no filters and a low enough level; otherwise None (use the logging machinery)."""
    found: list[LineHandler] = []
    current: logging.Logger | None = logger
    while current is not None:
        if current.filters:
            return None
        for handler in current.handlers:
            if not (
                type(handler) is LineHandler
                and isinstance(handler.formatter, JsonFormatter)
                and not handler.filters
            ):
                return None
            if level >= handler.level:
                found.append(handler)
        current = current.parent if current.propagate else None
    return found


def log_event(
    logger: logging.Logger,
    level: int,
    msg: str,
    extra: Mapping[str, object],
    *,
    batch: bool = False,
) -> None:
    """``logger.log(level, msg, extra=extra)``, cheaply: this runs once per request.

    ``Logger.log`` walks the stack for the caller's file and line (no hubauth format prints
    them) and builds a ``LogRecord``; when only hubauth's own JSON handlers would see the
    record, the line is rendered and written directly instead. Anything else on the way
    (filters, other handlers such as pytest's ``caplog``) gets a real record, minus the walk.
    ``batch`` lets :class:`LineHandler` hold the line briefly (access lines only).
    """
    if not logger.isEnabledFor(level):
        return
    handlers = _direct_handlers(logger, level)
    if handlers is None:
        logger.handle(logger.makeRecord(logger.name, level, "", 0, msg, (), None, None, extra))
        return
    created = time.time()
    for handler in handlers:
        formatter = handler.formatter
        assert isinstance(formatter, JsonFormatter)
        handler.write_line(formatter.render(logger.name, level, msg, extra, created), batch=batch)


def configure_logging(level: str = "info", fmt: str = "json") -> None:
    handler = LineHandler(sys.stderr)
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
