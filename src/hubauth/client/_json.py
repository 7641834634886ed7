"""JSON for the client with the standard library only (the light install depends on httpx
alone), as strict as orjson was: ``NaN``/``Infinity`` are refused, not read as floats."""

from __future__ import annotations

import json
from typing import Any


def _refuse(constant: str) -> Any:
    raise ValueError(f"not JSON: {constant}")


def loads(data: str | bytes) -> Any:
    """Raises ``ValueError`` (``json.JSONDecodeError``, ``UnicodeDecodeError``) on bad input."""
    return json.loads(data, parse_constant=_refuse)


def dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
