"""The per-request plumbing made cheap for speed (docs/performance.md) still does its job:
request ids stay unique, the direct log path writes what the logging machinery would, and
the served app takes its start-up heap out of the garbage collector's way."""

from __future__ import annotations

import asyncio
import gc
import io
import logging
import os
import secrets
import uuid
from collections.abc import Iterator

import orjson
import pytest

from hubauth.config import Settings
from hubauth.logs import JsonFormatter, LineHandler, _direct_handlers, log_event
from hubauth.store.sql import SqlStore
from hubauth.web.app import create_app
from hubauth.web.middleware import new_request_id
from hubauth.web.responses import NO_STORE, JSONResponse, json_response


def test_request_ids_are_unique_rfc_9562_version_8_uuids() -> None:
    ids = [new_request_id() for _ in range(10_000)]
    assert len(set(ids)) == len(ids)
    parsed = uuid.UUID(ids[0])
    assert parsed.version == 8 and parsed.variant == uuid.RFC_4122
    assert str(parsed) == ids[0]


def test_a_forked_worker_draws_its_own_request_id_prefix() -> None:
    parent = new_request_id()
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: report one id and leave without running pytest's teardown
        os.write(write, new_request_id().encode())
        os._exit(0)
    os.close(write)
    os.waitpid(pid, 0)
    child = os.read(read, 100).decode()
    os.close(read)
    assert child[:24] != parent[:24]


@pytest.fixture
def isolated_logger() -> Iterator[tuple[logging.Logger, io.StringIO]]:
    """A logger with only a :class:`LineHandler` on it, as ``configure_logging`` sets up.

    pytest's log capture attaches its own handlers to loggers when a test phase starts, and a
    foreign handler (rightly) sends ``log_event`` through the logging machinery: tests call
    :func:`_only_ours` first."""
    out = io.StringIO()
    logger = logging.getLogger(f"hubauth_test_direct_path.{secrets.token_hex(4)}")
    handler = LineHandler(out)
    handler.setFormatter(JsonFormatter())
    logger.handlers[:] = [handler]
    logger.setLevel(logging.INFO)
    logger.propagate = False
    yield logger, out
    logger.handlers.clear()
    logger.filters.clear()


def _only_ours(
    isolated: tuple[logging.Logger, io.StringIO],
) -> tuple[logging.Logger, io.StringIO]:
    """Drop what pytest attached to the logger at the start of the test phase."""
    logger, _ = isolated
    logger.handlers[:] = [h for h in logger.handlers if type(h) is LineHandler]
    return isolated


def _without_ts(line: str) -> dict[str, object]:
    entry = orjson.loads(line)
    assert entry.pop("ts").endswith("+00:00")
    return entry


def test_the_direct_log_path_writes_the_line_the_record_path_would(
    isolated_logger: tuple[logging.Logger, io.StringIO],
) -> None:
    logger, out = _only_ours(isolated_logger)
    extra = {"access": {"route": "/oauth/v1/token", "status": 200}}
    assert _direct_handlers(logger, logging.INFO) == logger.handlers
    log_event(logger, logging.INFO, "POST /oauth/v1/token 200", extra)
    record = logger.makeRecord(
        logger.name, logging.INFO, "", 0, "POST /oauth/v1/token 200", None, None, None, extra
    )
    handler = logger.handlers[0]
    assert _without_ts(out.getvalue()) == _without_ts(handler.format(record))
    assert out.getvalue().count("\n") == 1


def test_a_filter_on_the_way_gets_a_real_record(
    isolated_logger: tuple[logging.Logger, io.StringIO],
) -> None:
    logger, out = _only_ours(isolated_logger)
    seen: list[logging.LogRecord] = []
    logger.addFilter(lambda record: seen.append(record) or record.msg != "drop me")
    log_event(logger, logging.INFO, "drop me", {"audit": {"event": "x"}})
    log_event(logger, logging.INFO, "keep me", {"audit": {"event": "y"}})
    assert [r.audit["event"] for r in seen] == ["x", "y"]  # type: ignore[attr-defined]
    assert [orjson.loads(line)["msg"] for line in out.getvalue().splitlines()] == ["keep me"]


def test_below_the_level_nothing_is_rendered(
    isolated_logger: tuple[logging.Logger, io.StringIO],
) -> None:
    logger, out = _only_ours(isolated_logger)
    log_event(logger, logging.DEBUG, "quiet", {"access": {"route": "/healthz"}})
    assert out.getvalue() == ""


async def test_the_served_app_freezes_its_start_up_heap(
    settings: Settings, store: SqlStore
) -> None:
    app = create_app(settings, store=store, freeze_heap=True)
    try:
        async with app.router.lifespan_context(app):
            assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()


async def test_access_lines_are_held_briefly_then_written_in_order(
    isolated_logger: tuple[logging.Logger, io.StringIO],
) -> None:
    logger, out = _only_ours(isolated_logger)
    log_event(logger, logging.INFO, "access 1", {"access": {}}, batch=True)
    log_event(logger, logging.INFO, "access 2", {"access": {}}, batch=True)
    assert out.getvalue() == ""
    await asyncio.sleep(LineHandler.BATCH_S * 3)
    assert _messages(out) == ["access 1", "access 2"]


async def test_a_line_that_is_not_batched_writes_the_held_ones_first(
    isolated_logger: tuple[logging.Logger, io.StringIO],
) -> None:
    logger, out = _only_ours(isolated_logger)
    log_event(logger, logging.INFO, "access", {"access": {}}, batch=True)
    log_event(logger, logging.INFO, "token_refreshed", {"audit": {}})
    assert _messages(out) == ["access", "token_refreshed"]
    logger.warning("through the logging machinery")
    assert _messages(out)[-1] == "through the logging machinery"


async def test_flush_writes_held_lines_at_shutdown(
    isolated_logger: tuple[logging.Logger, io.StringIO],
) -> None:
    logger, out = _only_ours(isolated_logger)
    log_event(logger, logging.INFO, "last access", {"access": {}}, batch=True)
    logger.handlers[0].flush()
    assert _messages(out) == ["last access"]


def test_without_an_event_loop_nothing_is_held(
    isolated_logger: tuple[logging.Logger, io.StringIO],
) -> None:
    logger, out = _only_ours(isolated_logger)
    log_event(logger, logging.INFO, "from a thread", {"access": {}}, batch=True)
    assert _messages(out) == ["from a thread"]


def _messages(out: io.StringIO) -> list[str]:
    return [orjson.loads(line)["msg"] for line in out.getvalue().splitlines()]


def test_lines_held_when_a_loop_closes_are_written_by_the_next_loop(
    isolated_logger: tuple[logging.Logger, io.StringIO],
) -> None:
    logger, out = _only_ours(isolated_logger)

    async def log_only() -> None:
        log_event(logger, logging.INFO, "first loop", {"access": {}}, batch=True)

    async def log_and_wait() -> None:
        log_event(logger, logging.INFO, "second loop", {"access": {}}, batch=True)
        await asyncio.sleep(LineHandler.BATCH_S * 3)

    asyncio.run(log_only())  # closes its loop before the timer fires
    assert out.getvalue() == ""
    asyncio.run(log_and_wait())
    assert _messages(out) == ["first loop", "second loop"]


@pytest.mark.parametrize("status", [200, 400, 401, 404, 429, 503])
def test_prebuilt_no_store_headers_are_the_ones_starlette_would_build(status: int) -> None:
    body = {"status": "ok", "message": "é"}
    fast = json_response(None, "error", body, status)
    built = JSONResponse(body, status_code=status, headers=NO_STORE)
    assert sorted(fast.raw_headers) == sorted(built.raw_headers)
    assert fast.body == built.body and fast.status_code == status
