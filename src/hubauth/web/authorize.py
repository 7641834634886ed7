"""The install flow: ``GET /oauth/authorize`` (spec §2.1), sign-in, account choice, consent.

RFC 6749 §4.1.1-§4.1.2.1, with HubSpot's parameters (``scope`` = every required scope,
``optional_scope`` = scopes granted only when the user ticks them, ``state`` echoed untouched)
and RFC 7636 PKCE (S256 only).

Steps, each a page rendered by :func:`_next_step` from the stored session and flow
(:mod:`hubauth.web.session`)::

    GET /oauth/authorize?...      validate, remember the request in the session (a "flow")
        sign-in page              POST /oauth/authorize/sign-in    -> 303 continue
        account chooser           POST /oauth/authorize/account    -> 303 continue
        consent page              POST /oauth/authorize/decision   -> 303 redirect_uri?code=…
    GET /oauth/authorize/continue?flow=ID   the page for where the flow now stands

Errors (RFC 6749 §4.1.2.1): while the client or redirect URI cannot be trusted, the error is
shown on a page and nothing is redirected; afterwards errors go back to the redirect URI as
``error``, ``error_description`` and ``state``. Redirects answering a GET use 302 (the
status of RFC 6749's examples); redirects answering a form post use 303, which makes every
browser follow with a GET and never re-send the form (RFC 9700 §4.12 warns against 307).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from starlette.requests import Request
from starlette.responses import Response

from hubauth.core import authorization, scopes
from hubauth.core.authorization import AuthorizationError, AuthorizeRequest
from hubauth.core.context import Context
from hubauth.core.errors import TokenError
from hubauth.core.install_page import InstallPageRules
from hubauth.core.models import Hub, User
from hubauth.core.ports import StoreUnavailable
from hubauth.core.signin import ADDRESS_GROUP, EMAIL_GROUP, SignInError, SignInGuard, sign_in
from hubauth.ratelimit import Limit
from hubauth.web import pages
from hubauth.web.errors import request_id
from hubauth.web.forms import FORM_TYPE, MAX_PARAMETERS, query_params, read_body
from hubauth.web.routing import ApiRoute
from hubauth.web.session import Pending, Session, SessionStore, SessionTooLarge

_log = logging.getLogger("hubauth.web")

#: The parameters HubSpot's authorize URL takes (spec §2.1); others are ignored (RFC 6749 §3.1).
AUTHORIZE_PARAMS = (
    "client_id",
    "redirect_uri",
    "scope",
    "optional_scope",
    "state",
    "code_challenge",
    "code_challenge_method",
)
CONTINUE_PATH = "/oauth/authorize/continue"
STYLESHEET_PATH = "/oauth/authorize/assets/authorize.css"
#: Sign-in, account and consent forms are tiny; anything bigger is not ours.
FORM_LIMIT = 8192

_STYLESHEET = (pages.STATIC / "authorize.css").read_bytes()
FAVICON_PATH = "/oauth/authorize/assets/favicon.svg"
_FAVICON = (pages.STATIC / "favicon.svg").read_bytes()


# --- per-app state and plumbing ----------------------------------------------------------------


@dataclass
class _PageState:
    sessions: SessionStore
    guard: SignInGuard


def _page_state(request: Request) -> _PageState:
    """Created on first use so ``create_app`` needs no change; one per app (per worker)."""
    state = request.app.state
    found = getattr(state, "authorize_pages", None)
    if found is None:
        settings = state.settings
        sessions = SessionStore(
            settings.keyring(),
            idle_s=settings.session_idle_timeout,
            absolute_s=settings.session_absolute_timeout,
        )
        found = _PageState(sessions, _sign_in_guard(state))
        state.authorize_pages = found
    return found


def _sign_in_guard(state: Any) -> SignInGuard:
    settings = state.settings
    window = settings.signin_window
    return SignInGuard(
        state.limiter,
        per_email=Limit(EMAIL_GROUP, settings.signin_email_failures, window),
        per_address=Limit(ADDRESS_GROUP, settings.signin_address_attempts, window),
        concurrency=settings.signin_concurrency,
    )


def _ctx(request: Request) -> Context:
    ctx: Context = request.app.state.ctx
    return ctx


class _Stop(Exception):
    """Finish the request with ``response`` (keeps the handlers free of nested ifs)."""

    def __init__(self, response: Response, *, save_session: bool = True) -> None:
        self.response = response
        self.save_session = save_session


async def _session(request: Request) -> Session:
    cached = request.scope.setdefault("state", {}).get("authorize_session")
    if cached is None:
        ctx = _ctx(request)
        cached = await _sessions(request).load(ctx.store, request, ctx.now_ms())
        request.scope["state"]["authorize_session"] = cached
    session: Session = cached
    return session


def _sessions(request: Request) -> SessionStore:
    return _page_state(request).sessions


def _secure(request: Request) -> bool:
    return request.url.scheme == "https" or request.app.state.settings.issuer.startswith("https:")


Handler = Callable[[Request], Awaitable[Response]]


def _page(handler: Handler) -> Handler:
    """Run a page handler: turn :class:`_Stop`, body errors and a lost database into pages,
    then write the session cookie if the session changed."""

    async def endpoint(request: Request) -> Response:
        save = True
        try:
            response = await handler(request)
        except _Stop as stop:
            response, save = stop.response, stop.save_session
        except TokenError as exc:  # the form reader: too large, wrong type, bad encoding
            response, save = _error_page(request, exc.http_status, exc.message), False
        except StoreUnavailable as exc:
            _log.error("database unavailable: %s", exc)
            response = _error_page(
                request,
                503,
                "hubauth cannot reach its database right now. Please try again in a moment.",
                heading="Temporarily unavailable",
                headers={"Retry-After": "5"},
            )
            save = False
        session = request.scope.get("state", {}).get("authorize_session")
        if save and session is not None:
            SessionStore.save(response, session, secure=_secure(request))
        return response

    endpoint.__name__ = handler.__name__
    endpoint.__doc__ = handler.__doc__
    return endpoint


def _error_page(
    request: Request,
    status_code: int,
    message: str,
    *,
    heading: str = "This install link can't be used",
    error: str | None = None,
    detail: str | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    return pages.render(
        "error.html",
        status_code,
        headers=headers,
        title=heading,
        heading=heading,
        message=message,
        error=error,
        detail=detail,
        correlation_id=request_id(request),
        stylesheet=STYLESHEET_PATH,
    )


def _expired(request: Request) -> _Stop:
    return _Stop(
        _error_page(
            request,
            400,
            "This install page has expired or was opened in another browser. Go back to the "
            "app and start the install again. (Cookies must be enabled for this site.)",
            heading="This install page has expired",
        ),
        save_session=False,
    )


async def _read_form(request: Request) -> tuple[dict[str, str], list[str]]:
    """An HTML form post: urlencoded, bounded, UTF-8, no NULs. Repeated names are refused
    except ``optional_scope`` (one checkbox per optional scope)."""
    content_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if content_type != FORM_TYPE:
        raise _Stop(
            _error_page(request, 415, "This form must be sent as a web form."), save_session=False
        )
    body = await read_body(request, FORM_LIMIT)
    try:
        pairs = parse_qsl(
            body.decode("utf-8"),
            keep_blank_values=True,
            errors="strict",
            max_num_fields=MAX_PARAMETERS,
        )
    except (UnicodeDecodeError, ValueError):
        raise _Stop(
            _error_page(request, 400, "The form could not be read."), save_session=False
        ) from None
    fields: dict[str, str] = {}
    optional: list[str] = []
    for name, value in pairs:
        if "\x00" in name or "\x00" in value or (name in fields and name != "optional_scope"):
            raise _Stop(
                _error_page(request, 400, "The form could not be read."), save_session=False
            )
        if name == "optional_scope":
            optional.append(value)
        else:
            fields[name] = value
    return fields, optional


async def _checked_post(request: Request) -> tuple[dict[str, str], list[str], str, Pending]:
    """Read a form post, check its CSRF token against the session, find its flow."""
    form, optional = await _read_form(request)
    session = await _session(request)
    if not session.csrf_ok(form.get("csrf_token")):
        _ctx(request).audit("csrf_rejected", path=request.url.path)
        raise _Stop(
            _error_page(
                request,
                403,
                "This form was not sent from this site's page, or the page was open too long. "
                "Go back, reload the page and try again.",
                heading="Request refused",
            ),
            save_session=False,
        )
    flow = form.get("flow", "")
    pending = await _sessions(request).find_flow(
        _ctx(request).store, session, flow, _ctx(request).now_ms()
    )
    if pending is None:
        raise _expired(request)
    return form, optional, flow, pending


def _continue_url(flow: str) -> str:
    return f"{CONTINUE_PATH}?{urlencode({'flow': flow})}"


# --- authorization request checks --------------------------------------------------------------


async def _validated(request: Request, pending: Pending, *, after_post: bool) -> AuthorizeRequest:
    """Re-check the remembered request (the app may have changed since); errors become a page
    or a redirect to the app (:func:`_authorization_error`)."""
    p = pending.params
    try:
        auth = await authorization.validate_request(
            _ctx(request),
            client_id=p.get("client_id"),
            redirect_uri=p.get("redirect_uri"),
            scope=p.get("scope"),
            optional_scope=p.get("optional_scope"),
            state=p.get("state"),
            code_challenge=p.get("code_challenge"),
            code_challenge_method=p.get("code_challenge_method"),
        )
    except AuthorizationError as exc:
        raise _Stop(_authorization_error(request, exc, p, after_post=after_post)) from None
    return auth


#: What the user reads when the request cannot be trusted (the core's description follows as
#: the technical detail for the app's developer).
_UNTRUSTED_MESSAGES = {
    "invalid_client": "The link names an app that this server does not know.",
    "invalid_request": "The app asked to send you back to an address it has not registered, "
    "so you will not be sent there.",
    # HubSpot's rule (HUBAUTH_INSTALL_PAGE_RULES=hubspot): shown here, not sent to the app.
    "invalid_scope": "The app's install link does not ask for all the permissions the app "
    "requires, so it cannot be installed from this link.",
}


def _authorization_error(
    request: Request, exc: AuthorizationError, params: dict[str, str], *, after_post: bool
) -> Response:
    if not exc.redirectable:
        return _error_page(
            request,
            400,
            _UNTRUSTED_MESSAGES.get(exc.error, _UNTRUSTED_MESSAGES["invalid_request"]),
            error=exc.error,
            detail=exc.description,
        )
    return _back_to_app(
        params["redirect_uri"],
        {"error": exc.error, "error_description": exc.description, "state": params.get("state")},
        after_post=after_post,
    )


def _back_to_app(redirect_uri: str, params: dict[str, str | None], *, after_post: bool) -> Response:
    return pages.redirect(
        authorization.redirect_with(redirect_uri, params), 303 if after_post else 302
    )


# --- the pages ---------------------------------------------------------------------------------


def _scope_rows(names: tuple[str, ...]) -> list[dict[str, str]]:
    return [{"name": s, "description": scopes.describe(s)} for s in names]


def _common(session: Session, flow: str, auth: AuthorizeRequest) -> dict[str, Any]:
    return {
        "app_name": auth.app.name,
        "csrf_token": session.csrf_token,
        "flow": flow,
        "redirect_host": urlsplit(auth.redirect_uri).netloc or auth.redirect_uri,
        "stylesheet": STYLESHEET_PATH,
    }


def _sign_in_page(
    session: Session,
    flow: str,
    auth: AuthorizeRequest,
    *,
    error: str | None = None,
    email: str = "",
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> Response:
    return pages.render(
        "sign_in.html",
        status_code,
        form_target=auth.redirect_uri,
        headers=headers,
        title="Sign in",
        error=error,
        email=email,
        **_common(session, flow, auth),
    )


def _resolve_hub(pending: Pending, hubs: list[Hub]) -> Hub | None:
    """The account this install goes to: the pinned one (``/oauth/{hub_id}/authorize``), the
    chosen one, or the user's only one. ``None`` means the user must (or cannot) choose."""
    by_id = {h.hub_id: h for h in hubs}
    if pending.pinned_hub_id is not None:
        return by_id.get(pending.pinned_hub_id)
    if pending.chosen_hub_id is not None and pending.chosen_hub_id in by_id:
        return by_id[pending.chosen_hub_id]
    return hubs[0] if len(hubs) == 1 else None


async def _signed_in(request: Request, session: Session) -> User | None:
    user_id = session.signed_in_user()
    if user_id is None:
        return None
    return await _ctx(request).store.find_user(user_id)


async def _next_step(
    request: Request, flow: str, pending: Pending, auth: AuthorizeRequest
) -> Response:
    """Render the page for where the flow stands: sign in, choose an account, or consent."""
    session = await _session(request)
    user = await _signed_in(request, session)
    if user is None:
        return _sign_in_page(session, flow, auth)
    hubs = await _ctx(request).store.list_user_hubs(user.user_id)
    hub = _resolve_hub(pending, hubs)
    common = {**_common(session, flow, auth), "email": user.email}
    if hub is None and (pending.pinned_hub_id is not None or not hubs):
        message = (
            f"You are signed in as {user.email}, who has no access to account "
            f"{pending.pinned_hub_id}."
            if pending.pinned_hub_id is not None
            else f"You are signed in as {user.email}, who is not a member of any account."
        )
        return pages.render(
            "no_account.html",
            403,
            form_target=auth.redirect_uri,
            title="No account",
            message=message,
            **common,
        )
    if hub is None:
        return pages.render(
            "choose_account.html",
            form_target=auth.redirect_uri,
            title="Choose an account",
            hubs=hubs,
            selected=pending.chosen_hub_id,
            **common,
        )
    return pages.render(
        "consent.html",
        form_target=auth.redirect_uri,
        title=f"Connect {auth.app.name}",
        hub=hub,
        required=_scope_rows(auth.scope_request.required),
        optional=_scope_rows(auth.scope_request.optional),
        can_change_account=pending.pinned_hub_id is None and len(hubs) > 1,
        **common,
    )


# --- handlers ----------------------------------------------------------------------------------


async def authorize(request: Request) -> Response:
    """``GET /oauth/authorize`` and ``GET /oauth/{hub_id}/authorize`` (spec §2.1)."""
    ctx = _ctx(request)
    try:
        query = query_params(request)
    except TokenError:  # repeated parameters (RFC 6749 §3.1), bad encoding
        # A fixed detail: the parser's message quotes parameter names, which the link's
        # author chose, and this page must not print their words (content spoofing).
        raise _Stop(
            _error_page(
                request,
                400,
                "The install link is malformed.",
                error="invalid_request",
                detail="A parameter is repeated, is not valid UTF-8, or there are too many.",
            )
        ) from None
    params = {k: query[k] for k in AUTHORIZE_PARAMS if k in query}
    now = ctx.now_ms()
    pending = Pending(params, now, pinned_hub_id=request.path_params.get("hub_id"))
    auth = await _validated(request, pending, after_post=False)
    response_type = query.get("response_type")
    if response_type is not None and response_type != "code":
        raise _Stop(
            _back_to_app(
                auth.redirect_uri,
                {
                    "error": "unsupported_response_type",
                    "error_description": "response_type must be code",
                    "state": auth.state,
                },
                after_post=False,
            )
        )
    session = await _session(request)
    try:
        flow = await _sessions(request).add_flow(ctx.store, session, pending)
    except SessionTooLarge:
        raise _Stop(
            _back_to_app(
                auth.redirect_uri,
                {
                    "error": "invalid_request",
                    "error_description": "the authorization request is too large",
                    "state": auth.state,
                },
                after_post=False,
            )
        ) from None
    return await _next_step(request, flow, pending, auth)


async def continue_flow(request: Request) -> Response:
    """``GET /oauth/authorize/continue?flow=ID``: the current page of a flow (after a post)."""
    flow = request.query_params.get("flow", "")
    ctx = _ctx(request)
    pending = await _sessions(request).find_flow(
        ctx.store, await _session(request), flow, ctx.now_ms()
    )
    if pending is None:
        raise _expired(request)
    auth = await _validated(request, pending, after_post=False)
    return await _next_step(request, flow, pending, auth)


async def sign_in_post(request: Request) -> Response:
    """``POST /oauth/authorize/sign-in``: e-mail and password (argon2id, attempt-limited)."""
    form, _, flow, pending = await _checked_post(request)
    auth = await _validated(request, pending, after_post=True)
    session = await _session(request)
    ctx = _ctx(request)
    client = request.client.host if request.client else "unknown"
    email = form.get("email", "")
    try:
        user = await sign_in(
            ctx,
            _page_state(request).guard,
            email=email,
            password=form.get("password", ""),
            client=client,
        )
    except SignInError as exc:
        if exc.retry_after_s is not None:
            return _sign_in_page(
                session,
                flow,
                auth,
                error=exc.message,
                email=email,
                status_code=429,
                headers={"Retry-After": str(exc.retry_after_s)},
            )
        return _sign_in_page(session, flow, auth, error=exc.message, email=email, status_code=422)
    await _sessions(request).sign_in(ctx.store, session, user.user_id, ctx.now_ms())
    return pages.redirect(_continue_url(flow), 303)


async def sign_out_post(request: Request) -> Response:
    """``POST /oauth/authorize/sign-out``: forget the user, keep the flow (sign in again)."""
    _, _, flow, _ = await _checked_post(request)
    ctx = _ctx(request)
    await _sessions(request).sign_out(ctx.store, await _session(request), ctx.now_ms())
    return pages.redirect(_continue_url(flow), 303)


async def account_post(request: Request) -> Response:
    """``POST /oauth/authorize/account``: choose the account (hub) to install into; an empty
    ``hub_id`` goes back to the chooser."""
    form, _, flow, _ = await _checked_post(request)
    session = await _session(request)
    user = await _signed_in(request, session)
    if user is None:
        return pages.redirect(_continue_url(flow), 303)
    raw = form.get("hub_id", "")
    store = _ctx(request).store
    if not raw:
        await _sessions(request).choose_hub(store, session, flow, None)
        return pages.redirect(_continue_url(flow), 303)
    hubs = await _ctx(request).store.list_user_hubs(user.user_id)
    chosen = next((h for h in hubs if str(h.hub_id) == raw), None)
    if chosen is None:
        raise _Stop(
            _error_page(
                request,
                403,
                "You do not have access to that account.",
                heading="Account not available",
            )
        )
    await _sessions(request).choose_hub(store, session, flow, chosen.hub_id)
    return pages.redirect(_continue_url(flow), 303)


async def decision_post(request: Request) -> Response:
    """``POST /oauth/authorize/decision``: ``approve`` issues a code; ``deny`` (allowed before
    signing in, as "Cancel") sends ``error=access_denied``. Both end the flow with a 303 to the
    app's redirect URI, ``state`` echoed."""
    form, optional, flow, pending = await _checked_post(request)
    auth = await _validated(request, pending, after_post=True)
    session = await _session(request)
    ctx = _ctx(request)
    decision = form.get("decision")
    if decision == "deny":
        if not await _sessions(request).consume_flow(ctx.store, session, flow, ctx.now_ms()):
            raise _expired(request)
        _ctx(request).audit("install_denied", app_id=auth.app.app_id)
        if _ctx(request).policy.install_page_rules is InstallPageRules.HUBSPOT:
            # HubSpot: when the user does not grant access, "no request will be sent".
            return pages.render(
                "error.html",
                200,
                title="The app was not connected",
                heading="The app was not connected",
                message=f"You chose not to connect {auth.app.name}. Nothing was sent to the "
                "app. You can close this page.",
                error=None,
                detail=None,
                correlation_id=request_id(request),
                stylesheet=STYLESHEET_PATH,
            )
        return _back_to_app(
            auth.redirect_uri,
            {
                "error": "access_denied",
                "error_description": "The user declined to install the app",
                "state": auth.state,
            },
            after_post=True,
        )
    if decision != "approve":
        raise _Stop(_error_page(request, 400, "Choose whether to connect the app."))
    user = await _signed_in(request, session)
    if user is None:
        return pages.redirect(_continue_url(flow), 303)
    hub = _resolve_hub(pending, await _ctx(request).store.list_user_hubs(user.user_id))
    if hub is None or form.get("hub_id") != str(hub.hub_id):
        # The account changed in another tab since this page was shown: show the page again
        # rather than install somewhere the user did not see.
        return pages.redirect(_continue_url(flow), 303)
    accepted = [s for s in optional if s in auth.scope_request.optional]
    # Consume first, in one conditional DELETE: of any number of replayed or concurrent
    # decisions for this flow exactly one gets past here, so at most one code is minted.
    if not await _sessions(request).consume_flow(ctx.store, session, flow, ctx.now_ms()):
        raise _expired(request)
    code = await authorization.approve(ctx, auth, hub, user, accepted)
    return _back_to_app(auth.redirect_uri, {"code": code, "state": auth.state}, after_post=True)


async def stylesheet(request: Request) -> Response:
    """The one self-hosted stylesheet (no third-party assets)."""
    return Response(
        _STYLESHEET,
        media_type="text/css; charset=utf-8",
        headers={"Cache-Control": "public, max-age=3600", "X-Content-Type-Options": "nosniff"},
    )


async def favicon(request: Request) -> Response:
    """The pages' icon, also at ``/favicon.ico`` where browsers ask for it unprompted (every
    page used to log a 404 for it). SVG, which current browsers accept at either path."""
    return Response(
        _FAVICON,
        media_type="image/svg+xml",
        headers={"Cache-Control": "public, max-age=86400", "X-Content-Type-Options": "nosniff"},
    )


#: HTML pages and redirects have no JSON body, hence no contract: ``None`` in ``responses``.
_PAGE = {200: None, 400: None, 403: None, 503: None}
_TAGS = ["Install pages (HTML)"]

routes = [
    ApiRoute(
        "/oauth/authorize",
        _page(authorize),
        methods=["GET"],
        name="authorize",
        summary="Start an install: sign-in, account choice and consent pages (HTML)",
        responses={**_PAGE, 302: None},
        tags=_TAGS,
    ),
    ApiRoute(
        "/oauth/{hub_id:int}/authorize",
        _page(authorize),
        methods=["GET"],
        name="authorize_for_hub",
        summary="Start an install into one given account (no account choice)",
        responses={**_PAGE, 302: None},
        tags=_TAGS,
    ),
    ApiRoute(
        CONTINUE_PATH,
        _page(continue_flow),
        methods=["GET"],
        name="authorize_continue",
        summary="The current page of an install in progress",
        responses={**_PAGE, 302: None},
        tags=_TAGS,
    ),
    ApiRoute(
        "/oauth/authorize/sign-in",
        _page(sign_in_post),
        methods=["POST"],
        name="authorize_sign_in",
        summary="Sign in with e-mail and password (form post)",
        responses={**_PAGE, 303: None, 413: None, 415: None, 422: None, 429: None},
        tags=_TAGS,
    ),
    ApiRoute(
        "/oauth/authorize/sign-out",
        _page(sign_out_post),
        methods=["POST"],
        name="authorize_sign_out",
        summary="Sign out and return to the sign-in page (form post)",
        responses={**_PAGE, 303: None, 413: None, 415: None},
        tags=_TAGS,
    ),
    ApiRoute(
        "/oauth/authorize/account",
        _page(account_post),
        methods=["POST"],
        name="authorize_account",
        summary="Choose the account to install into (form post)",
        responses={**_PAGE, 303: None, 413: None, 415: None},
        tags=_TAGS,
    ),
    ApiRoute(
        "/oauth/authorize/decision",
        _page(decision_post),
        methods=["POST"],
        name="authorize_decision",
        summary="Approve or deny the install; redirects to the app (form post)",
        responses={**_PAGE, 303: None, 413: None, 415: None},
        tags=_TAGS,
    ),
    ApiRoute(
        STYLESHEET_PATH,
        stylesheet,
        methods=["GET"],
        name="authorize_stylesheet",
        summary="Stylesheet of the install pages",
        responses={200: None},
        tags=_TAGS,
    ),
    ApiRoute(
        FAVICON_PATH,
        favicon,
        methods=["GET"],
        name="authorize_favicon",
        summary="Icon of the install pages",
        responses={200: None},
        tags=_TAGS,
    ),
    ApiRoute(
        "/favicon.ico",
        favicon,
        methods=["GET"],
        name="favicon",
        summary="The same icon where browsers look for one by default",
        responses={200: None},
        tags=_TAGS,
    ),
]
