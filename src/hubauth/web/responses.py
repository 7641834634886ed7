"""JSON responses (orjson) with the headers every OAuth answer carries, and the optional
contract check of every body (``strict_contracts``)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import orjson
from starlette.responses import Response

from hubauth.web.services import services_in

#: RFC 6749 §5.1: responses carrying tokens or credentials must not be cached.
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}

ContractCheck = Callable[[str, Any], None]


class JSONResponse(Response):
    media_type = "application/json;charset=utf-8"

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)


_NO_STORE_RAW = [
    (b"content-type", JSONResponse.media_type.encode()),
    *((k.lower().encode(), v.encode()) for k, v in NO_STORE.items()),
]


class _NoStoreJSONResponse(JSONResponse):
    """The common case (no extra headers), with the header list built once rather than per
    response: the OAuth API answers every request this way."""

    def init_headers(self, headers: Mapping[str, str] | None = None) -> None:
        if self.status_code < 200 or self.status_code in (204, 304):
            super().init_headers(NO_STORE)  # bodiless statuses: Starlette's rules apply
            return
        self.raw_headers = [(b"content-length", str(len(self.body)).encode()), *_NO_STORE_RAW]


def json_response(
    request_app_state: Any,
    contract: str,
    body: Mapping[str, Any],
    status_code: int = 200,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    """Render ``body`` with the no-store headers; in strict mode first check it against its
    contract."""
    services = services_in(request_app_state)
    check = services.contract_check if services is not None else None
    if check is not None:
        check(contract, body)
    if not headers:
        return _NoStoreJSONResponse(body, status_code=status_code)
    return JSONResponse(body, status_code=status_code, headers={**NO_STORE, **headers})
