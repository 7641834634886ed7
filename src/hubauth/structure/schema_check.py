"""Schema checker: every violation of the JSON Structure core rules.

The checker walks a schema document once and reports :class:`Problem` records
whose pointers address the schema.  Section numbers refer to
draft-vasters-json-structure-core-04 ("core") and the validation and
conditional-composition drafts.  Decisions on ambiguous points are labelled
D1, D2, ... and explained in ``docs/structure.md``.

The walk is bounded (``MAX_SCHEMA_DEPTH``) so a hostile, deeply nested schema
yields ``SCHEMA_MAX_DEPTH_EXCEEDED`` instead of a ``RecursionError``.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any, TypeGuard

from . import codes as c
from . import keywords as kw
from .document import (
    ABSOLUTE_URI,
    Profile,
    extends_list,
    is_abstract,
    profile_for,
    resolve_type_ref,
)
from .formats import CORE_TYPE_FOR_FORMAT
from .jsonvalue import TooDeep, first_duplicate
from .pointer import join
from .primitives import DETAIL, DETAIL_LENIENT, parse_big_int
from .problems import Problem
from .regex import check_pattern

MAX_SCHEMA_DEPTH = 64

# Keywords that shape a compound type; they cannot sit next to a $ref type,
# which must be used as declared (core 3.4.1, 3.10.2).
_STRUCTURAL = frozenset(
    {
        "properties",
        "required",
        "additionalProperties",
        "items",
        "values",
        "tuple",
        "choices",
        "selector",
        "abstract",
        "$extends",
    }
)
_NON_NEGATIVE = (
    "minLength",
    "minItems",
    "maxItems",
    "minContains",
    "maxContains",
    "minProperties",
    "maxProperties",
    "minEntries",
    "maxEntries",
)
_MIN_MAX_PAIRS = (
    ("minLength", "maxLength"),
    ("minItems", "maxItems"),
    ("minContains", "maxContains"),
    ("minProperties", "maxProperties"),
    ("minEntries", "maxEntries"),
)
_NUMBER_STRING = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?\Z")
_MEDIA_TYPE = re.compile(
    r"[A-Za-z0-9][A-Za-z0-9!#$&^_.+\-]*/[A-Za-z0-9][A-Za-z0-9!#$&^_.+\-]*(?:\s*;.*)?\Z"
)


def check_schema(
    schema: Any,
    *,
    extended: bool | None = None,
    lenient: bool = False,
    include_warnings: bool = False,
) -> list[Problem]:
    """Return every problem in ``schema`` (errors only unless ``include_warnings``).

    ``extended`` forces the validation and composition add-ins on (``True``)
    or off (``False``); ``None`` derives them from ``$schema``/``$uses``.
    ``lenient`` accepts the ``$extends`` of a non-abstract type that one
    official sample uses (decision D8).
    """
    checker = _Checker(schema, extended, lenient)
    checker.run()
    if include_warnings:
        return checker.problems
    return [p for p in checker.problems if p.severity == "error"]


class _Checker:
    def __init__(self, doc: Any, extended: bool | None, lenient: bool) -> None:
        self.doc = doc
        self.lenient = lenient
        self.problems: list[Problem] = []
        root = doc if isinstance(doc, dict) else {}
        self.profile: Profile = profile_for(root, extended)
        # Warnings about add-in keywords describe the document itself, so they
        # ignore the caller's ``extended`` override.
        self.doc_profile: Profile = profile_for(root, None)
        self.details = DETAIL_LENIENT if lenient else DETAIL
        # id(declaration dict) -> pointer, for cycle reports.
        self.decls: dict[int, str] = {}
        self.extends_edges: dict[int, list[int]] = {}

    # -- reporting -----------------------------------------------------------
    def err(self, ptr: str, code: str, msg: str) -> None:
        self.problems.append(Problem(ptr, code, msg))

    def warn(self, ptr: str, code: str, msg: str) -> None:
        self.problems.append(Problem(ptr, code, msg, "warning"))

    # -- document (core 3.3) -------------------------------------------------
    def run(self) -> None:
        doc = self.doc
        if not isinstance(doc, dict):
            self.err("", c.SCHEMA_NOT_OBJECT, "a schema document must be a JSON object (core 3.3)")
            return
        self._index_declarations(doc.get("definitions"), "/definitions", 0)
        if "type" in doc:
            self.decls[id(doc)] = ""
        self.check_root_keywords(doc)
        if "definitions" in doc:
            self.check_namespace(doc["definitions"], "/definitions", 1)
        if "type" in doc:
            self.check_schema(doc, "", 0, root=True)
        elif self.has_composition(doc):
            self.check_composition(doc, "", 0)
        self.check_extends_cycles()
        self.check_alias_cycles()

    def _index_declarations(self, ns: Any, ptr: str, depth: int) -> None:
        if not isinstance(ns, dict) or depth > MAX_SCHEMA_DEPTH:
            return
        for key, value in ns.items():
            if not isinstance(value, dict):
                continue
            if "type" in value:
                self.decls[id(value)] = join(ptr, key)
            else:
                self._index_declarations(value, join(ptr, key), depth + 1)

    def check_root_keywords(self, doc: dict[str, Any]) -> None:
        if "$schema" not in doc:
            self.err("", c.SCHEMA_META_MISSING, "the root must declare $schema (core 3.3.2)")
        elif not isinstance(doc["$schema"], str) or not ABSOLUTE_URI.match(doc["$schema"]):
            self.err(
                "/$schema", c.SCHEMA_META_INVALID, "$schema must be an absolute URI (core 3.3.2)"
            )
        elif self.profile.meta == "unknown":
            self.warn(
                "/$schema",
                c.SCHEMA_META_UNKNOWN,
                f"unknown meta-schema {doc['$schema']!r}; treated as the core meta-schema",
            )
        if "$id" not in doc:
            self.err("", c.SCHEMA_ID_MISSING, "the root must declare $id (core 3.3.3)")
        elif not isinstance(doc["$id"], str) or not ABSOLUTE_URI.match(doc["$id"]):
            self.err("/$id", c.SCHEMA_ID_INVALID, "$id must be an absolute URI (core 3.3.3)")
        if "name" not in doc:
            self.err("", c.SCHEMA_NAME_MISSING, "the root must declare name (core 3.3)")
        elif "type" not in doc and (
            not isinstance(doc["name"], str) or not kw.IDENTIFIER.match(doc["name"])
        ):
            self.err("/name", c.SCHEMA_NAME_INVALID, "name must be a valid identifier (core 3.6)")
        if "type" in doc and "$root" in doc:
            self.err(
                "", c.SCHEMA_ROOT_CONFLICT, "type and $root are mutually exclusive (core 3.3.4)"
            )
        if "$root" in doc:
            self.check_root_pointer(doc["$root"])
        elif "type" not in doc and "definitions" not in doc and not self.has_composition(doc):
            self.err(
                "",
                c.SCHEMA_ROOT_MISSING_TYPE,
                "the document declares no type: give the root a type, a $root or definitions",
            )
        if "$uses" in doc:
            self.check_uses(doc["$uses"])
        if "$offers" in doc:
            self.check_offers(doc["$offers"])
        for key in ("$import", "$importdefs"):
            if key in doc:
                self.err(join("", key), c.SCHEMA_IMPORT_UNSUPPORTED, f"{key} is not supported")

    def check_root_pointer(self, ref: Any) -> None:
        status, target = resolve_type_ref(self.doc, ref)
        if status == "syntax" or ref == "#":
            self.err("/$root", c.SCHEMA_ROOT_INVALID, "$root must be a #/definitions/... pointer")
        elif status == "missing":
            self.err(
                "/$root", c.SCHEMA_REF_NOT_FOUND, f"$root {ref!r} does not resolve (core 3.3.4)"
            )
        elif status == "namespace":
            self.err(
                "/$root", c.SCHEMA_REF_NOT_TYPE, f"$root {ref!r} names a namespace, not a type"
            )
        elif is_abstract(target):
            self.err(
                "/$root", c.SCHEMA_ROOT_ABSTRACT, "$root must not be an abstract type (core 3.10.1)"
            )

    def check_uses(self, uses: Any) -> None:
        if not isinstance(uses, list) or not all(isinstance(u, str) for u in uses):
            self.err("/$uses", c.SCHEMA_USES_INVALID, "$uses must be an array of strings")
            return
        for i, name in enumerate(uses):
            if name in kw.ADDIN_ALIASES:
                self.warn(
                    join("/$uses", i),
                    c.SCHEMA_USES_UNKNOWN,
                    f"{name!r} is read as {kw.ADDIN_ALIASES[name]!r}",
                )
            elif name not in kw.KNOWN_ADDINS:
                self.warn(join("/$uses", i), c.SCHEMA_USES_UNKNOWN, f"unknown add-in {name!r}")

    def check_offers(self, offers: Any) -> None:
        if not isinstance(offers, dict):
            self.err("/$offers", c.SCHEMA_OFFERS_INVALID, "$offers must be a map (core 3.10.3)")
            return
        for name, value in offers.items():
            ptr = join("/$offers", name)
            refs = value if isinstance(value, list) else [value]
            if not refs:
                self.err(ptr, c.SCHEMA_OFFERS_INVALID, "an offer needs at least one pointer")
            for ref in refs:
                status, target = resolve_type_ref(self.doc, ref)
                if status != "ok":
                    self.err(ptr, c.SCHEMA_OFFERS_INVALID, f"{ref!r} does not name a type")
                elif not is_abstract(target) or not extends_list(target):
                    self.err(
                        ptr,
                        c.SCHEMA_OFFERS_INVALID,
                        f"{ref!r} must be an abstract type that $extends its target (core 3.10)",
                    )

    def check_namespace(self, ns: Any, ptr: str, depth: int) -> None:
        if not isinstance(ns, dict):
            self.err(
                ptr, c.SCHEMA_DEFINITIONS_INVALID, "definitions and namespaces must be objects"
            )
            return
        if depth > MAX_SCHEMA_DEPTH:
            self.err(ptr, c.SCHEMA_MAX_DEPTH_EXCEEDED, "namespaces nest too deeply")
            return
        for key, value in ns.items():
            p = join(ptr, key)
            if key in ("$import", "$importdefs"):
                self.err(p, c.SCHEMA_IMPORT_UNSUPPORTED, f"{key} is not supported")
                continue
            if not kw.IDENTIFIER.match(key):
                self.err(
                    p, c.SCHEMA_IDENTIFIER_INVALID, f"{key!r} is not a valid type name (core 3.6)"
                )
            if not isinstance(value, dict):
                self.err(
                    p, c.SCHEMA_DEFINITIONS_INVALID, "a definition must be a schema or namespace"
                )
            elif "type" in value or self.has_composition(value):
                self.check_schema(value, p, depth + 1)
            elif "$ref" in value:
                self.err(
                    p, c.SCHEMA_REF_NOT_IN_TYPE, "$ref is only allowed inside type (core 3.3.6)"
                )
            else:
                self.check_namespace(value, p, depth + 1)

    # -- schemas (core 3.4, 3.7) -----------------------------------------------
    def has_composition(self, s: dict[str, Any]) -> bool:
        return self.profile.composition and any(k in s for k in kw.COMPOSITION_KEYWORDS)

    def check_schema(self, s: Any, ptr: str, depth: int, *, root: bool = False) -> None:
        if depth > MAX_SCHEMA_DEPTH:
            self.err(
                ptr, c.SCHEMA_MAX_DEPTH_EXCEEDED, f"schemas nest deeper than {MAX_SCHEMA_DEPTH}"
            )
            return
        if not isinstance(s, dict):
            self.err(ptr, c.SCHEMA_INVALID, "a schema must be a JSON object")
            return
        if not root:
            for key in kw.ROOT_ONLY:
                if key in s:
                    self.err(
                        join(ptr, key),
                        c.SCHEMA_KEYWORD_ROOT_ONLY,
                        f"{key} is only allowed at the root",
                    )
            for key in ("$import", "$importdefs"):
                if key in s:
                    self.err(join(ptr, key), c.SCHEMA_IMPORT_UNSUPPORTED, f"{key} is not supported")
        if "$ref" in s:
            self.err(
                join(ptr, "$ref"),
                c.SCHEMA_REF_NOT_IN_TYPE,
                'use {"type": {"$ref": ...}}: $ref is only allowed inside type (core 3.3.6)',
            )
        t = s.get("type")
        if t is None:
            if any(k in s for k in kw.COMPOSITION_KEYWORDS) and self.profile.composition:
                self.check_keywords(s, ptr, depth, frozenset(kw.ANY_TYPE), is_ref=False)
            else:
                self.err(
                    ptr, c.SCHEMA_TYPE_MISSING, "every schema must declare a type (core 3.7.1)"
                )
            return
        if isinstance(t, str):
            if t not in kw.ALL_TYPES:
                self.err(
                    join(ptr, "type"),
                    c.SCHEMA_TYPE_UNKNOWN,
                    f"unknown type name {t!r} (core 3.4.1)",
                )
                return
            kinds = frozenset({t})
            self.check_keywords(s, ptr, depth, kinds, is_ref=False)
            self.check_structure(s, t, ptr, depth)
        elif isinstance(t, dict):
            if root:
                self.err(
                    join(ptr, "type"),
                    c.SCHEMA_REF_IN_ROOT_TYPE,
                    "$ref must not be the root type (core 3.3.6)",
                )
                return
            kind = self.check_type_ref(t, join(ptr, "type"))
            if kind is None:
                return
            self.check_keywords(s, ptr, depth, frozenset({kind}), is_ref=True)
        elif isinstance(t, list):
            kinds = self.check_union(t, join(ptr, "type"))
            if not kinds:
                return
            self.check_keywords(s, ptr, depth, kinds | {"union"}, is_ref=False)
        else:
            self.err(
                join(ptr, "type"), c.SCHEMA_TYPE_INVALID, "type must be a name, a $ref or a union"
            )

    def kind_of(self, s: Any, seen: set[int] | None = None) -> str | None:
        """The type name a schema finally stands for, following $ref aliases."""
        if not isinstance(s, dict):
            return None
        t = s.get("type")
        if isinstance(t, str):
            return t if t in kw.ALL_TYPES else None
        if isinstance(t, list):
            return "union"
        if isinstance(t, dict):
            seen = seen or set()
            if id(s) in seen:
                return None
            seen.add(id(s))
            status, target = resolve_type_ref(self.doc, t.get("$ref"))
            return self.kind_of(target, seen) if status == "ok" else None
        return None

    def check_type_ref(self, t: dict[str, Any], ptr: str) -> str | None:
        extra = [k for k in t if k not in ("$ref", "description")]
        if "$ref" not in t or extra:
            self.err(ptr, c.SCHEMA_TYPE_INVALID, 'a type object must be {"$ref": ...} (core 3.3.6)')
            return None
        ref = t["$ref"]
        status, target = resolve_type_ref(self.doc, ref)
        rptr = join(ptr, "$ref")
        if status == "syntax":
            self.err(
                rptr,
                c.SCHEMA_REF_INVALID,
                f"{ref!r} is not a #/definitions/... pointer (core 3.3.6)",
            )
            return None
        if status == "missing":
            self.err(rptr, c.SCHEMA_REF_NOT_FOUND, f"{ref!r} does not resolve (core 3.4.3)")
            return None
        if status == "namespace":
            self.err(rptr, c.SCHEMA_REF_NOT_TYPE, f"{ref!r} names a namespace, not a type")
            return None
        if is_abstract(target):
            self.err(
                rptr,
                c.SCHEMA_REF_ABSTRACT,
                f"{ref!r} is abstract and cannot be referenced (core 3.10.1)",
            )
            return None
        return self.kind_of(target) or "any"

    def check_union(self, members: list[Any], ptr: str) -> frozenset[str]:
        if not members:
            self.err(ptr, c.SCHEMA_UNION_INVALID, "a type union must not be empty")
            return frozenset()
        kinds: set[str] = set()
        seen: list[Any] = []
        for i, m in enumerate(members):
            p = join(ptr, i)
            if m in seen:
                self.err(p, c.SCHEMA_UNION_INVALID, "duplicate member in type union")
            seen.append(m)
            if isinstance(m, str):
                if m not in kw.ALL_TYPES:
                    self.err(p, c.SCHEMA_TYPE_UNKNOWN, f"unknown type name {m!r} (core 3.4.1)")
                elif m not in kw.PRIMITIVES:
                    self.err(
                        p,
                        c.SCHEMA_UNION_INVALID,
                        f"compound type {m!r} cannot be a union member; use a $ref (core 3.5.1)",
                    )
                else:
                    kinds.add(m)
            elif isinstance(m, dict) and "$ref" in m:
                kind = self.check_type_ref(m, p)
                if kind:
                    kinds.add(kind)
            else:
                self.err(
                    p,
                    c.SCHEMA_UNION_INVALID,
                    'union members are primitive type names or {"$ref": ...} (core 3.5.1)',
                )
        return frozenset(kinds)

    # -- keyword placement and values ---------------------------------------
    def check_keywords(
        self, s: dict[str, Any], ptr: str, depth: int, kinds: frozenset[str], *, is_ref: bool
    ) -> None:
        union = "union" in kinds
        primitive = None if union else next(iter(kinds))
        for key, value in s.items():
            p = join(ptr, key)
            if key in kw.CORE_PLACEMENT:
                if key == "enum" and union:
                    self.err(
                        p,
                        c.SCHEMA_KEYWORD_NOT_ALLOWED,
                        "enum cannot be combined with a type union (core 3.7.7)",
                    )
                elif (
                    (is_ref and key in _STRUCTURAL)
                    or not (kw.CORE_PLACEMENT[key] & kinds)
                    or (union and key == "const")
                ):
                    self.err(
                        p,
                        c.SCHEMA_KEYWORD_NOT_ALLOWED,
                        f"{key} is not allowed on {self._kinds(kinds)}",
                    )
                else:
                    self.check_core_value(s, key, value, p, primitive)
            elif key in kw.CONTENT_ANNOTATIONS:
                if "binary" not in kinds:
                    self.warn(
                        p, c.SCHEMA_ANNOTATION_MISPLACED, f"{key} annotates binary types (core 3.8)"
                    )
                self.check_content(key, value, p)
            elif key in kw.VALIDATION_PLACEMENT:
                if not (kw.VALIDATION_PLACEMENT[key] & kinds):
                    self.err(
                        p,
                        c.SCHEMA_CONSTRAINT_INVALID_FOR_TYPE,
                        f"{key} does not apply to {self._kinds(kinds)}",
                    )
                    continue
                if not self.doc_profile.validation:
                    self.warn(
                        p,
                        c.SCHEMA_EXTENSION_KEYWORD_NOT_ENABLED,
                        f"{key} is a validation keyword; "
                        "enable JSONStructureValidation to enforce it",
                    )
                self.check_validation_value(s, key, value, p, depth, kinds)
            elif key in kw.COMPOSITION_KEYWORDS:
                if not self.doc_profile.composition:
                    self.warn(
                        p,
                        c.SCHEMA_EXTENSION_KEYWORD_NOT_ENABLED,
                        f"{key} needs JSONStructureConditionalComposition to be enforced",
                    )
                self.check_composition_value(key, value, p, depth)
            elif key == "description" and not isinstance(value, str):
                self.err(p, c.SCHEMA_KEYWORD_INVALID, "description must be a string (core 3.9.1)")
            elif key == "examples" and not isinstance(value, list):
                self.err(p, c.SCHEMA_KEYWORD_INVALID, "examples must be an array (core 3.9.2)")
            elif key == "name" and (not isinstance(value, str) or not kw.IDENTIFIER.match(value)):
                self.err(
                    p, c.SCHEMA_NAME_INVALID, f"name {value!r} is not a valid identifier (core 3.6)"
                )
        for low, high in _MIN_MAX_PAIRS:
            lo, hi = s.get(low), s.get(high)
            if _is_count(lo) and _is_count(hi) and lo > hi:
                self.err(
                    join(ptr, low), c.SCHEMA_MIN_GREATER_THAN_MAX, f"{low} {lo} exceeds {high} {hi}"
                )
        if primitive in kw.NUMERIC:
            self.check_numeric_bounds(s, ptr, primitive)

    @staticmethod
    def _kinds(kinds: frozenset[str]) -> str:
        names = sorted(k for k in kinds if k != "union")
        return ("union of " if "union" in kinds else "type ") + "/".join(names)

    def check_core_value(
        self, s: dict[str, Any], key: str, value: Any, p: str, primitive: str | None
    ) -> None:
        if key == "maxLength":
            if not _is_count(value):
                self.err(
                    p,
                    c.SCHEMA_KEYWORD_INVALID,
                    "maxLength must be a non-negative integer (core 3.8.1)",
                )
        elif key in ("precision", "scale"):
            if not _is_count(value) or (key == "precision" and value == 0):
                self.err(
                    p,
                    c.SCHEMA_KEYWORD_INVALID,
                    f"{key} must be a "
                    f"{'positive' if key == 'precision' else 'non-negative'} integer",
                )
            elif key == "scale" and _is_count(s.get("precision")) and value > s["precision"]:
                self.err(p, c.SCHEMA_KEYWORD_INVALID, "scale cannot exceed precision")
        elif key == "abstract":
            if not isinstance(value, bool):
                self.err(p, c.SCHEMA_ABSTRACT_INVALID, "abstract must be a boolean (core 3.10.1)")
        elif key == "enum":
            self.check_enum(value, p, primitive)
        elif key == "const" and primitive is not None:
            detail = self.details[primitive](value) if primitive in self.details else None
            if detail is not None:
                self.err(p, c.SCHEMA_CONST_TYPE, f"const does not match the type: {detail[1]}")
        # properties/items/... are examined by check_structure.

    def check_enum(self, value: Any, p: str, primitive: str | None) -> None:
        if not isinstance(value, list):
            self.err(p, c.SCHEMA_ENUM_INVALID, "enum must be an array (core 3.7.7)")
            return
        if not value:
            self.err(p, c.SCHEMA_ENUM_EMPTY, "enum must not be empty (core 3.7.7)")
            return
        check = self.details.get(primitive) if primitive else None
        for i, member in enumerate(value):
            if check is not None and (detail := check(member)) is not None:
                self.err(
                    join(p, i),
                    c.SCHEMA_ENUM_MEMBER_TYPE,
                    f"enum member does not match the type: {detail[1]}",
                )
        try:
            dup = first_duplicate(value)
        except TooDeep:
            dup = None
        if dup is not None:
            self.err(
                join(p, dup), c.SCHEMA_ENUM_DUPLICATE, "enum values must be unique (core 3.7.7)"
            )

    def check_content(self, key: str, value: Any, p: str) -> None:
        if key == "contentEncoding" and value not in kw.CONTENT_ENCODINGS:
            self.err(
                p,
                c.SCHEMA_KEYWORD_INVALID,
                f"contentEncoding must be one of {sorted(kw.CONTENT_ENCODINGS)}",
            )
        elif key == "contentCompression" and value not in kw.CONTENT_COMPRESSIONS:
            self.err(
                p,
                c.SCHEMA_KEYWORD_INVALID,
                f"contentCompression must be one of {sorted(kw.CONTENT_COMPRESSIONS)}",
            )
        elif key == "contentMediaType" and (
            not isinstance(value, str) or not _MEDIA_TYPE.match(value)
        ):
            self.err(
                p, c.SCHEMA_KEYWORD_INVALID, "contentMediaType must be a media type (RFC 6838)"
            )

    def check_validation_value(
        self, s: dict[str, Any], key: str, value: Any, p: str, depth: int, kinds: frozenset[str]
    ) -> None:
        if key in _NON_NEGATIVE:
            if not _is_count(value):
                self.err(
                    p, c.SCHEMA_CONSTRAINT_VALUE_INVALID, f"{key} must be a non-negative integer"
                )
            if key in ("minContains", "maxContains") and "contains" not in s:
                self.err(p, c.SCHEMA_KEYWORD_INVALID, f"{key} requires contains")
        elif key == "uniqueItems":
            if not isinstance(value, bool):
                self.err(p, c.SCHEMA_KEYWORD_INVALID, "uniqueItems must be a boolean")
        elif key == "pattern":
            problem = check_pattern(value, True)
            if problem:
                self.err(p, problem[0], problem[1])
        elif key == "format":
            if not isinstance(value, str):
                self.err(p, c.SCHEMA_KEYWORD_INVALID, "format must be a string")
            elif value not in kw.FORMATS:
                hint = CORE_TYPE_FOR_FORMAT.get(value)
                extra = f"; use the core type {hint!r} instead" if hint else ""
                self.warn(
                    p, c.SCHEMA_FORMAT_UNKNOWN, f"unknown format {value!r} is not checked{extra}"
                )
        elif key in ("contains", "has"):
            self.check_schema(value, p, depth + 1)
        elif key in ("propertyNames", "keyNames"):
            self.check_schema(value, p, depth + 1)
            if isinstance(value, dict) and self.kind_of(value) != "string":
                self.err(p, c.SCHEMA_KEYWORD_INVALID, f"{key} must be a schema of type string")
        elif key in ("patternProperties", "patternKeys"):
            if not isinstance(value, dict):
                self.err(
                    p, c.SCHEMA_KEYWORD_INVALID, f"{key} must map regular expressions to schemas"
                )
                return
            for pattern, sub in value.items():
                problem = check_pattern(pattern, False)
                if problem:
                    self.err(join(p, pattern), problem[0], problem[1])
                self.check_schema(sub, join(p, pattern), depth + 1)
        elif key == "dependentRequired":
            if not isinstance(value, dict) or not all(
                isinstance(v, list) and all(isinstance(n, str) for n in v) for v in value.values()
            ):
                self.err(
                    p,
                    c.SCHEMA_KEYWORD_INVALID,
                    "dependentRequired must map names to arrays of names",
                )
        elif key == "default":
            kind = next(iter(kinds)) if len(kinds) == 1 else None
            check = self.details.get(kind) if kind else None
            if check is not None and (detail := check(value)) is not None:
                self.err(p, c.SCHEMA_DEFAULT_TYPE, f"default does not match the type: {detail[1]}")
        # Numeric keywords are checked together in check_numeric_bounds.

    def check_numeric_bounds(self, s: dict[str, Any], ptr: str, kind: str) -> None:
        """Validation 3.1: limits in the type's value space; strings for big types."""
        values: dict[str, Decimal] = {}
        for key in kw.NUMERIC_KEYWORDS:
            if key not in s:
                continue
            raw = s[key]
            number = self._numeric_keyword(raw, kind)
            if number is None:
                self.err(
                    join(ptr, key),
                    c.SCHEMA_CONSTRAINT_VALUE_INVALID,
                    f"{key} must be "
                    f"{'a numeric string' if kind in kw.STRING_ENCODED_NUMERIC else 'a number'} "
                    f"in the value space of {kind} (validation 3.1)",
                )
                continue
            values[key] = number
        step = values.get("multipleOf")
        if step is not None and step <= 0:
            self.err(
                join(ptr, "multipleOf"),
                c.SCHEMA_MULTIPLE_OF_INVALID,
                "multipleOf must be greater than 0",
            )
        lows = [(values[k], k) for k in ("minimum", "exclusiveMinimum") if k in values]
        highs = [(values[k], k) for k in ("maximum", "exclusiveMaximum") if k in values]
        for lo, lk in lows:
            for hi, hk in highs:
                if lo > hi or (
                    lo == hi and (lk.startswith("exclusive") or hk.startswith("exclusive"))
                ):
                    self.err(
                        join(ptr, lk),
                        c.SCHEMA_MIN_GREATER_THAN_MAX,
                        f"{lk} {lo} leaves no room below {hk} {hi}",
                    )

    @staticmethod
    def _numeric_keyword(raw: Any, kind: str) -> Decimal | None:
        if kind in kw.STRING_ENCODED_NUMERIC:
            if not isinstance(raw, str):
                return None
            if kind != "decimal":
                return Decimal(n) if (n := parse_big_int(raw, kind)) is not None else None
            return Decimal(raw) if _NUMBER_STRING.match(raw) else None
        if type(raw) not in (int, float):
            return None
        try:
            number = Decimal(repr(raw)) if type(raw) is float else Decimal(raw)
        except InvalidOperation:
            return None
        if not number.is_finite():
            return None
        if kind in kw.JSON_NUMBER_INTS and number != number.to_integral_value():
            return None
        return number

    # -- composition (conditional composition draft) ---------------------------
    def check_composition(self, s: dict[str, Any], ptr: str, depth: int) -> None:
        for key in kw.COMPOSITION_KEYWORDS:
            if key in s:
                self.check_composition_value(key, s[key], join(ptr, key), depth)

    def check_composition_value(self, key: str, value: Any, p: str, depth: int) -> None:
        if key in kw.COMPOSITION_ARRAYS:
            if not isinstance(value, list) or not value:
                self.err(
                    p, c.SCHEMA_COMPOSITION_INVALID, f"{key} must be a non-empty array of schemas"
                )
                return
            for i, sub in enumerate(value):
                self.check_schema(sub, join(p, i), depth + 1)
        else:
            self.check_schema(value, p, depth + 1)

    # -- compound structure (core 3.2.3, 3.7, 3.10) ---------------------------
    def check_structure(self, s: dict[str, Any], t: str, ptr: str, depth: int) -> None:
        if t == "object":
            self.check_object(s, ptr, depth)
        elif t in ("array", "set"):
            if "items" not in s:
                self.err(ptr, c.SCHEMA_ITEMS_MISSING, f"{t} requires items (core 3.2.3)")
            else:
                self.check_schema(s["items"], join(ptr, "items"), depth + 1)
        elif t == "map":
            if "values" not in s:
                self.err(ptr, c.SCHEMA_VALUES_MISSING, "map requires values (core 3.2.3.4)")
            else:
                self.check_schema(s["values"], join(ptr, "values"), depth + 1)
        elif t == "tuple":
            self.check_tuple(s, ptr, depth)
        elif t == "choice":
            self.check_choice(s, ptr, depth)

    def check_properties(self, s: dict[str, Any], ptr: str, depth: int, t: str) -> set[str]:
        """Check ``properties``; return own and inherited property names."""
        inherited = set(self.inherited_properties(s))
        props = s.get("properties")
        own: set[str] = set()
        if props is None:
            if not extends_list(s):
                self.err(ptr, c.SCHEMA_PROPERTIES_MISSING, f"{t} requires properties (core 3.2.3)")
        elif not isinstance(props, dict):
            self.err(
                join(ptr, "properties"),
                c.SCHEMA_PROPERTIES_INVALID,
                "properties must be a map of schemas",
            )
        else:
            if not props and not extends_list(s):
                self.err(
                    join(ptr, "properties"),
                    c.SCHEMA_PROPERTIES_MISSING,
                    f"{t} needs at least one property (core 3.2.3.1)",
                )
            for name, sub in props.items():
                p = join(join(ptr, "properties"), name)
                if not kw.IDENTIFIER.match(name):
                    self.err(
                        p,
                        c.SCHEMA_IDENTIFIER_INVALID,
                        f"{name!r} is not a valid property name (core 3.6)",
                    )
                if name in inherited:
                    self.err(
                        p,
                        c.SCHEMA_EXTENDS_REDEFINES,
                        f"{name!r} redefines an inherited property (core 3.10.2)",
                    )
                own.add(name)
                self.check_schema(sub, p, depth + 1)
        if "$extends" in s:
            self.check_extends(s, ptr, t)
        return own | inherited

    def check_object(self, s: dict[str, Any], ptr: str, depth: int) -> None:
        names = self.check_properties(s, ptr, depth, "object")
        if "required" in s:
            self.check_required(s["required"], join(ptr, "required"), names)
        if "additionalProperties" in s:
            ap = s["additionalProperties"]
            p = join(ptr, "additionalProperties")
            if is_abstract(s):
                self.err(
                    p,
                    c.SCHEMA_KEYWORD_NOT_ALLOWED,
                    "abstract types cannot set additionalProperties (core 3.10.1)",
                )
            if not isinstance(ap, bool):
                if isinstance(ap, dict):
                    self.check_schema(ap, p, depth + 1)
                else:
                    self.err(
                        p,
                        c.SCHEMA_ADDITIONAL_PROPERTIES_INVALID,
                        "additionalProperties must be a boolean or a schema",
                    )

    def check_required(self, req: Any, ptr: str, names: set[str]) -> None:
        if not isinstance(req, list):
            self.err(ptr, c.SCHEMA_REQUIRED_INVALID, "required must be an array (core 3.7.3)")
            return
        if all(isinstance(r, str) for r in req):
            groups = [(ptr, req)]
        elif req and all(isinstance(r, list) and all(isinstance(n, str) for n in r) for r in req):
            groups = [(join(ptr, i), r) for i, r in enumerate(req)]
        else:
            self.err(
                ptr,
                c.SCHEMA_REQUIRED_INVALID,
                "required must list names or arrays of names (core 3.7.3)",
            )
            return
        for gptr, group in groups:
            for i, name in enumerate(group):
                if name not in names:
                    self.err(
                        join(gptr, i),
                        c.SCHEMA_REQUIRED_UNDEFINED,
                        f"required property {name!r} is not declared",
                    )

    def check_tuple(self, s: dict[str, Any], ptr: str, depth: int) -> None:
        names = self.check_properties(s, ptr, depth, "tuple")
        order = s.get("tuple")
        if order is None:
            if not is_abstract(s):
                self.err(
                    ptr, c.SCHEMA_TUPLE_MISSING, "tuple requires the tuple keyword (core 3.2.3.5)"
                )
            return
        p = join(ptr, "tuple")
        if not isinstance(order, list) or not all(isinstance(n, str) for n in order):
            self.err(p, c.SCHEMA_TUPLE_INVALID, "tuple must be an array of property names")
            return
        if len(set(order)) != len(order):
            self.err(p, c.SCHEMA_TUPLE_INVALID, "tuple lists a property twice")
        for i, name in enumerate(order):
            if name not in names:
                self.err(join(p, i), c.SCHEMA_TUPLE_INVALID, f"{name!r} is not a declared property")
        missing = sorted(names - set(order))
        if missing:
            self.err(
                p, c.SCHEMA_TUPLE_INVALID, f"tuple must list every property; missing {missing}"
            )

    def check_choice(self, s: dict[str, Any], ptr: str, depth: int) -> None:
        choices = s.get("choices")
        if choices is None:
            self.err(ptr, c.SCHEMA_CHOICES_MISSING, "choice requires choices (core 3.2.3.7)")
        elif not isinstance(choices, dict) or not choices:
            self.err(
                join(ptr, "choices"),
                c.SCHEMA_CHOICES_INVALID,
                "choices must be a non-empty map of schemas",
            )
            choices = None
        else:
            for name, sub in choices.items():
                p = join(join(ptr, "choices"), name)
                if not kw.IDENTIFIER.match(name):
                    self.err(
                        p,
                        c.SCHEMA_IDENTIFIER_INVALID,
                        f"{name!r} is not a valid choice name (core 3.6)",
                    )
                self.check_schema(sub, p, depth + 1)
        if "$extends" not in s:
            if "selector" in s:
                self.err(
                    join(ptr, "selector"),
                    c.SCHEMA_SELECTOR_INVALID,
                    "selector needs $extends (core 3.2.3.7.2)",
                )
            return
        selector = s.get("selector")
        if not isinstance(selector, str) or not kw.IDENTIFIER.match(selector):
            self.err(
                ptr,
                c.SCHEMA_SELECTOR_INVALID,
                "an inline union needs a selector property name (core 3.2.3.7.2)",
            )
        bases = self.check_extends(s, ptr, "choice")
        for base in bases:
            if not is_abstract(base):
                self.err(
                    join(ptr, "$extends"),
                    c.SCHEMA_EXTENDS_NOT_ABSTRACT,
                    "an inline union's base must be abstract (core 3.2.3.7.2)",
                )
            shadow = (
                (base.get("properties") or {}).get(selector) if isinstance(selector, str) else None
            )
            if isinstance(shadow, dict) and shadow.get("type") != "string":
                self.err(
                    join(ptr, "selector"),
                    c.SCHEMA_SELECTOR_INVALID,
                    "a shadowed selector property must be a string",
                )
        if choices:
            base_ids = {id(b) for b in bases}
            for name, sub in choices.items():
                if isinstance(sub, dict) and not base_ids & self.ancestor_ids(sub):
                    self.err(
                        join(join(ptr, "choices"), name),
                        c.SCHEMA_CHOICES_INVALID,
                        "every choice of an inline union must extend its base (core 3.2.3.7.2)",
                    )

    def ancestor_ids(self, s: dict[str, Any]) -> set[int]:
        """ids of all types ``s`` (or the type it references) extends."""
        t = s.get("type")
        if isinstance(t, dict):
            status, target = resolve_type_ref(self.doc, t.get("$ref"))
            if status != "ok":
                return set()
            s = target
        out: set[int] = set()
        stack = [s]
        while stack:
            cur = stack.pop()
            for ref in extends_list(cur):
                status, base = resolve_type_ref(self.doc, ref)
                if status == "ok" and id(base) not in out:
                    out.add(id(base))
                    stack.append(base)
        return out

    def check_extends(self, s: dict[str, Any], ptr: str, t: str) -> list[dict[str, Any]]:
        raw = s["$extends"]
        p = join(ptr, "$extends")
        refs = raw if isinstance(raw, list) else [raw]
        if not refs or not all(isinstance(r, str) for r in refs):
            self.err(
                p,
                c.SCHEMA_EXTENDS_INVALID,
                "$extends must be a pointer or an array of pointers (core 3.10.2)",
            )
            return []
        bases: list[dict[str, Any]] = []
        want = "object" if t == "choice" else t
        for i, ref in enumerate(refs):
            rp = join(p, i) if isinstance(raw, list) else p
            status, base = resolve_type_ref(self.doc, ref)
            if status == "syntax":
                self.err(rp, c.SCHEMA_REF_INVALID, f"{ref!r} is not a #/definitions/... pointer")
                continue
            if status != "ok":
                self.err(
                    rp,
                    c.SCHEMA_REF_NOT_FOUND,
                    f"$extends target {ref!r} does not resolve to a type",
                )
                continue
            if base.get("type") != want:
                self.err(rp, c.SCHEMA_EXTENDS_INVALID, f"a {t} can only extend an {want} type")
                continue
            if t != "choice" and not is_abstract(base) and not is_abstract(s) and not self.lenient:
                self.err(
                    rp,
                    c.SCHEMA_EXTENDS_NOT_ABSTRACT,
                    f"$extends target {ref!r} must be abstract (core 3.10.2)",
                )
            self.extends_edges.setdefault(id(s), []).append(id(base))
            bases.append(base)
        return bases

    def inherited_properties(self, s: dict[str, Any]) -> dict[str, Any]:
        """Properties merged in from ``$extends`` bases, first base first (core 3.10.2)."""
        merged: dict[str, Any] = {}
        seen = {id(s)}
        stack = [s]
        order: list[dict[str, Any]] = []
        while stack:
            cur = stack.pop(0)
            for ref in extends_list(cur):
                status, base = resolve_type_ref(self.doc, ref)
                if status == "ok" and id(base) not in seen:
                    seen.add(id(base))
                    order.append(base)
                    stack.append(base)
        for base in order:
            props = base.get("properties")
            if isinstance(props, dict):
                for name, sub in props.items():
                    merged.setdefault(name, sub)
        return merged

    # -- cycles (core 3.3.6, 3.10.2) ------------------------------------------
    def check_extends_cycles(self) -> None:
        state: dict[int, int] = {}
        reported: set[int] = set()

        def visit(node: int, path: list[int]) -> None:
            state[node] = 1
            path.append(node)
            for nxt in self.extends_edges.get(node, ()):
                if state.get(nxt) == 1:
                    for member in path[path.index(nxt) :]:
                        if member not in reported:
                            reported.add(member)
                            ptr = self.decls.get(member, "")
                            self.err(
                                join(ptr, "$extends"),
                                c.SCHEMA_EXTENDS_CIRCULAR,
                                "$extends forms a cycle",
                            )
                elif nxt not in state:
                    visit(nxt, path)
            path.pop()
            state[node] = 2

        for node in list(self.extends_edges):
            if node not in state:
                visit(node, [])

    def check_alias_cycles(self) -> None:
        """A type that is nothing but a $ref chain back to itself is rejected."""
        by_id: dict[int, dict[str, Any]] = {}
        self._collect_decls(self.doc.get("definitions"), by_id, 0)
        for decl_id, decl in by_id.items():
            seen = {decl_id}
            cur = decl
            while isinstance(cur.get("type"), dict):
                status, target = resolve_type_ref(self.doc, cur["type"].get("$ref"))
                if status != "ok":
                    break
                if id(target) == decl_id:
                    ptr = self.decls.get(decl_id, "")
                    self.err(
                        join(join(ptr, "type"), "$ref"),
                        c.SCHEMA_REF_CIRCULAR,
                        "type is a $ref cycle with no base case",
                    )
                    break
                if id(target) in seen:
                    break
                seen.add(id(target))
                cur = target

    def _collect_decls(self, ns: Any, out: dict[int, dict[str, Any]], depth: int) -> None:
        if not isinstance(ns, dict) or depth > MAX_SCHEMA_DEPTH:
            return
        for value in ns.values():
            if isinstance(value, dict):
                if "type" in value:
                    out[id(value)] = value
                else:
                    self._collect_decls(value, out, depth + 1)


def _is_count(value: Any) -> TypeGuard[int]:
    return type(value) is int and value >= 0
