"""Reading request bodies within bounds, and ``application/x-www-form-urlencoded`` strictly.

RFC 6749 §3.2 requires this content type at the token endpoint and says parameters must not
be repeated (§3.1). The body is read up to ``limit`` bytes and no further, so an oversized
request costs at most that much memory. Token-endpoint requests are parsed by
:mod:`hubauth.web.token_request` with these pieces.
"""

from __future__ import annotations

from urllib.parse import parse_qsl

from starlette.requests import ClientDisconnect, Request
from starlette.types import Receive, Scope

from hubauth.contracts.checker import request_problems
from hubauth.core.errors import TokenError, invalid_request

FORM_TYPE = "application/x-www-form-urlencoded"
MAX_PARAMETERS = 64


async def receive_body(scope: Scope, receive: Receive, limit: int) -> bytes:
    """The whole request body, read straight from ASGI ``receive`` and never past ``limit``
    bytes (413 beyond); the one body reader of the token parse and the HTML form posts."""
    for name, value in scope["headers"]:
        if name == b"content-length":
            if not value.isdigit():
                raise invalid_request("Content-Length is malformed")
            if int(value) > limit:
                raise too_large(limit)
            break
    message = await receive()
    if message["type"] == "http.disconnect":
        raise ClientDisconnect()
    body: bytes = message.get("body", b"")
    if len(body) > limit:
        raise too_large(limit)
    if not message.get("more_body", False):
        return body  # the usual case: one message, no copy
    chunks = [body]
    size = len(body)
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientDisconnect()
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise too_large(limit)
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


async def read_body(request: Request, limit: int) -> bytes:
    return await receive_body(request.scope, request.receive, limit)


def too_large(limit: int) -> TokenError:
    return invalid_request(f"request body exceeds {limit} bytes", http_status=413)


def parse_form(raw: bytes | str) -> dict[str, str]:
    """Decode a urlencoded string; invalid UTF-8, NUL bytes and repeated names are refused."""
    try:
        text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
        pairs = parse_qsl(
            text,
            keep_blank_values=True,
            strict_parsing=False,
            encoding="utf-8",
            errors="strict",
            max_num_fields=MAX_PARAMETERS,
        )
    except UnicodeDecodeError:
        raise invalid_request("parameters must be UTF-8") from None
    except ValueError:
        raise invalid_request(f"too many parameters (at most {MAX_PARAMETERS})") from None
    params: dict[str, str] = {}
    for name, value in pairs:
        if name in params:
            raise invalid_request(f"parameter {name!r} is repeated")
        if "\x00" in value or "\x00" in name:
            raise invalid_request("parameters must not contain NUL characters")
        params[name] = value
    return params


def query_params(request: Request) -> dict[str, str]:
    return parse_form(request.scope.get("query_string", b""))


def check_contract(params: dict[str, str], contract: str) -> dict[str, str]:
    """Refuse parameters that break the request contract (lengths, types) before any work."""
    problems = request_problems(contract, params)
    if problems:
        first = problems[0]
        raise invalid_request(f"parameter {first.pointer.lstrip('/')!r}: {first.message}")
    return params
