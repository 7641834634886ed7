"""Compile a checked schema into validation closures.

Each schema position becomes a :class:`Node` holding two closures:

* ``ok(value, depth) -> bool`` — the fast path used by ``is_valid``; it
  short-circuits on the first failure and allocates nothing.
* ``collect(value, depth, pointer, out)`` — the reporting path; it appends
  :class:`Problem` records to ``out``.

The schema dictionary is read only here; validation never looks at it again.
Closures capture immutable data (tuples, frozensets, dicts that are never
mutated after compilation), so a compiled validator can be shared between
threads and asyncio tasks.

``depth`` counts compound nesting of the instance; every compound closure
refuses values nested deeper than ``max_depth`` so that a hostile instance
cannot exhaust the interpreter stack (``INSTANCE_MAX_DEPTH_EXCEEDED``).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any, TypeGuard

from . import codes as c
from . import keywords as kw
from .codegen import Inline, array_ok, map_ok, object_ok
from .document import Profile, extends_list, resolve_type_ref
from .formats import FORMAT_CHECKS
from .jsonvalue import TooDeep, first_duplicate
from .pointer import join
from .primitives import (
    DETAIL,
    DETAIL_LENIENT,
    FAST,
    FAST_LENIENT,
    INT_RANGES,
    binary_checkers,
    decimal_predicate,
    json_kind,
    numeric_value,
    parse_decimal,
)
from .problems import Problem
from .regex import compile_pattern

Ok = Callable[[Any, int], bool]
Collect = Callable[[Any, int, str, list[Problem]], None]
# A constraint that runs after the type check succeeded.
Check = tuple[Callable[[Any], bool], Callable[[Any, str, list[Problem]], None]]


class Node:
    """The compiled form of one schema position.

    ``inline`` tells generated parents how to check this node without a call
    where possible (see :mod:`hubauth.structure.codegen`).
    """

    __slots__ = ("collect", "inline", "ok")

    def __init__(self, ok: Ok, collect: Collect, inline: Inline | None = None) -> None:
        self.ok = ok
        self.collect = collect
        self.inline = inline or Inline("@n({x}, {d})", {"n": ok})


# Inline forms for unconstrained primitives whose check is one expression.
# Bounds come from primitives.INT_RANGES (trusted integers).
_SIMPLE_INLINE: dict[str, str] = {
    "string": "type({x}) is str",
    "boolean": "({x} is True or {x} is False)",
    "null": "{x} is None",
    **{
        name: f"type({{x}}) is int and {INT_RANGES[name][0]} <= {{x}} <= {INT_RANGES[name][1]}"
        for name in ("integer", "int8", "uint8", "int16", "uint16", "int32", "uint32")
    },
}


class _Cell:
    """Late-bound target for a recursive reference (A -> B -> A)."""

    __slots__ = ("node",)

    def __init__(self) -> None:
        self.node: Node | None = None


def _always(v: Any, d: int) -> bool:
    return True


def _nothing(v: Any, d: int, p: str, out: list[Problem]) -> None:
    return None


ANY_NODE = Node(_always, _nothing, Inline("True"))


def _depth_problem(p: str, limit: int) -> Problem:
    return Problem(p, c.INSTANCE_MAX_DEPTH_EXCEEDED, f"instance nests deeper than {limit} levels")


class Compiler:
    """Turns one checked schema document into :class:`Node` closures."""

    def __init__(
        self,
        document: dict[str, Any],
        profile: Profile,
        *,
        lenient: bool,
        max_depth: int,
        addins: dict[int, list[dict[str, Any]]] | None = None,
    ) -> None:
        self.doc = document
        self.profile = profile
        self.max_depth = max_depth
        self.fast = FAST_LENIENT if lenient else FAST
        self.detail = DETAIL_LENIENT if lenient else DETAIL
        self.addins = addins or {}
        self.memo: dict[int, Node] = {}
        self.pending: dict[int, _Cell] = {}

    # -- entry points ------------------------------------------------------
    def compile_root(self) -> Node:
        doc = self.doc
        if "type" in doc:
            return self.compile_decl(doc)
        if "$root" in doc:
            status, target = resolve_type_ref(doc, doc["$root"])
            if status == "ok":
                return self.compile_decl(target)
        return self.compile_schema(doc)

    def compile_decl(self, decl: dict[str, Any]) -> Node:
        """Compile a named declaration once; recursive uses get a late-bound node."""
        key = id(decl)
        node = self.memo.get(key)
        if node is not None:
            return node
        cell = self.pending.get(key)
        if cell is not None:
            return _forward(cell)
        cell = _Cell()
        self.pending[key] = cell
        node = self.compile_schema(decl)
        cell.node = node
        del self.pending[key]
        self.memo[key] = node
        return node

    # -- dispatch ------------------------------------------------------------
    def compile_schema(self, s: dict[str, Any]) -> Node:
        t = s.get("type")
        parts: list[Node] = []
        if isinstance(t, str):
            parts.append(self.compile_typed(t, s))
        elif isinstance(t, dict):
            status, target = resolve_type_ref(self.doc, t.get("$ref"))
            if status != "ok":  # unreachable after check_schema; fail closed
                return _fail_node(c.INSTANCE_TYPE_MISMATCH, "unresolvable type reference")
            target_node = self.compile_decl(target)
            # Core 3.3.6: constraints written next to the reference apply too,
            # in addition to everything the referenced declaration says.
            extra = self.constraints(self._kind(target), s)
            parts.append(_with_checks(target_node, extra) if extra else target_node)
        elif isinstance(t, list):
            parts.append(self.compile_union(t, s))
        if self.profile.composition:
            parts.extend(self.compile_composition(s))
        if not parts:
            return ANY_NODE
        return parts[0] if len(parts) == 1 else _all_of(parts)

    def _kind(self, s: dict[str, Any], seen: frozenset[int] = frozenset()) -> str:
        t = s.get("type")
        if isinstance(t, str):
            return t
        if isinstance(t, dict) and id(s) not in seen:
            status, target = resolve_type_ref(self.doc, t.get("$ref"))
            if status == "ok":
                return self._kind(target, seen | {id(s)})
        return "union"

    def compile_typed(self, t: str, s: dict[str, Any]) -> Node:
        if t in kw.PRIMITIVES:
            return self.compile_primitive(t, s)
        if t == "object":
            return self.compile_object(s)
        if t == "array":
            return self.compile_array(s, unique=False)
        if t == "set":
            return self.compile_array(s, unique=True)
        if t == "map":
            return self.compile_map(s)
        if t == "tuple":
            return self.compile_tuple(s)
        if t == "choice":
            return self.compile_choice(s)
        return ANY_NODE

    # -- primitives (core 3.2.1, 3.2.2) --------------------------------------
    def compile_primitive(self, t: str, s: dict[str, Any]) -> Node:
        fast = self.fast[t]
        detail = self.detail[t]
        if t == "binary" and s.get("contentEncoding") in kw.CONTENT_ENCODINGS:
            fast, detail = binary_checkers(s["contentEncoding"])
        checks = self.constraints(t, s)
        if t == "decimal":
            # Core 3.2.2.15 digit limits, folded into the single regex match.
            fast = decimal_predicate(*_precision_scale(s))
            detail = _decimal_detail(detail, _decimal_digits_check(*_precision_scale(s)))
        if not checks:
            pred = fast
        else:
            oks = tuple(ch[0] for ch in checks)

            def pred(v: Any) -> bool:
                if not fast(v):
                    return False
                for f in oks:  # noqa: SIM110 - a plain loop beats all()/any() on the hot path
                    if not f(v):
                        return False
                return True

        def ok(v: Any, d: int) -> bool:
            return pred(v)

        def collect(v: Any, d: int, p: str, out: list[Problem]) -> None:
            problem = detail(v)
            if problem is not None:
                out.append(Problem(p, problem[0], problem[1]))
                return
            for f, report in checks:
                if not f(v):
                    report(v, p, out)

        simple = _SIMPLE_INLINE.get(t) if not checks else None
        inline = Inline(simple) if simple else Inline("@p({x})", {"p": pred})
        return Node(ok, collect, inline)

    def constraints(self, kind: str, s: dict[str, Any]) -> list[Check]:
        """Checks that run once the value is known to be of ``kind``."""
        checks: list[Check] = []
        if kind in kw.PRIMITIVES:
            if "enum" in s and isinstance(s["enum"], list):
                checks.append(_enum_check(s["enum"]))
            if "const" in s:
                checks.append(_const_check(s["const"]))
        if kind == "string" and _count(s.get("maxLength")):
            # Core 3.8.1: "the string's length MUST not exceed this value"
            # (decision D4: always enforced, counted in code points).
            checks.append(_length_check(s["maxLength"], upper=True))
        if self.profile.validation:
            checks.extend(self._validation_checks(kind, s))
        return checks

    def _validation_checks(self, kind: str, s: dict[str, Any]) -> list[Check]:
        checks: list[Check] = []
        if kind == "string":
            if _count(s.get("minLength")):
                checks.append(_length_check(s["minLength"], upper=False))
            if isinstance(s.get("pattern"), str):
                checks.append(_pattern_check(s["pattern"]))
            fmt = s.get("format")
            if isinstance(fmt, str) and fmt in FORMAT_CHECKS:
                checks.append(_format_check(fmt))
        if kind in kw.NUMERIC:
            checks.extend(_numeric_checks(kind, s))
        return checks

    # -- object (core 3.2.3.1, 3.7.2, 3.7.3, 3.7.8, 3.10) -----------------------
    def _lineage(self, s: dict[str, Any]) -> list[dict[str, Any]]:
        """``s`` preceded by all of its bases, breadth first, without repeats."""
        order: list[dict[str, Any]] = []
        seen = {id(s)}
        queue = [s]
        while queue:
            cur = queue.pop(0)
            for ref in extends_list(cur):
                status, base = resolve_type_ref(self.doc, ref)
                if status == "ok" and id(base) not in seen:
                    seen.add(id(base))
                    order.append(base)
                    queue.append(base)
        return [*order, s, *self.addins.get(id(s), [])]

    def merged_properties(self, s: dict[str, Any]) -> dict[str, Any]:
        """Own properties, then inherited ones (the first base wins), then add-ins."""
        merged: dict[str, Any] = {}
        own = s.get("properties")
        if isinstance(own, dict):
            merged.update(own)
        for schema in self._lineage(s):
            props = schema.get("properties")
            if isinstance(props, dict):
                for name, sub in props.items():
                    merged.setdefault(name, sub)
        return merged

    def compile_object(self, s: dict[str, Any], ignore: str | None = None) -> Node:
        lineage = self._lineage(s)
        props = {name: self.compile_schema(sub) for name, sub in self.merged_properties(s).items()}
        plain: list[str] = []
        alternatives: list[tuple[tuple[str, ...], ...]] = []
        for schema in lineage:
            req = schema.get("required")
            if isinstance(req, list) and req:
                if all(isinstance(r, str) for r in req):
                    plain.extend(r for r in req if r not in plain)
                elif all(isinstance(r, list) for r in req):
                    alternatives.append(tuple(tuple(r) for r in req))
        ap = s.get("additionalProperties", True)
        extra_node = self.compile_schema(ap) if isinstance(ap, dict) else None
        allow_extra = ap is not False
        checks: list[Node] = []
        pattern_nodes: list[tuple[Callable[[str], bool], Node]] = []
        if self.profile.validation:
            for schema in lineage:
                checks.extend(self._object_validation(schema, pattern_nodes))
        known = frozenset(props) | ({ignore} if ignore else frozenset())
        if (
            not alternatives
            and not pattern_nodes
            and not checks
            and extra_node is None
            and set(plain) <= props.keys()
        ):
            fast = object_ok(
                [(name, node.inline, name in plain) for name, node in props.items()],
                None if allow_extra else known,
                self.max_depth,
            )
            generic = _object_node(
                props,
                tuple(plain),
                tuple(alternatives),
                allow_extra,
                extra_node,
                tuple(pattern_nodes),
                tuple(checks),
                known,
                self.max_depth,
            )
            return Node(fast, generic.collect)
        return _object_node(
            props,
            tuple(plain),
            tuple(alternatives),
            allow_extra,
            extra_node,
            tuple(pattern_nodes),
            tuple(checks),
            known,
            self.max_depth,
        )

    def _object_validation(
        self, s: dict[str, Any], pattern_nodes: list[tuple[Callable[[str], bool], Node]]
    ) -> list[Node]:
        nodes: list[Node] = []
        if _count(s.get("minProperties")):
            nodes.append(
                _size_node(s["minProperties"], False, c.INSTANCE_MIN_PROPERTIES, "properties")
            )
        if _count(s.get("maxProperties")):
            nodes.append(
                _size_node(s["maxProperties"], True, c.INSTANCE_MAX_PROPERTIES, "properties")
            )
        dep = s.get("dependentRequired")
        if isinstance(dep, dict):
            nodes.append(_dependent_required_node(dep))
        if isinstance(s.get("propertyNames"), dict):
            nodes.append(
                _names_node(
                    self.compile_schema(s["propertyNames"]), c.INSTANCE_PROPERTY_NAME_INVALID
                )
            )
        if isinstance(s.get("has"), dict):
            nodes.append(_has_node(self.compile_schema(s["has"]), self.max_depth))
        pp = s.get("patternProperties")
        if isinstance(pp, dict):
            for pattern, sub in pp.items():
                pattern_nodes.append((compile_pattern(pattern, False), self.compile_schema(sub)))
        return nodes

    # -- array and set (core 3.2.3.2, 3.2.3.3) -------------------------------
    def compile_array(self, s: dict[str, Any], unique: bool) -> Node:
        items_schema = s.get("items")
        item = self.compile_schema(items_schema) if isinstance(items_schema, dict) else ANY_NODE
        checks: list[Node] = []
        if self.profile.validation:
            if _count(s.get("minItems")):
                checks.append(_size_node(s["minItems"], False, c.INSTANCE_MIN_ITEMS, "items"))
            if _count(s.get("maxItems")):
                checks.append(_size_node(s["maxItems"], True, c.INSTANCE_MAX_ITEMS, "items"))
            if s.get("uniqueItems") is True and not unique:
                checks.append(_unique_node(c.INSTANCE_UNIQUE_ITEMS, False, self.max_depth))
            if isinstance(s.get("contains"), dict):
                lo = s.get("minContains", 1)
                hi = s.get("maxContains")
                checks.append(_contains_node(self.compile_schema(s["contains"]), lo, hi))
        if unique:
            # Elements of one primitive type are hashable and compare as JSON
            # values (bool is excluded by the type check), so a plain set works.
            simple = isinstance(items_schema, dict) and self._kind(items_schema) in kw.PRIMITIVES
            checks.insert(0, _unique_node(c.INSTANCE_SET_DUPLICATE, simple, self.max_depth))
        generic = _array_node(item, tuple(checks), self.max_depth)
        fast = array_ok(item.inline, tuple(n.ok for n in checks), self.max_depth)
        return Node(fast, generic.collect)

    # -- map (core 3.2.3.4) ------------------------------------------------------
    def compile_map(self, s: dict[str, Any]) -> Node:
        values = self.compile_schema(s["values"]) if isinstance(s.get("values"), dict) else ANY_NODE
        checks: list[Node] = []
        pattern_nodes: list[tuple[Callable[[str], bool], Node]] = []
        if self.profile.validation:
            if _count(s.get("minEntries")):
                checks.append(_size_node(s["minEntries"], False, c.INSTANCE_MIN_ENTRIES, "entries"))
            if _count(s.get("maxEntries")):
                checks.append(_size_node(s["maxEntries"], True, c.INSTANCE_MAX_ENTRIES, "entries"))
            if isinstance(s.get("keyNames"), dict):
                checks.append(
                    _names_node(self.compile_schema(s["keyNames"]), c.INSTANCE_KEY_NAME_INVALID)
                )
            if isinstance(s.get("has"), dict):
                checks.append(_has_node(self.compile_schema(s["has"]), self.max_depth))
            pk = s.get("patternKeys")
            if isinstance(pk, dict):
                for pattern, sub in pk.items():
                    pattern_nodes.append(
                        (compile_pattern(pattern, False), self.compile_schema(sub))
                    )
        generic = _map_node(values, tuple(pattern_nodes), tuple(checks), self.max_depth)
        if pattern_nodes:
            return generic
        fast = map_ok(values.inline, tuple(n.ok for n in checks), self.max_depth)
        return Node(fast, generic.collect)

    # -- tuple (core 3.2.3.5, 3.7.11) --------------------------------------------
    def compile_tuple(self, s: dict[str, Any]) -> Node:
        props = self.merged_properties(s)
        order = s.get("tuple") or list(props)
        nodes = tuple(self.compile_schema(props[name]) for name in order if name in props)
        return _tuple_node(nodes, tuple(order), self.max_depth)

    # -- choice (core 3.2.3.7) ---------------------------------------------------
    def compile_choice(self, s: dict[str, Any]) -> Node:
        choices = s.get("choices") or {}
        selector = s.get("selector")
        if "$extends" not in s or not isinstance(selector, str):
            tagged = {name: self.compile_schema(sub) for name, sub in choices.items()}
            return _tagged_choice_node(tagged, self.max_depth)
        inline: dict[str, Node] = {}
        for name, sub in choices.items():
            target = sub
            t = sub.get("type")
            if isinstance(t, dict):
                status, resolved = resolve_type_ref(self.doc, t.get("$ref"))
                if status == "ok":
                    target = resolved
            if target.get("type") == "object":
                # The selector is injected into the variant (core 3.2.3.7.2), so
                # it never counts as an additional property of the variant.
                inline[name] = self.compile_object(target, ignore=selector)
            else:
                inline[name] = self.compile_schema(sub)
        return _inline_choice_node(inline, selector, self.max_depth)

    # -- unions (core 3.5.1) -------------------------------------------------------
    def compile_union(self, members: list[Any], s: dict[str, Any]) -> Node:
        nodes: list[Node] = []
        names: list[str] = []
        for m in members:
            if isinstance(m, str):
                # Keywords written on the union apply to the members they fit.
                fitting = {
                    k: v
                    for k, v in s.items()
                    if k not in ("type", "enum", "const")
                    and m in kw.CORE_PLACEMENT.get(k, kw.VALIDATION_PLACEMENT.get(k, frozenset()))
                }
                nodes.append(self.compile_typed(m, fitting))
                names.append(m)
            elif isinstance(m, dict):
                status, target = resolve_type_ref(self.doc, m.get("$ref"))
                if status == "ok":
                    nodes.append(self.compile_decl(target))
                    names.append(str(m.get("$ref")))
        return _union_node(tuple(nodes), ", ".join(names))

    # -- conditional composition ---------------------------------------------------
    def compile_composition(self, s: dict[str, Any]) -> list[Node]:
        nodes: list[Node] = []
        for key in kw.COMPOSITION_ARRAYS:
            subs = s.get(key)
            if isinstance(subs, list) and subs:
                compiled = [self.compile_schema(x) for x in subs if isinstance(x, dict)]
                if key == "allOf":
                    nodes.append(_all_of(compiled))
                elif key == "anyOf":
                    nodes.append(_any_of(compiled))
                else:
                    nodes.append(_one_of(compiled))
        if isinstance(s.get("not"), dict):
            nodes.append(_not(self.compile_schema(s["not"])))
        if isinstance(s.get("if"), dict):
            then = self.compile_schema(s["then"]) if isinstance(s.get("then"), dict) else ANY_NODE
            other = self.compile_schema(s["else"]) if isinstance(s.get("else"), dict) else ANY_NODE
            nodes.append(_if_then_else(self.compile_schema(s["if"]), then, other))
        return nodes


# ---------------------------------------------------------------------------
# Node builders.  Each returns closures over immutable data only.
# ---------------------------------------------------------------------------


def _count(value: Any) -> TypeGuard[int]:
    return type(value) is int and value >= 0


def _forward(cell: _Cell) -> Node:
    def ok(v: Any, d: int) -> bool:
        return cell.node.ok(v, d)  # type: ignore[union-attr]

    def collect(v: Any, d: int, p: str, out: list[Problem]) -> None:
        cell.node.collect(v, d, p, out)  # type: ignore[union-attr]

    return Node(ok, collect)


def _fail_node(code: str, message: str) -> Node:
    def ok(v: Any, d: int) -> bool:
        return False

    def collect(v: Any, d: int, p: str, out: list[Problem]) -> None:
        out.append(Problem(p, code, message))

    return Node(ok, collect)


def _with_checks(node: Node, checks: list[Check]) -> Node:
    base_ok, base_collect = node.ok, node.collect
    oks = tuple(ch[0] for ch in checks)

    def ok(v: Any, d: int) -> bool:
        if not base_ok(v, d):
            return False
        return all(f(v) for f in oks)

    def collect(v: Any, d: int, p: str, out: list[Problem]) -> None:
        if not base_ok(v, d):
            base_collect(v, d, p, out)
            return
        for f, report in checks:
            if not f(v):
                report(v, p, out)

    return Node(ok, collect)


def _enum_check(members: list[Any]) -> Check:
    try:
        allowed = frozenset(members)
    except TypeError:  # unhashable members cannot match a primitive anyway
        allowed = frozenset(m for m in members if not isinstance(m, (list, dict)))

    def ok(v: Any) -> bool:
        return v in allowed

    def report(v: Any, p: str, out: list[Problem]) -> None:
        out.append(Problem(p, c.INSTANCE_ENUM_MISMATCH, f"{v!r} is not one of the enum values"))

    return ok, report


def _const_check(expected: Any) -> Check:
    def ok(v: Any) -> bool:
        same: bool = v == expected  # both already passed the same type check
        return same

    def report(v: Any, p: str, out: list[Problem]) -> None:
        out.append(Problem(p, c.INSTANCE_CONST_MISMATCH, f"value must be {expected!r}"))

    return ok, report


def _length_check(limit: int, upper: bool) -> Check:
    if upper:

        def ok(v: Any) -> bool:
            return len(v) <= limit

        def report(v: Any, p: str, out: list[Problem]) -> None:
            out.append(
                Problem(
                    p,
                    c.INSTANCE_STRING_TOO_LONG,
                    f"string has {len(v)} characters; maxLength is {limit}",
                )
            )
    else:

        def ok(v: Any) -> bool:
            return len(v) >= limit

        def report(v: Any, p: str, out: list[Problem]) -> None:
            out.append(
                Problem(
                    p,
                    c.INSTANCE_STRING_TOO_SHORT,
                    f"string has {len(v)} characters; minLength is {limit}",
                )
            )

    return ok, report


def _precision_scale(s: dict[str, Any]) -> tuple[int, int]:
    prec, sc = s.get("precision"), s.get("scale")
    return (prec if _count(prec) else 34, sc if _count(sc) else 7)


def _decimal_detail(
    detail: Callable[[Any], tuple[str, str] | None], digits: Check
) -> Callable[[Any], tuple[str, str] | None]:
    def combined(v: Any) -> tuple[str, str] | None:
        problem = detail(v)
        if problem is not None:
            return problem
        if not digits[0](v):
            out: list[Problem] = []
            digits[1](v, "", out)
            return out[0].code, out[0].message
        return None

    return combined


def _decimal_digits_check(precision: Any, scale: Any) -> Check:
    """Core 3.2.2.15: decimal digits within precision/scale (decision D2)."""
    prec = precision if _count(precision) else 34
    sc = scale if _count(scale) else 7

    def ok(v: Any) -> bool:
        parts = parse_decimal(v)
        return parts is not None and parts[1] <= sc and parts[0] + parts[1] <= prec

    def report(v: Any, p: str, out: list[Problem]) -> None:
        out.append(
            Problem(p, c.INSTANCE_DECIMAL_PRECISION, f"{v} exceeds precision {prec} / scale {sc}")
        )

    return ok, report


def _pattern_check(pattern: str) -> Check:
    match = compile_pattern(pattern, True)

    def report(v: Any, p: str, out: list[Problem]) -> None:
        out.append(
            Problem(p, c.INSTANCE_PATTERN_MISMATCH, f"string does not match pattern {pattern!r}")
        )

    return match, report


def _format_check(fmt: str) -> Check:
    check = FORMAT_CHECKS[fmt]

    def report(v: Any, p: str, out: list[Problem]) -> None:
        out.append(Problem(p, c.INSTANCE_FORMAT_MISMATCH, f"string is not a valid {fmt}"))

    return check, report


def _numeric_checks(kind: str, s: dict[str, Any]) -> list[Check]:
    """Validation 3.1; big-number types compare numerically, not as strings."""
    checks: list[Check] = []
    big = kind in kw.STRING_ENCODED_NUMERIC
    to_num: Callable[[Any], Any] = (lambda v: numeric_value(v, kind)) if big else (lambda v: v)

    def limit(raw: Any) -> Any:
        if big:
            return Decimal(raw) if isinstance(raw, str) else None
        return raw if type(raw) in (int, float) else None

    specs = (
        ("minimum", c.INSTANCE_MINIMUM, lambda x, b: x >= b, "at least"),
        ("maximum", c.INSTANCE_MAXIMUM, lambda x, b: x <= b, "at most"),
        ("exclusiveMinimum", c.INSTANCE_EXCLUSIVE_MINIMUM, lambda x, b: x > b, "greater than"),
        ("exclusiveMaximum", c.INSTANCE_EXCLUSIVE_MAXIMUM, lambda x, b: x < b, "less than"),
    )
    for key, code, cmp, words in specs:
        if key not in s:
            continue
        bound = limit(s[key])
        if bound is None:
            continue
        checks.append(_bound_check(to_num, cmp, bound, code, f"value must be {words} {s[key]}"))
    step = limit(s.get("multipleOf"))
    if step is not None and step > 0:
        checks.append(_multiple_check(to_num, step, s["multipleOf"]))
    return checks


def _bound_check(
    to_num: Callable[[Any], Any],
    cmp: Callable[[Any, Any], bool],
    bound: Any,
    code: str,
    message: str,
) -> Check:
    def ok(v: Any) -> bool:
        return cmp(to_num(v), bound)

    def report(v: Any, p: str, out: list[Problem]) -> None:
        out.append(Problem(p, code, message))

    return ok, report


def _multiple_check(to_num: Callable[[Any], Any], step: Any, raw: Any) -> Check:
    exact_step = Decimal(repr(step)) if type(step) is float else Decimal(step)

    def ok(v: Any) -> bool:
        x = to_num(v)
        if type(x) is int and type(step) is int:
            return x % step == 0
        try:
            dx = (
                x
                if isinstance(x, Decimal)
                else Decimal(repr(x))
                if type(x) is float
                else Decimal(x)
            )
            return (dx % exact_step) == 0
        except InvalidOperation:  # quotient too large for the context: not exact
            return math.isclose(float(x) / float(step), round(float(x) / float(step)))

    def report(v: Any, p: str, out: list[Problem]) -> None:
        out.append(Problem(p, c.INSTANCE_MULTIPLE_OF, f"value must be a multiple of {raw}"))

    return ok, report


def _object_node(
    props: dict[str, Node],
    required: tuple[str, ...],
    alternatives: tuple[tuple[tuple[str, ...], ...], ...],
    allow_extra: bool,
    extra_node: Node | None,
    pattern_nodes: tuple[tuple[Callable[[str], bool], Node], ...],
    checks: tuple[Node, ...],
    known: frozenset[str],
    max_depth: int,
) -> Node:
    prop_ok = {k: n.ok for k, n in props.items()}
    get_ok = prop_ok.get
    extra_ok = extra_node.ok if extra_node is not None else None
    simple = not alternatives and not pattern_nodes and not checks and extra_ok is None
    ignored = known - frozenset(props)

    if simple and allow_extra:

        def ok(v: Any, d: int) -> bool:
            if type(v) is not dict and not isinstance(v, dict):
                return False
            if d >= max_depth:
                return False
            for k in required:
                if k not in v:
                    return False
            d += 1
            for k, x in v.items():
                f = get_ok(k)
                if f is not None and not f(x, d):
                    return False
            return True
    elif simple:

        def ok(v: Any, d: int) -> bool:
            if type(v) is not dict and not isinstance(v, dict):
                return False
            if d >= max_depth:
                return False
            for k in required:
                if k not in v:
                    return False
            d += 1
            for k, x in v.items():
                f = get_ok(k)
                if f is None:
                    if k not in ignored:
                        return False
                elif not f(x, d):
                    return False
            return True
    else:

        def ok(v: Any, d: int) -> bool:
            if type(v) is not dict and not isinstance(v, dict):
                return False
            if d >= max_depth:
                return False
            for k in required:
                if k not in v:
                    return False
            for sets in alternatives:
                if sum(1 for group in sets if all(n in v for n in group)) != 1:
                    return False
            d += 1
            for k, x in v.items():
                f = get_ok(k)
                matched = False
                for match, node in pattern_nodes:
                    if match(k):
                        matched = True
                        if not node.ok(x, d):
                            return False
                if f is not None:
                    if not f(x, d):
                        return False
                elif not matched and k not in ignored:
                    if extra_ok is not None:
                        if not extra_ok(x, d):
                            return False
                    elif not allow_extra:
                        return False
            for node in checks:  # noqa: SIM110 - a plain loop beats all()/any() on the hot path
                if not node.ok(v, d):
                    return False
            return True

    def collect(v: Any, d: int, p: str, out: list[Problem]) -> None:
        if not isinstance(v, dict):
            out.append(Problem(p, c.INSTANCE_TYPE_MISMATCH, f"expected object, got {json_kind(v)}"))
            return
        if d >= max_depth:
            out.append(_depth_problem(p, max_depth))
            return
        for k in required:
            if k not in v:
                out.append(
                    Problem(p, c.INSTANCE_REQUIRED_MISSING, f"required property {k!r} is missing")
                )
        for sets in alternatives:
            hits = [g for g in sets if all(n in v for n in g)]
            if len(hits) != 1:
                out.append(
                    Problem(
                        p,
                        c.INSTANCE_REQUIRED_ALTERNATIVES,
                        f"exactly one of the required sets {[list(g) for g in sets]} "
                        "must be present; "
                        f"{len(hits)} are",
                    )
                )
        d += 1
        for k, x in v.items():
            child = join(p, k)
            node = props.get(k)
            matched = False
            for match, pnode in pattern_nodes:
                if match(k):
                    matched = True
                    pnode.collect(x, d, child, out)
            if node is not None:
                node.collect(x, d, child, out)
            elif not matched and k not in ignored:
                if extra_node is not None:
                    extra_node.collect(x, d, child, out)
                elif not allow_extra:
                    out.append(
                        Problem(
                            child, c.INSTANCE_ADDITIONAL_PROPERTY, f"property {k!r} is not allowed"
                        )
                    )
        for node in checks:
            node.collect(v, d, p, out)

    return Node(ok, collect)


def _size_node(limit: int, upper: bool, code: str, noun: str) -> Node:
    if upper:

        def ok(v: Any, d: int) -> bool:
            return len(v) <= limit
    else:

        def ok(v: Any, d: int) -> bool:
            return len(v) >= limit

    def collect(v: Any, d: int, p: str, out: list[Problem]) -> None:
        if not ok(v, d):
            word = "at most" if upper else "at least"
            out.append(Problem(p, code, f"has {len(v)} {noun}; {word} {limit} allowed"))

    return Node(ok, collect)


def _dependent_required_node(dep: dict[str, list[str]]) -> Node:
    rules = tuple((k, tuple(v)) for k, v in dep.items() if isinstance(v, list))

    def ok(v: Any, d: int) -> bool:
        return all(all(n in v for n in needs) for k, needs in rules if k in v)

    def collect(v: Any, d: int, p: str, out: list[Problem]) -> None:
        for k, needs in rules:
            if k in v:
                for n in needs:
                    if n not in v:
                        out.append(
                            Problem(
                                p,
                                c.INSTANCE_DEPENDENT_REQUIRED,
                                f"{k!r} requires dependent property {n!r}",
                            )
                        )

    return Node(ok, collect)


def _names_node(name_node: Node, code: str) -> Node:
    name_ok = name_node.ok

    def ok(v: Any, d: int) -> bool:
        return all(name_ok(k, d) for k in v)

    def collect(v: Any, d: int, p: str, out: list[Problem]) -> None:
        for k in v:
            if not name_ok(k, d):
                out.append(Problem(join(p, k), code, f"name {k!r} is not allowed"))

    return Node(ok, collect)


def _has_node(node: Node, max_depth: int) -> Node:
    node_ok = node.ok

    def ok(v: Any, d: int) -> bool:
        return any(node_ok(x, d) for x in v.values())

    def collect(v: Any, d: int, p: str, out: list[Problem]) -> None:
        if not ok(v, d):
            out.append(
                Problem(p, c.INSTANCE_HAS_NO_MATCH, "no member value matches the has schema")
            )

    return Node(ok, collect)


def _array_node(item: Node, checks: tuple[Node, ...], max_depth: int) -> Node:
    item_ok = item.ok
    trivial = item is ANY_NODE

    def ok(v: Any, d: int) -> bool:
        if type(v) is not list and not isinstance(v, list):
            return False
        if d >= max_depth:
            return False
        if not trivial:
            d += 1
            for x in v:
                if not item_ok(x, d):
                    return False
        for node in checks:  # noqa: SIM110 - a plain loop beats all()/any() on the hot path
            if not node.ok(v, d):
                return False
        return True

    def collect(v: Any, d: int, p: str, out: list[Problem]) -> None:
        if not isinstance(v, list):
            out.append(Problem(p, c.INSTANCE_TYPE_MISMATCH, f"expected array, got {json_kind(v)}"))
            return
        if d >= max_depth:
            out.append(_depth_problem(p, max_depth))
            return
        d += 1
        for i, x in enumerate(v):
            if not item_ok(x, d):
                item.collect(x, d, f"{p}/{i}", out)
        for node in checks:
            node.collect(v, d, p, out)

    return Node(ok, collect)


def _unique_node(code: str, simple: bool, max_depth: int) -> Node:
    def ok(v: Any, d: int) -> bool:
        if simple:
            try:
                return len(set(v)) == len(v)
            except TypeError:
                pass
        try:
            return first_duplicate(v, max_depth - d) is None
        except TooDeep:
            return False

    def collect(v: Any, d: int, p: str, out: list[Problem]) -> None:
        try:
            dup = first_duplicate(v, max_depth - d)
        except TooDeep:
            out.append(_depth_problem(p, max_depth))
            return
        if dup is not None:
            out.append(Problem(f"{p}/{dup}", code, "duplicate element"))

    return Node(ok, collect)


def _contains_node(node: Node, lo: Any, hi: Any) -> Node:
    node_ok = node.ok
    low = lo if _count(lo) else 1
    high = hi if _count(hi) else None

    def count(v: Any, d: int) -> int:
        return sum(1 for x in v if node_ok(x, d))

    def ok(v: Any, d: int) -> bool:
        n = count(v, d)
        return n >= low and (high is None or n <= high)

    def collect(v: Any, d: int, p: str, out: list[Problem]) -> None:
        n = count(v, d)
        if n < low:
            out.append(
                Problem(
                    p, c.INSTANCE_MIN_CONTAINS, f"{n} elements match contains; minContains is {low}"
                )
            )
        if high is not None and n > high:
            out.append(
                Problem(
                    p,
                    c.INSTANCE_MAX_CONTAINS,
                    f"{n} elements match contains; maxContains is {high}",
                )
            )

    return Node(ok, collect)


def _map_node(
    values: Node,
    pattern_nodes: tuple[tuple[Callable[[str], bool], Node], ...],
    checks: tuple[Node, ...],
    max_depth: int,
) -> Node:
    values_ok = values.ok

    def ok(v: Any, d: int) -> bool:
        if type(v) is not dict and not isinstance(v, dict):
            return False
        if d >= max_depth:
            return False
        d += 1
        for k, x in v.items():
            if not values_ok(x, d):
                return False
            for match, node in pattern_nodes:
                if match(k) and not node.ok(x, d):
                    return False
        for node in checks:  # noqa: SIM110 - a plain loop beats all()/any() on the hot path
            if not node.ok(v, d):
                return False
        return True

    def collect(v: Any, d: int, p: str, out: list[Problem]) -> None:
        if not isinstance(v, dict):
            out.append(
                Problem(p, c.INSTANCE_TYPE_MISMATCH, f"expected map (object), got {json_kind(v)}")
            )
            return
        if d >= max_depth:
            out.append(_depth_problem(p, max_depth))
            return
        d += 1
        for k, x in v.items():
            child = join(p, k)
            values.collect(x, d, child, out)
            for match, node in pattern_nodes:
                if match(k):
                    node.collect(x, d, child, out)
        for node in checks:
            node.collect(v, d, p, out)

    return Node(ok, collect)


def _tuple_node(nodes: tuple[Node, ...], names: tuple[str, ...], max_depth: int) -> Node:
    n = len(nodes)
    oks = tuple(node.ok for node in nodes)

    def ok(v: Any, d: int) -> bool:
        if not isinstance(v, list) or len(v) != n or d >= max_depth:
            return False
        d += 1
        for f, x in zip(oks, v, strict=True):  # noqa: SIM110 - a plain loop beats all()/any() on the hot path
            if not f(x, d):
                return False
        return True

    def collect(v: Any, d: int, p: str, out: list[Problem]) -> None:
        if not isinstance(v, list):
            out.append(
                Problem(p, c.INSTANCE_TYPE_MISMATCH, f"expected tuple (array), got {json_kind(v)}")
            )
            return
        if len(v) != n:
            out.append(
                Problem(
                    p,
                    c.INSTANCE_TUPLE_LENGTH,
                    f"tuple needs exactly {n} elements {list(names)}; got {len(v)}",
                )
            )
            return
        if d >= max_depth:
            out.append(_depth_problem(p, max_depth))
            return
        for i, (node, x) in enumerate(zip(nodes, v, strict=True)):
            node.collect(x, d + 1, f"{p}/{i}", out)

    return Node(ok, collect)


def _tagged_choice_node(choices: dict[str, Node], max_depth: int) -> Node:
    oks = {k: n.ok for k, n in choices.items()}
    names = sorted(choices)

    def ok(v: Any, d: int) -> bool:
        if not isinstance(v, dict) or len(v) != 1 or d >= max_depth:
            return False
        ((k, x),) = v.items()
        f = oks.get(k)
        return f is not None and f(x, d + 1)

    def collect(v: Any, d: int, p: str, out: list[Problem]) -> None:
        if not isinstance(v, dict):
            out.append(
                Problem(
                    p, c.INSTANCE_TYPE_MISMATCH, f"expected choice (object), got {json_kind(v)}"
                )
            )
            return
        if len(v) != 1:
            out.append(
                Problem(
                    p,
                    c.INSTANCE_CHOICE_INVALID,
                    f"a tagged choice has exactly one member; got {len(v)}",
                )
            )
            return
        if d >= max_depth:
            out.append(_depth_problem(p, max_depth))
            return
        ((k, x),) = v.items()
        node = choices.get(k)
        if node is None:
            out.append(
                Problem(join(p, k), c.INSTANCE_CHOICE_UNKNOWN, f"{k!r} is not one of {names}")
            )
        else:
            node.collect(x, d + 1, join(p, k), out)

    return Node(ok, collect)


def _inline_choice_node(choices: dict[str, Node], selector: str, max_depth: int) -> Node:
    oks = {k: n.ok for k, n in choices.items()}
    names = sorted(choices)

    def ok(v: Any, d: int) -> bool:
        if not isinstance(v, dict):
            return False
        f = oks.get(v.get(selector))  # type: ignore[arg-type]
        return f is not None and f(v, d)

    def collect(v: Any, d: int, p: str, out: list[Problem]) -> None:
        if not isinstance(v, dict):
            out.append(
                Problem(
                    p, c.INSTANCE_TYPE_MISMATCH, f"expected choice (object), got {json_kind(v)}"
                )
            )
            return
        if selector not in v:
            out.append(
                Problem(
                    p,
                    c.INSTANCE_CHOICE_SELECTOR_MISSING,
                    f"selector property {selector!r} is missing",
                )
            )
            return
        sel = v[selector]
        node = choices.get(sel) if isinstance(sel, str) else None
        if node is None:
            out.append(
                Problem(
                    join(p, selector), c.INSTANCE_CHOICE_UNKNOWN, f"{sel!r} is not one of {names}"
                )
            )
            return
        node.collect(v, d, p, out)

    return Node(ok, collect)


def _union_node(nodes: tuple[Node, ...], names: str) -> Node:
    oks = tuple(n.ok for n in nodes)
    # First match wins (core 3.5.1); for a yes/no answer "any" is the same.
    env: dict[str, Any] = {}
    parts = []
    for i, n in enumerate(nodes):
        text = n.inline.template
        for name, value in n.inline.env.items():
            env[f"u{i}{name}"] = value
            text = text.replace(f"@{name}", f"@u{i}{name}")
        parts.append("(" + text + ")")
    inline = Inline(" or ".join(parts) or "False", env)

    def ok(v: Any, d: int) -> bool:
        for f in oks:  # noqa: SIM110 - a plain loop beats all()/any() on the hot path
            if f(v, d):
                return True
        return False

    def collect(v: Any, d: int, p: str, out: list[Problem]) -> None:
        if not ok(v, d):
            out.append(
                Problem(
                    p, c.INSTANCE_UNION_NO_MATCH, f"{json_kind(v)} value matches none of: {names}"
                )
            )

    return Node(ok, collect, inline)


def _all_of(nodes: list[Node]) -> Node:
    oks = tuple(n.ok for n in nodes)

    def ok(v: Any, d: int) -> bool:
        for f in oks:  # noqa: SIM110 - a plain loop beats all()/any() on the hot path
            if not f(v, d):
                return False
        return True

    def collect(v: Any, d: int, p: str, out: list[Problem]) -> None:
        for node in nodes:
            node.collect(v, d, p, out)

    return Node(ok, collect)


def _any_of(nodes: list[Node]) -> Node:
    oks = tuple(n.ok for n in nodes)

    def ok(v: Any, d: int) -> bool:
        return any(f(v, d) for f in oks)

    def collect(v: Any, d: int, p: str, out: list[Problem]) -> None:
        if not ok(v, d):
            out.append(Problem(p, c.INSTANCE_ANY_OF, "value matches none of the anyOf schemas"))

    return Node(ok, collect)


def _one_of(nodes: list[Node]) -> Node:
    oks = tuple(n.ok for n in nodes)

    def count(v: Any, d: int) -> int:
        return sum(1 for f in oks if f(v, d))

    def ok(v: Any, d: int) -> bool:
        return count(v, d) == 1

    def collect(v: Any, d: int, p: str, out: list[Problem]) -> None:
        n = count(v, d)
        if n != 1:
            out.append(
                Problem(
                    p, c.INSTANCE_ONE_OF, f"value matches {n} oneOf schemas; exactly 1 is required"
                )
            )

    return Node(ok, collect)


def _not(node: Node) -> Node:
    node_ok = node.ok

    def ok(v: Any, d: int) -> bool:
        return not node_ok(v, d)

    def collect(v: Any, d: int, p: str, out: list[Problem]) -> None:
        if node_ok(v, d):
            out.append(Problem(p, c.INSTANCE_NOT, "value must not match the not schema"))

    return Node(ok, collect)


def _if_then_else(cond: Node, then: Node, other: Node) -> Node:
    def ok(v: Any, d: int) -> bool:
        return then.ok(v, d) if cond.ok(v, d) else other.ok(v, d)

    def collect(v: Any, d: int, p: str, out: list[Problem]) -> None:
        branch = then if cond.ok(v, d) else other
        if not branch.ok(v, d):
            before = len(out)
            branch.collect(v, d, p, out)
            if len(out) == before:
                out.append(
                    Problem(p, c.INSTANCE_IF_THEN_ELSE, "value fails the if/then/else branch")
                )

    return Node(ok, collect)


__all__ = ["ANY_NODE", "Compiler", "Node"]
