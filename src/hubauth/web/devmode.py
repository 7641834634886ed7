"""Developer mode over HTTP (``hubauth serve --dev``): the JSON control API and the dashboard
under ``/_hubauth/``, and the middleware that applies the shared clock and queued faults.

These routes exist only in an app built with ``dev = true``; otherwise every ``/_hubauth/``
path is the ordinary 404 of an unknown path. Each handler translates HTTP to one function of
:mod:`hubauth.core.devplane` (the same functions the pytest plugin calls) and back.

Cross-site protection (the API has no credentials: it is meant for a developer's machine):

* JSON calls must be ``Content-Type: application/json``, which a cross-site page cannot send
  without a CORS preflight that this server never answers favourably;
* the dashboard's buttons are form posts carrying a CSRF token that must equal a
  ``SameSite=Strict`` cookie (double submit), so another site cannot press them;
* unless ``dev_allow_remote`` is set, the ``Host`` header must name a loopback address, which
  defeats DNS rebinding (a hostile name resolving to 127.0.0.1).
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import secrets
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import quote

import orjson
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from hubauth.config import is_loopback_host
from hubauth.contracts.checker import request_problems
from hubauth.core import devplane, provisioning
from hubauth.core.devplane import DevPlane, TokenRef
from hubauth.core.errors import ApiError, unavailable
from hubauth.core.models import App, QueuedFault, RefreshPolicy
from hubauth.core.ports import StoreUnavailable
from hubauth.core.token_endpoint import response_body
from hubauth.web import pages
from hubauth.web.authorize import stylesheet
from hubauth.web.errors import api_error_response, token_error_response
from hubauth.web.forms import FORM_TYPE, parse_form, read_body
from hubauth.web.responses import json_response
from hubauth.web.routing import ApiRoute, TextRoute
from hubauth.web.services import plane_of, services_of
from hubauth.web.token_request import TokenRequest, parse

PREFIX = devplane.CONTROL_PREFIX
TAGS = ["Developer control plane (dev mode only)"]
JSON_TYPE = "application/json"
CSRF_COOKIE = "hubauth_dev_csrf"
#: The install pages' stylesheet, served under the control prefix too, so that a fault queued
#: for every path ("/") cannot break the dashboard's own styling.
STYLESHEET = PREFIX + "/assets/authorize.css"


def _plane(request: Request) -> DevPlane:
    plane: DevPlane = plane_of(request)
    return plane


# --- the middleware ----------------------------------------------------------------------------


class DevMiddleware:
    """Before each request: adopt the shared clock offset, count the request, then delay or
    fail it as the queued faults say (latency, then a request failure, then a refresh failure
    for refresh grants). After it: write the buffered audit events for the dashboard. The
    control API itself is never counted or faulted."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        plane: DevPlane = scope["app"].state.plane
        path: str = scope["path"]
        try:
            queued_any = await devplane.sync_clock(plane)
            if path == PREFIX or path.startswith(PREFIX + "/"):
                try:
                    await self.app(scope, receive, send)
                finally:
                    with contextlib.suppress(StoreUnavailable):
                        await devplane.flush_events(plane)
                return
            # The app's own parse of a token request, cached on the scope for the handler.
            try:
                parsed = await parse(scope, receive)
            except ClientDisconnect:  # left for the route, as without this middleware
                parsed = None
            params = parsed.params if isinstance(parsed, TokenRequest) else {}
            request = Request(scope, receive)
            grant_type = params.get("grant_type")
            await devplane.note_request(
                plane,
                grant_type=grant_type,
                client_id=params.get("client_id"),
                refresh_token=params.get("refresh_token"),
            )
            faults = await devplane.faults_for(plane, path, grant_type, queued_any=queued_any)
        except StoreUnavailable:
            await api_error_response(Request(scope, receive), unavailable())(scope, receive, send)
            return
        try:
            if faults.latency_s:
                await asyncio.sleep(faults.latency_s)
            if faults.failure is not None:
                await _failure_response(request, faults.failure)(scope, receive, send)
            elif faults.refresh_error is not None:
                await token_error_response(request, faults.refresh_error)(scope, receive, send)
            else:
                await self.app(scope, receive, send)
        finally:
            # On an outage the events are lost; the response has been sent already.
            with contextlib.suppress(StoreUnavailable):
                await devplane.flush_events(plane)


def _failure_response(request: Request, fault: QueuedFault) -> Response:
    status = fault.status or 503
    category, message = devplane.REQUEST_FAILURES[status]
    response = api_error_response(request, ApiError(category, message, status))
    if fault.retry_after is not None:
        response.headers["Retry-After"] = str(fault.retry_after)
    return response


# --- JSON plumbing -----------------------------------------------------------------------------


def _check_host(request: Request) -> None:
    if services_of(request).settings.dev_allow_remote:
        return
    host = request.headers.get("host", "")
    name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
    if not is_loopback_host(name):
        raise ApiError(
            "FORBIDDEN",
            "the control API answers only requests addressed to a loopback host",
            403,
        )


async def _json(request: Request, contract: str | None) -> dict[str, Any]:
    _check_host(request)
    media = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media != JSON_TYPE:
        raise ApiError("VALIDATION_ERROR", f"Content-Type must be {JSON_TYPE}", 415)
    raw = await read_body(request, services_of(request).settings.max_body_bytes)
    try:
        body = orjson.loads(raw) if raw.strip() else {}
    except orjson.JSONDecodeError:
        raise devplane.invalid("the body is not valid JSON") from None
    if not isinstance(body, dict):
        raise devplane.invalid("the body must be a JSON object")
    problems = request_problems(contract, body) if contract else []
    if problems:
        first = problems[0]
        raise devplane.invalid(f"field {first.pointer.lstrip('/') or '/'!r}: {first.message}")
    return body


def _reply(request: Request, contract: str, body: dict[str, Any], status: int = 200) -> Response:
    return json_response(request.app.state, contract, body, status)


def _clock_body(state: devplane.ClockState) -> dict[str, Any]:
    return {"now_ms": state.now_ms, "now": devplane.iso(state.now_ms), "offset_ms": state.offset_ms}


def _fault_body(fault: QueuedFault) -> dict[str, Any]:
    body = devplane.fault_fields(fault)
    if body["remaining"] is None:
        del body["remaining"]
    return body


def _app_body(app: App) -> dict[str, Any]:
    return {
        "app_id": app.app_id,
        "client_id": app.client_id,
        "name": app.name,
        "redirect_uris": list(app.redirect_uris),
        "scopes": list(app.scopes),
        "optional_scopes": list(app.optional_scopes),
        "refresh_policy": app.refresh_policy.value,
    }


async def _provisioned(call: Awaitable[Any]) -> Any:
    try:
        return await call
    except provisioning.ProvisioningError as exc:
        raise ApiError(
            "VALIDATION_ERROR", exc.reason, 400, context={exc.param: [exc.reason]}
        ) from None
    except ValueError as exc:  # store.Conflict: a taken id or email
        raise ApiError("CONFLICT", str(exc), 409) from None


# --- the control API ---------------------------------------------------------------------------


async def get_clock(request: Request) -> Response:
    _check_host(request)
    return _reply(request, "dev-clock", _clock_body(await devplane.clock_state(_plane(request))))


async def advance_clock(request: Request) -> Response:
    body = await _json(request, "dev-clock-advance")
    state = await devplane.advance_clock(_plane(request), float(body["seconds"]))
    return _reply(request, "dev-clock", _clock_body(state))


async def set_clock(request: Request) -> Response:
    body = await _json(request, "dev-clock-set")
    state = await devplane.set_clock(_plane(request), int(body["now_ms"]))
    return _reply(request, "dev-clock", _clock_body(state))


async def get_faults(request: Request) -> Response:
    _check_host(request)
    faults = await devplane.list_faults(_plane(request))
    return _reply(request, "dev-faults", {"faults": [_fault_body(f) for f in faults]})


async def queue_fault(request: Request) -> Response:
    body = await _json(request, "dev-fault-request")
    plane = _plane(request)
    kind = body["kind"]
    count = body.get("count")
    if kind == "refresh":
        fault = await devplane.fail_next_refreshes(
            plane, count or 1, body.get("error", "BAD_REFRESH_TOKEN")
        )
    elif kind == "request":
        fault = await devplane.fail_next_requests(
            plane,
            count or 1,
            status=body.get("status", 503),
            retry_after=body.get("retry_after"),
            path_prefix=body.get("path_prefix", "/"),
        )
    else:
        if "latency_seconds" not in body:
            raise devplane.invalid("kind latency needs latency_seconds")
        latency = await devplane.set_latency(
            plane, float(body["latency_seconds"]), body.get("path_prefix", "/"), count
        )
        if latency is None:
            return _reply(request, "dev-done", {"status": "ok"})
        fault = latency
    return _reply(request, "dev-fault", _fault_body(fault), 201)


async def clear_faults(request: Request) -> Response:
    _check_host(request)
    cleared = await devplane.clear_faults(_plane(request))
    return _reply(request, "dev-done", {"status": "ok", "cleared": cleared})


async def get_counters(request: Request) -> Response:
    _check_host(request)
    plane = _plane(request)
    counted = await devplane.counters(plane)
    app_ids = {a.client_id: a.app_id for a in await plane.ctx.store.list_apps()}
    apps = []
    for client_id, grants in sorted(counted.app_grants.items()):
        entry: dict[str, Any] = {"client_id": client_id, "grants": grants}
        if client_id in app_ids:
            entry["app_id"] = app_ids[client_id]
        apps.append(entry)
    body = {
        "requests": counted.requests,
        "grants": counted.grants,
        "apps": apps,
        "refreshes": counted.refreshes,
    }
    return _reply(request, "dev-counters", body)


async def reset_counters(request: Request) -> Response:
    _check_host(request)
    await devplane.reset_counters(_plane(request))
    return _reply(request, "dev-done", {"status": "ok"})


async def create_app(request: Request) -> Response:
    body = await _json(request, "dev-app-request")
    plane = _plane(request)
    settings = services_of(request).settings
    created = await _provisioned(
        provisioning.create_app(
            plane.ctx,
            name=body["name"],
            redirect_uris=body["redirect_uris"],
            required_scopes=body["scopes"],
            optional_scopes=body.get("optional_scopes", ""),
            refresh_policy=RefreshPolicy(
                body.get("refresh_policy") or settings.default_refresh_policy
            ),
            is_private=bool(body.get("private", False)),
            custom_scopes=bool(body.get("custom_scopes", False)),
        )
    )
    await devplane.audit(plane, "app_created", app_id=created.app.app_id)
    reply = {**_app_body(created.app), "client_secret": created.client_secret}
    return _reply(request, "dev-app", reply, 201)


async def create_hub(request: Request) -> Response:
    body = await _json(request, "dev-hub-request")
    plane = _plane(request)
    hub = await _provisioned(
        provisioning.create_hub(
            plane.ctx,
            domain=body["domain"],
            hublet=body.get("hublet") or plane.ctx.policy.hublet,
            hub_id=body.get("hub_id"),
            members=body.get("members", []),
        )
    )
    await devplane.audit(plane, "hub_created", hub_id=hub.hub_id)
    reply = {"hub_id": hub.hub_id, "hub_domain": hub.hub_domain, "hublet": hub.hublet}
    return _reply(request, "dev-hub", reply, 201)


async def create_user(request: Request) -> Response:
    body = await _json(request, "dev-user-request")
    plane = _plane(request)
    user = await _provisioned(
        provisioning.create_user(
            plane.ctx,
            email=body["email"],
            password=body.get("password"),
            user_id=body.get("user_id"),
            hub_ids=body.get("hubs", []),
        )
    )
    await devplane.audit(plane, "user_created", user_id=user.user_id)
    return _reply(request, "dev-user", {"user_id": user.user_id, "email": user.email}, 201)


def _install_args(body: dict[str, Any]) -> dict[str, Any]:
    return {
        "client_id": body["client_id"],
        "hub_id": body["hub_id"],
        "user_id": body["user_id"],
        "redirect_uri": body.get("redirect_uri"),
        "scopes": body.get("scopes"),
        "accepted_optional": body.get("optional_scopes"),
    }


async def install(request: Request) -> Response:
    body = await _json(request, "dev-install-request")
    plane = _plane(request)
    app = await plane.ctx.store.find_app_by_client_id(body["client_id"])
    redirect_uri = body.get("redirect_uri") or (app.redirect_uris[0] if app else "")
    args = {**_install_args(body), "redirect_uri": redirect_uri or None}
    code = await devplane.install(plane, code_challenge=body.get("code_challenge"), **args)
    assert app is not None  # install() raised 404 otherwise
    reply = {
        "code": code,
        "redirect_uri": redirect_uri,
        "app_id": app.app_id,
        "hub_id": body["hub_id"],
        "user_id": body["user_id"],
    }
    return _reply(request, "dev-install", reply, 201)


async def install_with_tokens(request: Request) -> Response:
    body = await _json(request, "dev-install-request")
    issued = await devplane.install_with_tokens(_plane(request), **_install_args(body))
    return _reply(request, "token-response", response_body(issued))


async def uninstall(request: Request) -> Response:
    body = await _json(request, "dev-uninstall-request")
    plane = _plane(request)
    app_id = body.get("app_id")
    if app_id is None and body.get("client_id"):
        app = await plane.ctx.store.find_app_by_client_id(body["client_id"])
        if app is None:
            raise devplane.not_found(f"no app with client_id {body['client_id']}")
        app_id = app.app_id
    if app_id is None:
        raise devplane.invalid("name the app by app_id or client_id")
    ended = await devplane.uninstall(plane, app_id=app_id, hub_id=body["hub_id"])
    reply = {"app_id": app_id, "hub_id": body["hub_id"], "installs_ended": ended}
    return _reply(request, "dev-uninstall", reply)


def _token_ref(body: dict[str, Any]) -> TokenRef:
    return TokenRef(token=body.get("token"), kind=body.get("kind"), row_id=body.get("id"))


async def expire_token(request: Request) -> Response:
    body = await _json(request, "dev-token-request")
    ref = _token_ref(body)
    fingerprint = await devplane.expire_token(_plane(request), ref)
    reply = {"action": "expired", "kind": "access_token", "fingerprint": fingerprint}
    return _reply(request, "dev-token-action", reply)


async def revoke_token(request: Request) -> Response:
    body = await _json(request, "dev-token-request")
    plane = _plane(request)
    ref = _token_ref(body)
    kind, fingerprint = await devplane.revoke_token(plane, ref)
    reply = {"action": "revoked", "kind": kind, "fingerprint": fingerprint}
    return _reply(request, "dev-token-action", reply)


async def reset(request: Request) -> Response:
    await _json(request, None)  # an empty JSON body: the content type is the CSRF defence
    await devplane.reset(_plane(request))
    return _reply(request, "dev-done", {"status": "ok"})


async def state(request: Request) -> Response:
    _check_host(request)
    return _reply(request, "dev-state", await _state_body(_plane(request)))


async def _state_body(plane: DevPlane) -> dict[str, Any]:
    seen = await devplane.overview(plane)
    now = seen.clock.now_ms
    tokens = []
    for t in seen.tokens:
        token: dict[str, Any] = {
            "id": t.row_id,
            "kind": t.kind,
            "app_id": t.app_id,
            "fingerprint": t.hash_prefix,
            "scopes": list(t.scopes),
            "created_ms": t.created_ms,
        }
        if t.hub_id is not None:
            token["hub_id"] = t.hub_id
        if t.user_id is not None:
            token["user_id"] = t.user_id
        if t.expires_ms is not None:
            token["expires_ms"] = t.expires_ms
            token["expires_in"] = max(0, (t.expires_ms - now) // 1000)
        tokens.append(token)
    return {
        "clock": _clock_body(seen.clock),
        "apps": [_app_body(a) for a in seen.apps],
        "installs": [
            {
                "install_id": i.install_id,
                "app_id": i.app_id,
                "hub_id": i.hub_id,
                "user_id": i.user_id,
                "scopes": list(i.scopes),
                "active": i.uninstalled_ms is None,
            }
            for i in seen.installs
        ],
        "tokens": tokens,
        "faults": [_fault_body(f) for f in seen.faults],
        "events": [
            {"id": e.event_id, "at_ms": e.at_ms, "event": e.event, "fields": orjson.loads(e.fields)}
            for e in seen.events
        ],
    }


# --- the dashboard -----------------------------------------------------------------------------


def _csrf(request: Request) -> tuple[str, bool]:
    """The browser's CSRF token and whether it is new (to be set as a cookie)."""
    current = request.cookies.get(CSRF_COOKIE, "")
    if len(current) == 43:
        return current, False
    return secrets.token_urlsafe(32), True


async def dashboard(request: Request) -> Response:
    _check_host(request)
    plane = _plane(request)
    body = await _state_body(plane)
    token, fresh = _csrf(request)
    response = pages.render(
        "devplane.html",
        title="Developer dashboard",
        stylesheet=STYLESHEET,
        csrf_token=token,
        state=body,
        message=request.query_params.get("done", "")[:100],
        refresh_errors=sorted(devplane.REFRESH_ERRORS),
        refreshes=(await devplane.counters(plane)).refreshes,
        iso=devplane.iso,
    )
    if fresh:
        response.set_cookie(CSRF_COOKIE, token, httponly=True, samesite="strict", path=PREFIX + "/")
    return response


_ACTIONS: dict[str, Callable[[DevPlane, dict[str, str]], Awaitable[str]]] = {}


def _action(name: str) -> Callable[[Callable[..., Awaitable[str]]], Callable[..., Awaitable[str]]]:
    def register(fn: Callable[..., Awaitable[str]]) -> Callable[..., Awaitable[str]]:
        _ACTIONS[name] = fn
        return fn

    return register


def _int(form: dict[str, str], name: str) -> int:
    try:
        return int(form.get(name, ""))
    except ValueError:
        raise devplane.invalid(f"{name} must be a number") from None


@_action("advance")
async def _advance(plane: DevPlane, form: dict[str, str]) -> str:
    try:
        seconds = float(form.get("seconds", ""))
    except ValueError:
        raise devplane.invalid("seconds must be a number") from None
    await devplane.advance_clock(plane, seconds)
    return f"clock advanced by {seconds:g} s"


@_action("expire")
async def _expire(plane: DevPlane, form: dict[str, str]) -> str:
    ref = TokenRef(kind="access_token", row_id=_int(form, "id"))
    return f"access token {await devplane.expire_token(plane, ref)} expired"


@_action("revoke")
async def _revoke(plane: DevPlane, form: dict[str, str]) -> str:
    ref = TokenRef(kind=form.get("kind"), row_id=_int(form, "id"))
    kind, fingerprint = await devplane.revoke_token(plane, ref)
    return f"{kind} {fingerprint} revoked"


@_action("uninstall")
async def _uninstall(plane: DevPlane, form: dict[str, str]) -> str:
    app_id, hub_id = _int(form, "app_id"), _int(form, "hub_id")
    await devplane.uninstall(plane, app_id=app_id, hub_id=hub_id)
    return f"app {app_id} uninstalled from hub {hub_id}"


@_action("fail-refresh")
async def _fail_refresh(plane: DevPlane, form: dict[str, str]) -> str:
    error = form.get("error", "BAD_REFRESH_TOKEN")
    await devplane.fail_next_refreshes(plane, _int(form, "count"), error)
    return f"next refreshes fail with {error}"


@_action("clear-faults")
async def _clear_faults(plane: DevPlane, form: dict[str, str]) -> str:
    await devplane.clear_faults(plane)
    return "faults cleared"


async def dashboard_action(request: Request) -> Response:
    """A dashboard button: a form post with the CSRF token, answered by a redirect back."""
    _check_host(request)
    media = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media != FORM_TYPE:
        raise ApiError("VALIDATION_ERROR", f"Content-Type must be {FORM_TYPE}", 415)
    fields = parse_form(await read_body(request, services_of(request).settings.max_body_bytes))
    cookie = request.cookies.get(CSRF_COOKIE, "")
    if not cookie or not hmac.compare_digest(cookie, fields.get("csrf_token", "")):
        _plane(request).ctx.audit("csrf_rejected", path=request.url.path)
        raise ApiError("FORBIDDEN", "missing or wrong CSRF token", 403)
    action = _ACTIONS.get(request.path_params["action"])
    if action is None:
        raise devplane.not_found("no such action")
    try:
        done = await action(_plane(request), fields)
    except ApiError as exc:
        done = "refused: " + exc.message
    return pages.redirect(f"{PREFIX}/?done={quote(done)}", 303)


def _route(
    path: str, endpoint: Callable[[Request], Awaitable[Response]], method: str, **kw: Any
) -> ApiRoute:
    return ApiRoute(
        PREFIX + path, endpoint, methods=[method], tags=TAGS, request_media_types=(JSON_TYPE,), **kw
    )


_E400 = {400: "error"}

routes = [
    TextRoute(
        PREFIX + "/",
        dashboard,
        methods=["GET"],
        name="dev_dashboard",
        summary="The developer dashboard: apps, installs, live tokens, clock, faults, events",
        media_types={200: "text/html"},
        tags=TAGS,
    ),
    TextRoute(
        PREFIX + "/ui/{action}",
        dashboard_action,
        methods=["POST"],
        name="dev_dashboard_action",
        summary="A dashboard button (form post with CSRF token); redirects back (303)",
        media_types={303: "text/html"},
        tags=TAGS,
    ),
    TextRoute(
        STYLESHEET,
        stylesheet,
        methods=["GET"],
        name="dev_dashboard_stylesheet",
        summary="The dashboard's stylesheet (the install pages' one)",
        media_types={200: "text/css"},
        tags=TAGS,
    ),
    _route(
        "/state",
        state,
        "GET",
        name="dev_state",
        summary="Everything the dashboard shows",
        responses={200: "dev-state"},
    ),
    _route(
        "/clock",
        get_clock,
        "GET",
        name="dev_clock",
        summary="The server's clock",
        responses={200: "dev-clock"},
    ),
    _route(
        "/clock/advance",
        advance_clock,
        "POST",
        name="dev_clock_advance",
        summary="Move the server's clock forward",
        request_contract="dev-clock-advance",
        responses={200: "dev-clock", **_E400},
    ),
    _route(
        "/clock/set",
        set_clock,
        "POST",
        name="dev_clock_set",
        summary="Set the server's clock",
        request_contract="dev-clock-set",
        responses={200: "dev-clock", **_E400},
    ),
    _route(
        "/faults",
        get_faults,
        "GET",
        name="dev_faults",
        summary="Queued faults",
        responses={200: "dev-faults"},
    ),
    _route(
        "/faults",
        queue_fault,
        "POST",
        name="dev_fault_queue",
        summary="Queue a fault (failed refreshes, failed requests, latency)",
        request_contract="dev-fault-request",
        responses={201: "dev-fault", 200: "dev-done", **_E400},
    ),
    _route(
        "/faults",
        clear_faults,
        "DELETE",
        name="dev_faults_clear",
        summary="Clear every queued fault",
        responses={200: "dev-done"},
    ),
    _route(
        "/counters",
        get_counters,
        "GET",
        name="dev_counters",
        summary="Requests, grants per app and refreshes per token",
        responses={200: "dev-counters"},
    ),
    _route(
        "/counters",
        reset_counters,
        "DELETE",
        name="dev_counters_reset",
        summary="Set every counter back to zero",
        responses={200: "dev-done"},
    ),
    _route(
        "/apps",
        create_app,
        "POST",
        name="dev_app_create",
        summary="Create an app",
        request_contract="dev-app-request",
        responses={201: "dev-app", **_E400},
    ),
    _route(
        "/hubs",
        create_hub,
        "POST",
        name="dev_hub_create",
        summary="Create an account",
        request_contract="dev-hub-request",
        responses={201: "dev-hub", **_E400},
    ),
    _route(
        "/users",
        create_user,
        "POST",
        name="dev_user_create",
        summary="Create a user",
        request_contract="dev-user-request",
        responses={201: "dev-user", 409: "error", **_E400},
    ),
    _route(
        "/installs",
        install,
        "POST",
        name="dev_install",
        summary="Approve an install without the browser: an authorization code",
        request_contract="dev-install-request",
        responses={201: "dev-install", 404: "error", **_E400},
    ),
    _route(
        "/installs/tokens",
        install_with_tokens,
        "POST",
        name="dev_install_tokens",
        summary="Approve an install and redeem the code: the token response",
        request_contract="dev-install-request",
        responses={200: "token-response", 404: "error", **_E400},
    ),
    _route(
        "/uninstall",
        uninstall,
        "POST",
        name="dev_uninstall",
        summary="The hub uninstalls the app (its tokens are revoked)",
        request_contract="dev-uninstall-request",
        responses={200: "dev-uninstall", **_E400},
    ),
    _route(
        "/tokens/expire",
        expire_token,
        "POST",
        name="dev_token_expire",
        summary="Make an access token expire now",
        request_contract="dev-token-request",
        responses={200: "dev-token-action", 404: "error", **_E400},
    ),
    _route(
        "/tokens/revoke",
        revoke_token,
        "POST",
        name="dev_token_revoke",
        summary="Revoke a token now",
        request_contract="dev-token-request",
        responses={200: "dev-token-action", 404: "error", **_E400},
    ),
    _route(
        "/reset",
        reset,
        "POST",
        name="dev_reset",
        summary="Empty the server: no apps, tokens, faults or counters; real time",
        responses={200: "dev-done"},
    ),
]
