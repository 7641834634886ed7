"""The guard as a FastAPI / Starlette dependency (needs Starlette, which FastAPI brings).

guard = ResourceGuard(IntrospectionVerifier(...))
app = FastAPI()
install(app)  # renders refusals in HubSpot's error shape

@app.get("/deals")
async def deals(token: TokenInfo = Depends(requires(guard, "crm.objects.deals.read"))): ...
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from hubauth.resource import GuardError, ResourceGuard, TokenInfo

__all__ = ["error_response", "install", "requires"]


def requires(guard: ResourceGuard, *scopes: str) -> Callable[[Request], Awaitable[TokenInfo]]:
    """A dependency returning the request's :class:`TokenInfo` once the token is live and holds
    every one of ``scopes``; raises :class:`GuardError` otherwise (see :func:`install`)."""

    async def dependency(request: Request) -> TokenInfo:
        info = await guard.check(request.headers.get("authorization"), scopes)
        request.state.hubauth_token = info
        return info

    return dependency


async def error_response(request: Request, exc: Exception) -> Response:
    """The exception handler that turns a :class:`GuardError` into its HubSpot-shaped answer."""
    assert isinstance(exc, GuardError)
    status, headers, body = exc.response()
    return Response(body, status_code=status, headers=headers)


def install(app: Any) -> None:
    """Register :func:`error_response` on a Starlette or FastAPI application."""
    app.add_exception_handler(GuardError, error_response)
