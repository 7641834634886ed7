"""Routes that describe themselves: each public endpoint declares its request and response
contracts next to its handler, so the OpenAPI description and the contract tests are generated
from the same table the server routes with (one source of truth)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from starlette.routing import Route


class ApiRoute(Route):
    """A Starlette route plus its documentation and contracts.

    ``responses`` maps HTTP status to a contract name (``None`` for an empty body);
    ``request_contract`` names the contract of a form body, if any.
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
        tags: Sequence[str] = (),
        request_media_type: str = "application/x-www-form-urlencoded",
    ) -> None:
        super().__init__(path, endpoint, methods=list(methods), name=name)
        self.summary = summary
        self.responses = dict(responses)
        self.request_contract = request_contract
        self.tags = tuple(tags)
        #: The media type of a request body (the developer control API takes JSON).
        self.request_media_type = request_media_type


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
