"""Reading ``application/x-www-form-urlencoded`` bodies strictly and within bounds.

RFC 6749 §3.2 requires this content type at the token endpoint and says parameters must not
be repeated (§3.1). The body is read up to ``limit`` bytes and no further, so an oversized
request costs at most that much memory.
"""

from __future__ import annotations

from urllib.parse import parse_qsl

from starlette.requests import Request

from hubauth.contracts.checker import request_problems
from hubauth.core.errors import TokenError, invalid_request

FORM_TYPE = "application/x-www-form-urlencoded"
MAX_PARAMETERS = 64


def _content_type(request: Request) -> str:
    return request.headers.get("content-type", "").split(";", 1)[0].strip().lower()


async def read_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None:
        if not declared.isdigit():
            raise invalid_request("Content-Length is malformed")
        if int(declared) > limit:
            raise too_large(limit)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise too_large(limit)
        chunks.append(chunk)
    return b"".join(chunks)


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


async def read_form(request: Request, limit: int) -> dict[str, str]:
    if _content_type(request) != FORM_TYPE:
        raise invalid_request(f"Content-Type must be {FORM_TYPE}", http_status=415)
    return parse_form(await read_body(request, limit))


def query_params(request: Request) -> dict[str, str]:
    return parse_form(request.scope.get("query_string", b""))


def check_contract(params: dict[str, str], contract: str) -> dict[str, str]:
    """Refuse parameters that break the request contract (lengths, types) before any work."""
    problems = request_problems(contract, params)
    if problems:
        first = problems[0]
        raise invalid_request(f"parameter {first.pointer.lstrip('/')!r}: {first.message}")
    return params
