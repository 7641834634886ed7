"""The OpenAPI 3.1 description of the server, generated from the routes it actually serves.

Every route of ``route_table()`` is described, so routes added by other modules appear as soon as
they are in the table:

* :class:`~hubauth.web.routing.ApiRoute`: summary, tags, the request contract (a form body for
  POST/PUT/PATCH, query parameters for GET/DELETE) and one JSON response per declared status,
  each a ``$ref`` to the contract translated to JSON Schema 2020-12
  (:mod:`hubauth.contracts.openapi`);
* :class:`~hubauth.web.routing.TextRoute`: its non-JSON media types (metrics, HTML);
* any other Starlette route: its path and methods, the first docstring line as summary and a
  ``default`` response, so nothing served is missing from the description.

``HEAD`` is left out (Starlette answers it for every ``GET``). Path parameters come from the
route's convertors: ``{token:path}`` is documented as ``{token}``.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterator, Sequence
from http import HTTPStatus
from typing import Any

from starlette.convertors import FloatConvertor, IntegerConvertor
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Mount, Route

from hubauth import __version__, contracts
from hubauth.contracts.openapi import JSON_SCHEMA_DIALECT, component_name, to_components
from hubauth.web.access import template_of
from hubauth.web.responses import json_response
from hubauth.web.routing import ApiRoute, TextRoute
from hubauth.web.services import services_of

OPENAPI_VERSION = "3.1.0"
SCHEMAS_REF = "#/components/schemas/"
REQUEST_ID_HEADER = "X-Request-Id"
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
_JSON = "application/json"

DESCRIPTION = (
    "A HubSpot-compatible OAuth 2.0 authorization server. Token-endpoint errors use the "
    "RFC 6749 §5.2 + HubSpot body (`error`, `error_description`, `status`, `message`); every "
    "other error uses HubSpot's error object (`status: error`, `message`, `category`). "
    "`correlationId` in an error body is the request id, also sent as the `X-Request-Id` "
    "header: quote it when reporting a problem. This description is generated from the "
    "server's route table and its JSON Structure contracts."
)
PARAMETER_DESCRIPTIONS = {
    "token": "The token itself. It is never logged; log lines carry a short fingerprint.",
}


def _walk(routes: Sequence[BaseRoute], prefix: str = "") -> Iterator[tuple[str, Route]]:
    for route in routes:
        if isinstance(route, Mount):
            yield from _walk(route.routes, prefix + route.path)
        elif isinstance(route, Route):
            yield prefix, route


def _methods(route: Route) -> list[str]:
    return sorted((route.methods or {"GET"}) - {"HEAD"})


def _path_parameters(route: Route) -> list[dict[str, Any]]:
    params = []
    for name, convertor in route.param_convertors.items():
        schema: dict[str, Any] = {"type": "string"}
        if isinstance(convertor, IntegerConvertor):
            schema = {"type": "integer", "minimum": 0}
        elif isinstance(convertor, FloatConvertor):
            schema = {"type": "number", "minimum": 0}
        param = {"name": name, "in": "path", "required": True, "schema": schema}
        if name in PARAMETER_DESCRIPTIONS:
            param["description"] = PARAMETER_DESCRIPTIONS[name]
        params.append(param)
    return params


def _summary(route: Route) -> str:
    summary = getattr(route, "summary", None)
    if isinstance(summary, str) and summary:
        return summary
    doc = inspect.getdoc(route.endpoint) or ""
    return doc.strip().splitlines()[0] if doc.strip() else route.name


def _response_head(status: int | str) -> dict[str, Any]:
    description = HTTPStatus(status).phrase if isinstance(status, int) else "Not described"
    return {
        "description": description,
        "headers": {REQUEST_ID_HEADER: {"$ref": f"#/components/headers/{REQUEST_ID_HEADER}"}},
    }


class _Builder:
    def __init__(self) -> None:
        self.schemas: dict[str, dict[str, Any]] = {}
        self._owner: dict[str, str] = {}

    def ref(self, contract: str) -> dict[str, str]:
        """A ``$ref`` to ``contract``'s component, adding its schemas on first use."""
        struct = contracts.load(contract)
        root = component_name(struct, contract)
        if root not in self.schemas:
            for name, schema in to_components(struct, contract, SCHEMAS_REF).items():
                if name in self._owner:
                    raise ValueError(f"{contract} and {self._owner[name]} both define {name}")
                self._owner[name] = contract
                self.schemas[name] = schema
        elif self._owner[root] != contract:
            raise ValueError(f"{contract} and {self._owner[root]} are both named {root}")
        return {"$ref": SCHEMAS_REF + root}

    def operation(self, route: Route, method: str, several: bool) -> dict[str, Any]:
        op: dict[str, Any] = {
            "operationId": f"{route.name}_{method.lower()}" if several else route.name,
            "summary": _summary(route),
        }
        tags = list(getattr(route, "tags", ()))
        if tags:
            op["tags"] = tags
        params = _path_parameters(route)
        if isinstance(route, ApiRoute):
            if route.request_contract:
                if method in _BODY_METHODS:
                    op["requestBody"] = {
                        "required": True,
                        "content": {
                            media: {"schema": self.ref(route.request_contract)}
                            for media in route.request_media_types
                        },
                    }
                else:
                    params += self._query_parameters(route.request_contract)
            op["responses"] = {
                str(status): self._json_response(status, contract)
                for status, contract in sorted(route.responses.items())
            }
        elif isinstance(route, TextRoute):
            op["responses"] = {
                str(status): {**_response_head(status), "content": {media: {}}}
                for status, media in sorted(route.media_types.items())
            }
        else:
            op["responses"] = {"default": _response_head("default")}
        if params:
            op["parameters"] = params
        return op

    def _json_response(self, status: int, contract: str | None) -> dict[str, Any]:
        response = _response_head(status)
        if contract is not None:
            response["content"] = {_JSON: {"schema": self.ref(contract)}}
        return response

    def _query_parameters(self, contract: str) -> list[dict[str, Any]]:
        self.ref(contract)
        struct = contracts.load(contract)
        schema = self.schemas[component_name(struct, contract)]
        required = set(schema.get("required", ()))
        return [
            {"name": name, "in": "query", "required": name in required, "schema": prop}
            for name, prop in schema.get("properties", {}).items()
        ]


def build_document(routes: Sequence[BaseRoute], server_url: str | None = None) -> dict[str, Any]:
    builder = _Builder()
    paths: dict[str, dict[str, Any]] = {}
    tags: list[str] = []
    for prefix, route in _walk(routes):
        item = paths.setdefault(template_of(prefix + route.path), {})
        methods = _methods(route)
        for method in methods:
            if method.lower() in item:
                raise ValueError(f"{method} {route.path} is routed twice")
            item[method.lower()] = builder.operation(route, method, len(methods) > 1)
        tags += [t for t in getattr(route, "tags", ()) if t not in tags]
    document: dict[str, Any] = {
        "openapi": OPENAPI_VERSION,
        "info": {"title": "hubauth", "version": __version__, "description": DESCRIPTION},
        "jsonSchemaDialect": JSON_SCHEMA_DIALECT,
        "paths": paths,
        "components": {
            "schemas": dict(sorted(builder.schemas.items())),
            "headers": {
                REQUEST_ID_HEADER: {
                    "description": "The request id; error bodies repeat it as correlationId.",
                    "schema": {"type": "string", "format": "uuid"},
                }
            },
        },
        "tags": [{"name": t} for t in tags],
    }
    if server_url:
        document["servers"] = [{"url": server_url}]
    return document


def document_of(request: Request) -> dict[str, Any]:
    """The app's description, built on first use (the route table does not change)."""
    state = request.app.state
    cached = getattr(state, "openapi_document", None)
    if cached is None:
        cached = build_document(request.app.routes, services_of(request).settings.public_url)
        state.openapi_document = cached
    return cached


async def openapi_json(request: Request) -> Response:
    return json_response(request.app.state, "openapi-document", document_of(request))
