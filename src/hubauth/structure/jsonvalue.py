"""JSON value identity, used for ``enum`` duplicates, ``set`` and ``uniqueItems``.

Two values are the same JSON value when they have the same JSON kind and
content: ``1`` and ``1.0`` are the same number, ``true`` and ``1`` are not
(Python says ``True == 1``), object member order does not matter.
"""

from __future__ import annotations

from typing import Any


class TooDeep(Exception):
    """Raised when a value nests deeper than the caller allows."""


_NUMBER = "n"


def canonical(value: Any, limit: int = 256) -> Any:
    """A hashable key such that equal keys mean equal JSON values."""
    if limit <= 0:
        raise TooDeep
    t = type(value)
    if t is str:
        return value
    if value is None or value is True or value is False:
        return (t.__name__, value)
    if t is int or t is float:
        return (_NUMBER, value)
    if isinstance(value, dict):
        return ("o", frozenset((k, canonical(v, limit - 1)) for k, v in value.items()))
    if isinstance(value, list):
        return ("a", tuple(canonical(v, limit - 1) for v in value))
    if isinstance(value, str):
        return str(value)
    return ("?", repr(value))


def first_duplicate(values: list[Any], limit: int = 256) -> int | None:
    """Index of the first element equal to an earlier one, or ``None``."""
    seen: set[Any] = set()
    for i, v in enumerate(values):
        key = canonical(v, limit)
        if key in seen:
            return i
        seen.add(key)
    return None
