"""Routes that describe themselves: each public endpoint declares its request and response
contracts next to its handler, so the OpenAPI description and the contract tests are generated
from the same table the server routes with (one source of truth)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from starlette.routing import Route

#: Request media types: HTML form posts and most OAuth endpoints take forms only.
FORM_ONLY: tuple[str, ...] = ("application/x-www-form-urlencoded",)
#: The v3 and dated token endpoints also take JSON, as HubSpot's ``hubspot-sdk`` sends it.
FORM_AND_JSON: tuple[str, ...] = (*FORM_ONLY, "application/json")


class ApiRoute(Route):
    """A Starlette route plus its documentation and contracts.

    ``responses`` maps HTTP status to a contract name (``None`` for an empty body);
    ``request_contract`` names the contract of a request body, if any, sent as one of
    ``request_media_types``.
    """

    def __init__(
        self,
        path: str,
        endpoint: Callable[..., Any],
        *,
        methods: Sequence[str],
        name: str,
        summary: str,
        responses: Mapping[int, str | None],
        request_contract: str | None = None,
        request_media_types: Sequence[str] = FORM_ONLY,
        tags: Sequence[str] = (),
    ) -> None:
        super().__init__(path, endpoint, methods=list(methods), name=name)
        self.summary = summary
        self.responses = dict(responses)
        self.request_contract = request_contract
        self.request_media_types = tuple(request_media_types)
        self.tags = tuple(tags)


class TextRoute(Route):
    """A documented route whose body is not JSON (the metrics exposition, HTML pages).

    ``media_types`` maps HTTP status to the media type of the body; the OpenAPI description
    lists them without a schema.
    """

    def __init__(
        self,
        path: str,
        endpoint: Callable[..., Any],
        *,
        methods: Sequence[str],
        name: str,
        summary: str,
        media_types: Mapping[int, str],
        tags: Sequence[str] = (),
    ) -> None:
        super().__init__(path, endpoint, methods=list(methods), name=name)
        self.summary = summary
        self.media_types = dict(media_types)
        self.tags = tuple(tags)
