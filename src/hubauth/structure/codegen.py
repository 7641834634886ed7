"""Generate the fast-path functions for objects and arrays.

Closures are flexible but each property check costs a Python call.  For the
common shapes (an object whose constraints are "these properties, these
required, maybe no extras"; an array of one item type) this module writes a
small Python function in which primitive checks are inlined as expressions,
e.g. ``type(x) is str`` or ``type(x) is int and -2147483648 <= x <= 2147483647``.

The generated source is built only from trusted fragments: property names
enter the source as ``repr()`` string literals and every other value (bounds,
child functions, key sets) is passed in through the namespace, never
formatted into code.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

_MISSING = object()


class Inline:
    """How a child check appears inside generated code.

    ``template`` is an expression with ``{x}`` for the value and ``{d}`` for
    the depth; ``env`` supplies any names the template uses.
    """

    __slots__ = ("env", "template")

    def __init__(self, template: str, env: dict[str, Any] | None = None) -> None:
        self.template = template
        self.env = env or {}


def _render(inline: Inline, var: str, depth: str, prefix: str, ns: dict[str, Any]) -> str:
    text = inline.template
    for name, value in inline.env.items():
        unique = f"{prefix}_{name}"
        ns[unique] = value
        text = text.replace(f"@{name}", unique)
    return "(" + text.format(x=var, d=depth) + ")"


def object_ok(
    props: list[tuple[str, Inline, bool]],
    closed_keys: frozenset[str] | None,
    max_depth: int,
) -> Callable[[Any, int], bool]:
    """Fast check for an object with fixed properties.

    ``props`` lists (name, check, required).  ``closed_keys`` is the set of
    allowed member names when additional properties are forbidden.
    """
    ns: dict[str, Any] = {
        "_M": _MISSING,
        "_MAXD": max_depth,
        "_isinstance": isinstance,
        "_dict": dict,
    }
    lines = [
        "def ok(v, d):",
        "    if type(v) is not _dict and not _isinstance(v, _dict):",
        "        return False",
        "    if d >= _MAXD:",
        "        return False",
        "    d1 = d + 1",
    ]
    for i, (name, inline, required) in enumerate(props):
        expr = _render(inline, "x", "d1", f"p{i}", ns)
        lines.append(f"    x = v.get({name!r}, _M)")
        if required:
            lines.append(f"    if x is _M or not {expr}:")
        else:
            lines.append(f"    if x is not _M and not {expr}:")
        lines.append("        return False")
    if closed_keys is not None:
        ns["_KNOWN"] = closed_keys
        lines.append("    if not _KNOWN.issuperset(v):")
        lines.append("        return False")
    lines.append("    return True")
    exec("\n".join(lines), ns)  # noqa: S102 - source built from trusted fragments only
    return ns["ok"]  # type: ignore[no-any-return]


def array_ok(
    item: Inline, checks: tuple[Callable[[Any, int], bool], ...], max_depth: int
) -> Callable[[Any, int], bool]:
    """Fast check for an array (or set) of one item type plus extra checks."""
    ns: dict[str, Any] = {"_MAXD": max_depth, "_isinstance": isinstance, "_list": list}
    expr = _render(item, "x", "d1", "it", ns)
    lines = [
        "def ok(v, d):",
        "    if type(v) is not _list and not _isinstance(v, _list):",
        "        return False",
        "    if d >= _MAXD:",
        "        return False",
        "    d1 = d + 1",
        "    for x in v:",
        f"        if not {expr}:",
        "            return False",
    ]
    for i, check in enumerate(checks):
        ns[f"_c{i}"] = check
        lines.append(f"    if not _c{i}(v, d1):")
        lines.append("        return False")
    lines.append("    return True")
    exec("\n".join(lines), ns)  # noqa: S102 - source built from trusted fragments only
    return ns["ok"]  # type: ignore[no-any-return]


def map_ok(
    values: Inline, checks: tuple[Callable[[Any, int], bool], ...], max_depth: int
) -> Callable[[Any, int], bool]:
    """Fast check for a map: every value matches, then the extra checks."""
    ns: dict[str, Any] = {"_MAXD": max_depth, "_isinstance": isinstance, "_dict": dict}
    expr = _render(values, "x", "d1", "val", ns)
    lines = [
        "def ok(v, d):",
        "    if type(v) is not _dict and not _isinstance(v, _dict):",
        "        return False",
        "    if d >= _MAXD:",
        "        return False",
        "    d1 = d + 1",
        "    for x in v.values():",
        f"        if not {expr}:",
        "            return False",
    ]
    for i, check in enumerate(checks):
        ns[f"_c{i}"] = check
        lines.append(f"    if not _c{i}(v, d1):")
        lines.append("        return False")
    lines.append("    return True")
    exec("\n".join(lines), ns)  # noqa: S102 - source built from trusted fragments only
    return ns["ok"]  # type: ignore[no-any-return]
