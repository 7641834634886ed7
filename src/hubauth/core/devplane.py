"""Developer mode: the one implementation of hubauth's test controls.

``hubauth serve --dev`` (the JSON control API and dashboard under ``/_hubauth/``), the pytest
plugin (:mod:`hubauth.testing`) and the CLI all call these functions. State lives in the
database (:class:`hubauth.core.ports.DevStore`) so that every worker and node sees the same
clock offset, the same queued faults and the same counters:

* the clock: the server reads time through an :class:`~hubauth.core.clock.OffsetClock` whose
  offset is re-read from the store at the start of every request (:func:`sync_clock`), so an
  advance made through one worker moves every worker's clock;
* faults: the next N refresh grants fail with a named HubSpot error; the next N requests under
  a path prefix answer 429 (with ``Retry-After``) or a 5xx; or requests wait added latency.
  Each use is taken with one conditional update, so N queued failures are delivered exactly N
  times across workers;
* counters: requests, grants by type, grants per app (by ``client_id``) and refreshes per
  refresh token (by fingerprint), counted before any fault, as HubSpot would have seen them.
  A token request writes its counters at once; plain requests are tallied per worker and
  written within :data:`REQUEST_COUNT_FLUSH_S` (:class:`RequestTally`).

Refresh tokens are named by their *fingerprint*: the first 4 bytes of the token's stored HMAC,
in hex (``hubauth tokens list`` shows the same prefix); values are never stored or shown.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import orjson

from hubauth.core import authorization, errors, grants, installs, tokens
from hubauth.core.clock import OffsetClock
from hubauth.core.context import Context
from hubauth.core.errors import ApiError, TokenError
from hubauth.core.models import (
    App,
    DevEvent,
    InstallSummary,
    IssuedTokens,
    QueuedFault,
    TokenSummary,
)
from hubauth.core.ports import DevStore, StoreUnavailable

#: The path under which the control API and dashboard live; never faulted, never counted.
CONTROL_PREFIX = "/_hubauth"

DEV_WARNING = (
    "DEVELOPER MODE IS ON: /_hubauth/ lets anyone who reaches this server move its clock, "
    "mint and revoke tokens, inject faults and erase everything. Never use it in production."
)

CLOCK_OFFSET = "clock.offset_ms"
COUNT = "count."
REQUESTS = COUNT + "requests"
GRANTS = COUNT + "grant."
APP_GRANTS = COUNT + "app."
REFRESHES = COUNT + "refresh."

#: Grant types counted by name; anything else is counted as ``other``.
KNOWN_GRANTS = frozenset({"authorization_code", "refresh_token", "client_credentials"})

#: Audit events kept for the dashboard (older ones are deleted as new ones arrive).
EVENTS_KEPT = 200

#: Ten years: an advance beyond it is a typo, not a test.
MAX_ADVANCE_S = 10 * 365 * 24 * 3600

#: How long a worker may hold the count of its plain (non-token) requests before writing it.
REQUEST_COUNT_FLUSH_S = 0.2

MAX_FAULT_COUNT = 10_000
MAX_LATENCY_S = 60.0


def _invalid_request_bad_refresh_token() -> TokenError:
    # An observed deviation (docs/decisions.md, "Tools for integration developers"): a live
    # answer on 2026-10-06 paired BAD_REFRESH_TOKEN with invalid_request instead of
    # invalid_grant; clients must key on `status` too.
    return TokenError("invalid_request", "BAD_REFRESH_TOKEN", errors.REFRESH_TOKEN_MESSAGE)


#: The refresh failures a test can ask for, by the name HubSpot gives them
#: (https://developers.hubspot.com/docs/api/oauth/tokens, docs/sources.md: NANGO, POSTHOG).
REFRESH_ERRORS: dict[str, Callable[[], TokenError]] = {
    "BAD_REFRESH_TOKEN": errors.bad_refresh_token,
    "BAD_REFRESH_TOKEN/invalid_request": _invalid_request_bad_refresh_token,
    "BAD_HUB": errors.bad_hub,
    "invalid_client": errors.bad_client_secret,
    "BAD_CLIENT_SECRET": errors.bad_client_secret,
    "BAD_CLIENT_ID": errors.bad_client_id,
}

#: Statuses a queued request failure can produce, with HubSpot's category and message for each
#: (https://developers.hubspot.com/docs/api/error-handling).
REQUEST_FAILURES: dict[int, tuple[str, str]] = {
    429: ("RATE_LIMITS", "You have reached your ten_secondly_rolling limit."),
    500: ("INTERNAL_ERROR", "An internal error occurred"),
    502: ("BAD_GATEWAY", "The service is temporarily unavailable; retry later"),
    503: ("SERVICE_UNAVAILABLE", "The service is temporarily unavailable; retry later"),
    504: ("GATEWAY_TIMEOUT", "The service is temporarily unavailable; retry later"),
}


def invalid(message: str) -> ApiError:
    return ApiError("VALIDATION_ERROR", message, 400)


def not_found(message: str) -> ApiError:
    return ApiError("OBJECT_NOT_FOUND", message, 404)


class EventBuffer:
    """An audit sink that keeps events until :func:`flush_events` writes them to the store
    (audit sinks are synchronous; the store is not)."""

    def __init__(self, clock: Callable[[], int], limit: int = EVENTS_KEPT) -> None:
        self._clock = clock
        self._limit = limit
        self._events: list[tuple[int, str, dict[str, object]]] = []

    def __call__(self, event: str, /, **fields: object) -> None:
        if len(self._events) < self._limit:
            self._events.append((self._clock(), event, fields))

    def drain(self) -> list[tuple[int, str, dict[str, object]]]:
        events, self._events = self._events, []
        return events


class RequestTally:
    """Plain requests (no ``grant_type``) counted in memory and written in batches: a database
    write per request was most of developer mode's per-request cost (docs/performance.md).
    The pending count is written before this worker reads the counters (so one worker's
    figures are exact) and otherwise within :data:`REQUEST_COUNT_FLUSH_S`."""

    def __init__(self) -> None:
        self.pending = 0
        self.flusher: asyncio.Task[None] | None = None
        #: A reader of the counters waits for a write of the count that is under way.
        self.writing = asyncio.Lock()

    def take(self) -> int:
        taken, self.pending = self.pending, 0
        return taken


@dataclass(frozen=True, slots=True)
class DevPlane:
    """What the developer controls act on: the server's context, its movable clock (the one
    ``ctx.clock`` reads) and the shared developer state."""

    ctx: Context
    store: DevStore
    clock: OffsetClock
    events: EventBuffer | None = field(default=None)
    tally: RequestTally = field(default_factory=RequestTally)


# --- audit -------------------------------------------------------------------------------------


async def audit(plane: DevPlane, action: str, **fields: object) -> None:
    """Every control call is audited: in the audit log and in the dashboard's event list."""
    plane.ctx.audit("dev_control", action=action, **fields)
    if plane.events is not None:  # the server's audit sink buffers it: write it out now
        await flush_events(plane)
    else:
        await plane.store.record_event(
            plane.ctx.now_ms(),
            "dev_control",
            orjson.dumps({"action": action, **fields}, default=str).decode(),
            EVENTS_KEPT,
        )


async def flush_events(plane: DevPlane) -> None:
    """Write the buffered audit events (grants, refreshes, revocations) for the dashboard:
    all of them in one transaction, and no database work at all when there are none (most
    requests, e.g. token lookups, emit none)."""
    if plane.events is None:
        return
    drained = plane.events.drain()
    if drained:
        await plane.store.record_events(
            [(at, event, orjson.dumps(f, default=str).decode()) for at, event, f in drained],
            EVENTS_KEPT,
        )


async def recent_events(plane: DevPlane, limit: int = 20) -> list[DevEvent]:
    return await plane.store.recent_events(limit)


# --- the clock ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ClockState:
    now_ms: int
    offset_ms: int


async def sync_clock(plane: DevPlane) -> bool:
    """Adopt the shared offset (another worker or node may have moved it); returns whether
    any fault is queued. One read: the offset and the fault flag come from one statement, so
    a request with nothing queued never reads the fault table's rows."""
    offset, queued = await plane.store.request_state(CLOCK_OFFSET)
    plane.clock.set_offset_ms(offset or 0)
    return queued


async def clock_state(plane: DevPlane) -> ClockState:
    await sync_clock(plane)
    return ClockState(plane.clock.now_ms(), plane.clock.offset_ms)


async def advance_clock(plane: DevPlane, seconds: float) -> ClockState:
    """Move the server's time forward by ``seconds``: access tokens expire, codes lapse and
    ``expires_in`` counts down as if the time had passed."""
    if not 0 <= seconds <= MAX_ADVANCE_S:
        raise invalid(f"seconds must be between 0 and {MAX_ADVANCE_S}")
    offset = await plane.store.add_value(CLOCK_OFFSET, round(seconds * 1000))
    plane.clock.set_offset_ms(offset)
    await audit(plane, "clock_advanced", seconds=seconds, offset_ms=offset)
    return ClockState(plane.clock.now_ms(), offset)


async def set_clock(plane: DevPlane, now_ms: int) -> ClockState:
    """Set the server's time (milliseconds since the epoch); it keeps flowing from there.
    ``now_ms`` may lie in the past (e.g. back to real time): what was issued "later" then
    simply has a long life ahead."""
    if not 0 <= now_ms <= 253_402_300_799_000:  # up to 9999-12-31T23:59:59Z
        raise invalid("now_ms must be a time between 1970 and 9999, in milliseconds")
    offset = now_ms - plane.clock.base_ms()
    await plane.store.set_value(CLOCK_OFFSET, offset)
    plane.clock.set_offset_ms(offset)
    await audit(plane, "clock_set", now_ms=now_ms, offset_ms=offset)
    return ClockState(plane.clock.now_ms(), offset)


# --- faults ------------------------------------------------------------------------------------


def _count(n: int) -> int:
    if not 1 <= n <= MAX_FAULT_COUNT:
        raise invalid(f"count must be between 1 and {MAX_FAULT_COUNT}")
    return n


def _prefix(path_prefix: str) -> str:
    if not path_prefix.startswith("/") or len(path_prefix) > 200:
        raise invalid("path_prefix must be a path starting with / (at most 200 characters)")
    if path_prefix.startswith(CONTROL_PREFIX):
        raise invalid(f"the control API ({CONTROL_PREFIX}/) cannot be faulted")
    return path_prefix


async def fail_next_refreshes(
    plane: DevPlane, n: int = 1, error: str = "BAD_REFRESH_TOKEN"
) -> QueuedFault:
    """The next ``n`` refresh-token grants answer with HubSpot's ``error`` body (one of
    :data:`REFRESH_ERRORS`). The grant itself is not run, so nothing changes in the store."""
    _count(n)
    if error not in REFRESH_ERRORS:
        raise invalid(f"unknown refresh error {error!r}; one of {sorted(REFRESH_ERRORS)}")
    fault = QueuedFault("refresh", "/", n, error=error, created_ms=plane.ctx.now_ms())
    return await _queue(plane, fault)


async def fail_next_requests(
    plane: DevPlane,
    n: int = 1,
    status: int = 503,
    retry_after: int | None = None,
    path_prefix: str = "/",
) -> QueuedFault:
    """The next ``n`` requests whose path starts with ``path_prefix`` answer ``status`` with
    HubSpot's generic error body and, when given, ``Retry-After`` (delta-seconds,
    RFC 9110 §10.2.3)."""
    _count(n)
    if status not in REQUEST_FAILURES:
        raise invalid(f"status must be one of {sorted(REQUEST_FAILURES)}")
    if retry_after is not None and not 0 <= retry_after <= 86_400:
        raise invalid("retry_after is a number of seconds between 0 and 86400")
    fault = QueuedFault(
        "request",
        _prefix(path_prefix),
        n,
        status=status,
        retry_after=retry_after,
        created_ms=plane.ctx.now_ms(),
    )
    return await _queue(plane, fault)


async def set_latency(
    plane: DevPlane, seconds: float, path_prefix: str = "/", n: int | None = None
) -> QueuedFault | None:
    """Delay requests under ``path_prefix`` by ``seconds`` of real time: the next ``n`` of
    them, or (``n`` omitted) every one until cleared. It replaces the latency set before for
    the same prefix; 0 removes it."""
    if not 0 <= seconds <= MAX_LATENCY_S:
        raise invalid(f"latency must be between 0 and {MAX_LATENCY_S} seconds")
    prefix = _prefix(path_prefix)
    await plane.store.clear_faults("latency", prefix)
    if seconds == 0:
        await audit(plane, "latency_cleared", path_prefix=prefix)
        return None
    fault = QueuedFault(
        "latency",
        prefix,
        None if n is None else _count(n),
        latency_ms=round(seconds * 1000),
        created_ms=plane.ctx.now_ms(),
    )
    return await _queue(plane, fault)


async def _queue(plane: DevPlane, fault: QueuedFault) -> QueuedFault:
    fault_id = await plane.store.add_fault(fault)
    queued = QueuedFault(
        fault.kind,
        fault.path_prefix,
        fault.remaining,
        fault.error,
        fault.status,
        fault.retry_after,
        fault.latency_ms,
        fault.created_ms,
        fault_id,
    )
    await audit(plane, "fault_queued", **fault_fields(queued))
    return queued


def fault_fields(fault: QueuedFault) -> dict[str, Any]:
    """A fault as the control API shows it (only the fields its kind uses)."""
    out: dict[str, Any] = {
        "id": fault.fault_id,
        "kind": fault.kind,
        "path_prefix": fault.path_prefix,
        "remaining": fault.remaining,
    }
    for name in ("error", "status", "retry_after"):
        if getattr(fault, name) is not None:
            out[name] = getattr(fault, name)
    if fault.latency_ms is not None:
        out["latency_seconds"] = fault.latency_ms / 1000
    return out


async def list_faults(plane: DevPlane) -> list[QueuedFault]:
    return await plane.store.list_faults()


async def clear_faults(plane: DevPlane) -> int:
    cleared = await plane.store.clear_faults()
    await audit(plane, "faults_cleared", cleared=cleared)
    return cleared


@dataclass(frozen=True, slots=True)
class RequestFaults:
    """What to do to one request, decided before it reaches the app."""

    latency_s: float = 0.0
    failure: QueuedFault | None = None
    refresh_error: TokenError | None = None


NO_FAULTS = RequestFaults()


async def faults_for(
    plane: DevPlane, path: str, grant_type: str | None, *, queued_any: bool = True
) -> RequestFaults:
    """Take the faults that apply to a request: latency, then a request failure (any route
    under its prefix), then a refresh failure (refresh-token grants only). Each counted fault
    is consumed once per request. ``queued_any=False`` (what :func:`sync_clock` read for this
    request) skips the fault table."""
    if not queued_any:
        return NO_FAULTS
    queued = await plane.store.list_faults()
    if not queued:
        return NO_FAULTS
    latency = await _take(plane, queued, "latency", path)
    failure = await _take(plane, queued, "request", path)
    refresh_error = None
    if failure is None and grant_type == "refresh_token":
        taken = await _take(plane, queued, "refresh", path)
        if taken is not None and taken.error in REFRESH_ERRORS:
            refresh_error = REFRESH_ERRORS[taken.error]()
    return RequestFaults(
        latency_s=(latency.latency_ms or 0) / 1000 if latency else 0.0,
        failure=failure,
        refresh_error=refresh_error,
    )


async def _take(
    plane: DevPlane, queued: Iterable[QueuedFault], kind: str, path: str
) -> QueuedFault | None:
    for fault in queued:
        if fault.kind == kind and path.startswith(fault.path_prefix):
            taken = await plane.store.take_fault(fault.fault_id)
            if taken is not None:  # else another worker used it up meanwhile: try the next
                return taken
    return None


# --- counters ----------------------------------------------------------------------------------


def refresh_fingerprint(ctx: Context, refresh_token: str) -> str:
    """The name of a refresh token in counters and on the dashboard (its HMAC's first bytes)."""
    return ctx.hasher.hash(refresh_token)[:4].hex()


async def note_request(
    plane: DevPlane,
    *,
    grant_type: str | None = None,
    client_id: str | None = None,
    refresh_token: str | None = None,
) -> None:
    """Count one request that reached the server (faults are applied after counting).

    A token request writes every counter it moves in one transaction before it goes on, so
    grants and refreshes are exact on every worker at once; a plain request is only tallied
    (:class:`RequestTally`)."""
    if grant_type is None:
        tally = plane.tally
        tally.pending += 1
        if tally.flusher is None:
            tally.flusher = asyncio.create_task(_flush_later(plane))
        return
    kind = grant_type if grant_type in KNOWN_GRANTS else "other"
    deltas = {REQUESTS: 1, GRANTS + kind: 1}
    if client_id and len(client_id) <= 64 and tokens.plausible_token(client_id):
        deltas[f"{APP_GRANTS}{client_id}.{kind}"] = 1
    if kind == "refresh_token" and refresh_token and tokens.plausible_token(refresh_token):
        deltas[REFRESHES + refresh_fingerprint(plane.ctx, refresh_token)] = 1
    await plane.store.add_values(deltas)


async def flush_request_count(plane: DevPlane) -> None:
    """Write this worker's pending count of plain requests (before reading the counters, and
    when the server stops)."""
    tally = plane.tally
    if tally.flusher is not None and tally.flusher is not asyncio.current_task():
        tally.flusher.cancel()
        tally.flusher = None
    async with tally.writing:
        pending = tally.take()
        if pending:
            try:
                await plane.store.add_values({REQUESTS: pending})
            except BaseException:
                tally.pending += pending  # counted by the next write instead
                raise


async def _flush_later(plane: DevPlane) -> None:
    await asyncio.sleep(REQUEST_COUNT_FLUSH_S)
    plane.tally.flusher = None
    # On an outage the count stays pending for the next write.
    with contextlib.suppress(StoreUnavailable):
        await flush_request_count(plane)


@dataclass(frozen=True, slots=True)
class Counters:
    requests: int
    grants: dict[str, int]
    #: client_id -> grant type -> count
    app_grants: dict[str, dict[str, int]]
    #: refresh-token fingerprint -> refresh grants that presented it
    refreshes: dict[str, int]


async def counters(plane: DevPlane) -> Counters:
    await flush_request_count(plane)
    values = await plane.store.values(COUNT)
    app_grants: dict[str, dict[str, int]] = {}
    for name, value in values.items():
        if name.startswith(APP_GRANTS):
            client_id, _, kind = name.removeprefix(APP_GRANTS).rpartition(".")
            app_grants.setdefault(client_id, {})[kind] = value
    return Counters(
        requests=values.get(REQUESTS, 0),
        grants={n.removeprefix(GRANTS): v for n, v in values.items() if n.startswith(GRANTS)},
        app_grants=app_grants,
        refreshes={
            n.removeprefix(REFRESHES): v for n, v in values.items() if n.startswith(REFRESHES)
        },
    )


async def reset_counters(plane: DevPlane) -> None:
    async with plane.tally.writing:  # requests before the reset are not counted after it
        plane.tally.take()
        await plane.store.delete_values(COUNT)
    await audit(plane, "counters_reset")


# --- installs and tokens -----------------------------------------------------------------------


async def _app(ctx: Context, client_id: str) -> App:
    app = await ctx.store.find_app_by_client_id(client_id)
    if app is None:
        raise not_found(f"no app with client_id {client_id}")
    return app


async def install(
    plane: DevPlane,
    *,
    client_id: str,
    hub_id: int,
    user_id: int,
    redirect_uri: str | None = None,
    scopes: Iterable[str] | None = None,
    accepted_optional: Iterable[str] | None = None,
    code_challenge: str | None = None,
) -> str:
    """Approve an install as if the user had clicked "Connect"; returns the authorization code.

    Defaults: the app's first redirect URI, all its required scopes and every optional scope
    accepted."""
    ctx = plane.ctx
    app = await _app(ctx, client_id)
    try:
        code = await authorization.approve_directly(
            ctx,
            client_id=client_id,
            hub_id=hub_id,
            user_id=user_id,
            redirect_uri=redirect_uri or app.redirect_uris[0],
            scope=" ".join(app.scopes if scopes is None else scopes),
            optional_scope=" ".join(app.optional_scopes) or None,
            accepted_optional=accepted_optional,
            code_challenge=code_challenge,
        )
    except authorization.InstallTargetMissing as exc:
        raise not_found(str(exc)) from None
    except authorization.AuthorizationError as exc:
        raise invalid(f"{exc.error}: {exc}") from None
    await audit(plane, "install_approved", app_id=app.app_id, hub_id=hub_id, user_id=user_id)
    return code


async def install_with_tokens(
    plane: DevPlane,
    *,
    client_id: str,
    hub_id: int,
    user_id: int,
    redirect_uri: str | None = None,
    scopes: Iterable[str] | None = None,
    accepted_optional: Iterable[str] | None = None,
) -> IssuedTokens:
    """Approve an install and redeem its code at once: the tokens an app would get."""
    app = await _app(plane.ctx, client_id)
    uri = redirect_uri or app.redirect_uris[0]
    code = await install(
        plane,
        client_id=client_id,
        hub_id=hub_id,
        user_id=user_id,
        redirect_uri=uri,
        scopes=scopes,
        accepted_optional=accepted_optional,
    )
    return await grants.authorization_code(plane.ctx, app, code, uri)


async def uninstall(
    plane: DevPlane, *, app_id: int, hub_id: int, via: str = "dev_control_api"
) -> int:
    """The hub uninstalls the app (:func:`hubauth.core.installs.uninstall`): its installs end
    and their tokens are revoked, so refreshes get 400 ``BAD_REFRESH_TOKEN`` (docs/sources.md:
    NANGO). Returns the installs ended."""
    ended = await installs.uninstall(plane.ctx, app_id, hub_id, via=via)
    await audit(plane, "uninstalled", app_id=app_id, hub_id=hub_id, installs=ended)
    return ended


@dataclass(frozen=True, slots=True)
class TokenRef:
    """A token named by its value, or by kind and row id (what the dashboard knows)."""

    token: str | None = None
    kind: str | None = None  # "refresh_token" or "access_token"
    row_id: int | None = None


async def _resolve(plane: DevPlane, ref: TokenRef) -> tuple[str, bytes]:
    ctx = plane.ctx
    if ref.token is not None:
        if not tokens.plausible_token(ref.token):
            raise not_found("no such token")
        digest = ctx.hasher.hash(ref.token)
        if await ctx.store.find_refresh_token(digest) is not None:
            return "refresh_token", digest
        if await ctx.store.find_access_token(digest) is not None:
            return "access_token", digest
        raise not_found("no such token")
    if ref.kind not in ("refresh_token", "access_token") or ref.row_id is None:
        raise invalid("name a token by its value, or by kind (refresh_token|access_token) and id")
    digest_or_none = await plane.store.token_hash_by_id(ref.kind, ref.row_id)
    if digest_or_none is None:
        raise not_found(f"no {ref.kind} {ref.row_id}")
    return ref.kind, digest_or_none


async def expire_token(plane: DevPlane, ref: TokenRef) -> str:
    """Make a live access token expire now (on the server's clock). Refresh tokens do not
    expire at HubSpot: revoke one instead. Returns the token's fingerprint."""
    kind, digest = await _resolve(plane, ref)
    if kind != "access_token":
        raise invalid("refresh tokens do not expire (as at HubSpot); revoke it instead")
    if not await plane.store.expire_access_token(digest, plane.ctx.now_ms()):
        raise invalid("the token is already expired or revoked")
    fingerprint = digest[:4].hex()
    await audit(plane, "token_expired", kind=kind, fingerprint=fingerprint)
    return fingerprint


async def revoke_token(plane: DevPlane, ref: TokenRef) -> tuple[str, str]:
    """Revoke a token now, as ``DELETE /oauth/v1/refresh-tokens/{token}`` would (a refresh
    token's access tokens follow the ``revoke_access_tokens_with_refresh`` setting)."""
    kind, digest = await _resolve(plane, ref)
    ctx = plane.ctx
    now = ctx.now_ms()
    if kind == "refresh_token":
        done = await ctx.store.revoke_refresh_token(
            digest, now, with_access_tokens=ctx.policy.revoke_access_tokens_with_refresh
        )
    else:
        done = await ctx.store.revoke_access_token(digest, now)
    if not done:
        raise invalid("the token is already revoked")
    fingerprint = digest[:4].hex()
    await audit(plane, "token_revoked", kind=kind, fingerprint=fingerprint)
    return kind, fingerprint


# --- the whole state ---------------------------------------------------------------------------


async def reset(plane: DevPlane) -> None:
    """Empty the server: no apps, hubs, users, tokens, faults, counters; real time again."""
    async with plane.tally.writing:
        plane.tally.take()
        await plane.store.erase_everything()
    plane.clock.set_offset_ms(0)
    await audit(plane, "reset")


@dataclass(frozen=True, slots=True)
class Overview:
    """Everything the dashboard shows."""

    clock: ClockState
    apps: list[App]
    installs: list[InstallSummary]
    tokens: list[TokenSummary]
    faults: list[QueuedFault]
    counters: Counters
    events: list[DevEvent]


async def overview(plane: DevPlane, *, token_limit: int = 50) -> Overview:
    clock = await clock_state(plane)
    live = [
        t
        for t in await plane.ctx.store.list_tokens(limit=token_limit * 4)
        if t.status(clock.now_ms) == "live"
    ]
    return Overview(
        clock=clock,
        apps=await plane.ctx.store.list_apps(),
        installs=await plane.store.list_installs(),
        tokens=live[:token_limit],
        faults=await plane.store.list_faults(),
        counters=await counters(plane),
        events=await plane.store.recent_events(20),
    )


def iso(ms: int) -> str:
    """An epoch-milliseconds time as RFC 3339 UTC (for people reading the control API)."""
    seconds, millis = divmod(ms, 1000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds)) + f".{millis:03d}Z"
