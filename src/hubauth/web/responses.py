"""JSON responses (orjson) with the headers every OAuth answer carries, and the optional
contract check of every body (``strict_contracts``)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import orjson
from starlette.responses import Response

#: RFC 6749 §5.1: responses carrying tokens or credentials must not be cached.
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}

ContractCheck = Callable[[str, Any], None]


class JSONResponse(Response):
    media_type = "application/json;charset=utf-8"

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)


def json_response(
    request_app_state: Any,
    contract: str,
    body: Mapping[str, Any],
    status_code: int = 200,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    """Render ``body``; in strict mode first check it against its contract."""
    check: ContractCheck | None = getattr(request_app_state, "contract_check", None)
    if check is not None:
        check(contract, body)
    merged = dict(NO_STORE)
    if headers:
        merged.update(headers)
    return JSONResponse(body, status_code=status_code, headers=merged)
