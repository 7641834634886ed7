"""Differential tests against the official ``json-structure`` 0.8.0 package.

For each type and keyword, hypothesis generates valid and invalid values; both
implementations (the SDK in ``extended=True`` mode, ours with
``extended=True``) must give the same valid/invalid verdict.  A difference is
allowed only when the value falls into a deliberate disagreement listed in
docs/structure.md; each predicate below names its entry (D-number) and the
spec section that decides it.  Values are wrapped as ``{"v": value}`` in an
object schema so that every type can sit at a property position.
"""

from __future__ import annotations

import copy
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

pytest.importorskip(
    "json_structure", reason="the official json-structure package is needed for differential tests"
)

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from json_structure import InstanceValidator

from hubauth.structure import compile
from hubauth.structure.primitives import INT_RANGES, is_date, is_datetime

from .conftest import CORE, EXTENDED

Disagree = Callable[[Any], str | None]


@dataclass
class Case:
    label: str
    prop: dict[str, Any]
    values: st.SearchStrategy[Any]
    disagree: Disagree | None = None
    definitions: dict[str, Any] | None = None


def _doc(case: Case) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "$schema": EXTENDED,
        "$id": "https://example.com/diff",
        "name": "Diff",
        "$uses": ["JSONStructureValidation"],
        "type": "object",
        "properties": {"v": case.prop},
    }
    if case.definitions:
        doc["definitions"] = case.definitions
    return doc


def _sdk_valid(doc: dict[str, Any], instance: Any) -> bool:
    # A fresh validator per call: the SDK accumulates errors and mutates inputs.
    return not InstanceValidator(copy.deepcopy(doc), extended=True).validate_instance(
        copy.deepcopy(instance)
    )


# --- deliberate disagreements (docs/structure.md, section "Deliberate disagreements")


def d_bool_number(v: Any) -> str | None:
    """D11, core 3.2.1.2/3.2.2: JSON true/false are not numbers (SDK: bool subclasses int).

    Applies when a boolean sits anywhere in the value, since containers in
    these cases hold numeric positions.
    """
    if type(v) is bool:
        return "D11"
    if isinstance(v, dict):
        v = list(v.values())
    if isinstance(v, list):
        return next((label for x in v if (label := d_bool_number(x))), None)
    return None


def d_float_range(limit: float) -> Disagree:
    def check(v: Any) -> str | None:
        """D5, core 3.2.2.12-14: float ranges are checked; NaN is not a JSON number."""
        if d_bool_number(v):
            return "D11"
        if type(v) is float and not math.isfinite(v):
            return "D5"
        if type(v) in (int, float) and abs(v) > limit:
            return "D5"
        return None

    return check


_STRICT_INT = re.compile(r"-?(?:0|[1-9][0-9]*)\Z")


def d_big_int(v: Any) -> str | None:
    """D12, core 3.2.2.8-11: RFC 8259 int syntax only.

    The SDK uses Python int(), which accepts '+5', ' 5', '007' and '1_0'.
    """
    if isinstance(v, str) and not _STRICT_INT.match(v):
        return "D12"
    if isinstance(v, str) and v.startswith("-0"):
        return "D12"
    return None


_STRICT_DECIMAL = re.compile(r"-?(?:0|[1-9][0-9]*)\.([0-9]+)\Z")


def d_decimal(v: Any) -> str | None:
    """D2, core 3.2.2.15: '[minus] int frac', at most 34 digits / 7 fraction digits.

    The SDK uses float(), which accepts '12', '1e5' and 'NaN'.
    """
    if not isinstance(v, str):
        return None
    m = _STRICT_DECIMAL.match(v)
    if m is None or len(m[1]) > 7 or len(v.lstrip("-").replace(".", "").lstrip("0")) > 34:
        return "D2"
    return None


def d_calendar(check: Callable[[str], bool]) -> Disagree:
    def inner(v: Any) -> str | None:
        """D13, core 3.2.2.16-17: RFC 3339 field ranges and real calendar days (SDK: regex
        only), and RFC 3339 5.6's case-insensitive "t"/"z" (SDK: upper case only)."""
        return "D13" if isinstance(v, str) and (not check(v) or "t" in v or "z" in v) else None

    return inner


def d_time(v: Any) -> str | None:
    """D6, core 3.2.2.18: RFC 3339 full-time needs an offset (SDK rejects offsets, accepts none)."""
    return "D6" if isinstance(v, str) else None


def d_uri(v: Any) -> str | None:
    """D14, core 3.2.2.21: URI references (relative allowed), RFC 3986 characters only.

    The SDK demands a scheme found by urlparse() and allows any characters.
    """
    return "D14" if isinstance(v, str) else None


def d_pointer(v: Any) -> str | None:
    """D15, core 3.2.2.22: RFC 6901 string form '/a/b' (SDK: only '#/...' fragments)."""
    return "D15" if isinstance(v, str) else None


def d_binary(v: Any) -> str | None:
    """D16, core 3.2.2.1: the string must be base64 (SDK: any string)."""
    return "D16" if isinstance(v, str) else None


def d_uuid(v: Any) -> str | None:
    """D17, core 3.2.2.20: RFC 9562 8-4-4-4-12 text form only.

    The SDK uses uuid.UUID(), which accepts braces, 'urn:uuid:' and no hyphens.
    """
    return "D17" if isinstance(v, str) else None


def d_duration(v: Any) -> str | None:
    """D7, core 3.2.2.19: at least one component, a fraction only on seconds.

    The SDK accepts 'P' and 'PT'.
    """
    return "D7" if isinstance(v, str) else None


def d_set_identity(v: Any) -> str | None:
    """D18, core 3.2.3.3: uniqueness by JSON value, so 1 and 1.0 are equal.

    The SDK compares json.dumps() text.
    """
    if not isinstance(v, list):
        return None
    numbers = [x for x in v if type(x) in (int, float)]
    return "D18" if len(set(numbers)) != len({repr(x) for x in numbers}) else None


def d_pattern_search(v: Any) -> str | None:
    """D9, validation 3.2.2: 'its entire value conforms' -- full match (SDK: re.search)."""
    return "D9" if isinstance(v, str) else None


def _either(*checks: Disagree) -> Disagree:
    def inner(v: Any) -> str | None:
        for check in checks:
            label = check(v)
            if label:
                return label
        return None

    return inner


# --- value strategies -------------------------------------------------------

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=12),
)
json_values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=4), inner, max_size=4)
    ),
    max_leaves=8,
)


def ints_near(lo: int, hi: int) -> st.SearchStrategy[Any]:
    edges = st.sampled_from([lo - 1, lo, lo + 1, 0, hi - 1, hi, hi + 1])
    return st.one_of(
        edges,
        st.integers(lo - 1000, hi + 1000),
        st.booleans(),
        st.floats(-1e12, 1e12),
        st.text(max_size=3),
    )


def int_strings(lo: int, hi: int) -> st.SearchStrategy[Any]:
    return st.one_of(
        st.integers(lo - 10, hi + 10).map(str),
        st.sampled_from([str(lo), str(hi), str(hi + 1), str(lo - 1)]),
        st.from_regex(r"[-+ ]?[0-9_]{1,22}", fullmatch=True),
        st.integers(-5, 5),
    )


def date_like(with_time: bool) -> st.SearchStrategy[str]:
    base = st.tuples(st.integers(0, 9999), st.integers(0, 13), st.integers(0, 32)).map(
        lambda t: f"{t[0]:04d}-{t[1]:02d}-{t[2]:02d}"
    )
    if not with_time:
        return st.one_of(base, st.text(max_size=10))
    clock = st.tuples(st.integers(0, 25), st.integers(0, 61), st.integers(0, 61)).map(
        lambda t: f"{t[0]:02d}:{t[1]:02d}:{t[2]:02d}"
    )
    offset = st.sampled_from(["Z", "+01:00", "-08:00", "", "z"])
    return st.one_of(
        st.tuples(base, st.sampled_from(["T", " ", "t"]), clock, offset).map("".join),
        st.text(max_size=10),
    )


CASES: list[Case] = [
    Case("string", {"type": "string"}, json_values),
    Case("boolean", {"type": "boolean"}, json_values),
    Case("null", {"type": "null"}, json_values),
    Case("any", {"type": "any"}, json_values),
    *[
        Case(name, {"type": name}, ints_near(*INT_RANGES[name]), d_bool_number)
        for name in ("integer", "int8", "uint8", "int16", "uint16", "int32", "uint32")
    ],
    Case("number", {"type": "number"}, scalars, d_bool_number),
    Case(
        "double",
        {"type": "double"},
        st.one_of(scalars, st.integers(10**307, 10**310)),
        d_float_range(1.7976931348623157e308),
    ),
    Case(
        "float",
        {"type": "float"},
        st.one_of(scalars, st.floats(1e37, 1e40)),
        d_float_range(3.4028234663852886e38),
    ),
    Case(
        "float8", {"type": "float8"}, st.one_of(scalars, st.floats(-1e4, 1e4)), d_float_range(3.4e3)
    ),
    *[
        Case(name, {"type": name}, int_strings(*INT_RANGES[name]), d_big_int)
        for name in ("int64", "uint64", "int128", "uint128")
    ],
    Case(
        "decimal",
        {"type": "decimal"},
        st.one_of(
            st.decimals(allow_nan=False, allow_infinity=False, places=3).map(str),
            st.from_regex(r"-?[0-9]{1,5}(\.[0-9]{0,9})?", fullmatch=True),
            st.floats(allow_nan=False, allow_infinity=False),
        ),
        d_decimal,
    ),
    Case("date", {"type": "date"}, date_like(False), d_calendar(is_date)),
    Case("datetime", {"type": "datetime"}, date_like(True), d_calendar(is_datetime)),
    Case("time", {"type": "time"}, st.one_of(st.text(max_size=8), st.integers()), d_time),
    Case(
        "uuid",
        {"type": "uuid"},
        st.one_of(st.uuids().map(str), st.integers(), st.text(max_size=5)),
        d_uuid,
    ),
    Case("uri", {"type": "uri"}, st.one_of(st.integers(), st.none()), d_uri),
    Case(
        "jsonpointer", {"type": "jsonpointer"}, st.one_of(st.integers(), st.booleans()), d_pointer
    ),
    Case(
        "binary",
        {"type": "binary"},
        st.one_of(
            st.binary(max_size=9).map(lambda b: __import__("base64").b64encode(b).decode()),
            st.integers(),
        ),
        d_binary,
    ),
    Case(
        "duration",
        {"type": "duration"},
        st.one_of(
            st.from_regex(
                r"P([0-9]+Y)?([0-9]+M)?([0-9]+D)?(T([0-9]+H)?([0-9]+M)?([0-9]+S)?)?", fullmatch=True
            ),
            st.integers(),
        ),
        d_duration,
    ),
    Case(
        "object required/closed",
        {
            "type": "object",
            "properties": {"a": {"type": "string"}, "b": {"type": "int8"}},
            "required": ["a"],
            "additionalProperties": False,
        },
        st.one_of(
            json_values,
            st.fixed_dictionaries({"a": scalars}, optional={"b": scalars, "c": scalars}),
        ),
        d_bool_number,
    ),
    Case(
        "object additional schema",
        {
            "type": "object",
            "properties": {"a": {"type": "string"}},
            "additionalProperties": {"type": "boolean"},
        },
        st.dictionaries(st.sampled_from(["a", "b", "c"]), scalars, max_size=3),
    ),
    Case(
        "array",
        {"type": "array", "items": {"type": "string"}},
        st.one_of(json_values, st.lists(scalars, max_size=5)),
    ),
    Case(
        "set",
        {"type": "set", "items": {"type": "number"}},
        st.lists(st.one_of(st.integers(-3, 3), st.sampled_from([1.0, 2.0, 0.5])), max_size=5),
        d_set_identity,
    ),
    Case(
        "map",
        {"type": "map", "values": {"type": "int32"}},
        st.dictionaries(st.text(max_size=3), scalars, max_size=4),
        d_bool_number,
    ),
    Case(
        "tuple",
        {
            "type": "tuple",
            "properties": {"x": {"type": "string"}, "y": {"type": "boolean"}},
            "tuple": ["x", "y"],
        },
        st.lists(st.one_of(st.text(max_size=2), st.booleans()), max_size=3),
    ),
    Case(
        "choice",
        {"type": "choice", "choices": {"s": {"type": "string"}, "b": {"type": "boolean"}}},
        st.dictionaries(
            st.sampled_from(["s", "b", "z"]),
            st.one_of(st.text(max_size=2), st.booleans()),
            max_size=2,
        ),
    ),
    Case("union", {"type": ["string", "null", "boolean"]}, json_values),
    Case(
        "enum",
        {"type": "string", "enum": ["a", "b", "c"]},
        st.one_of(st.sampled_from(["a", "b", "c", "d", ""]), scalars),
    ),
    Case(
        "const",
        {"type": "int32", "const": 7},
        st.one_of(st.integers(5, 9), st.booleans()),
        d_bool_number,
    ),
    Case("maxLength", {"type": "string", "maxLength": 3}, st.text(max_size=6)),
    Case("minLength", {"type": "string", "minLength": 2}, st.text(max_size=4)),
    Case(
        "pattern anchored",
        {"type": "string", "pattern": "^[a-c]+[0-9]?$"},
        st.from_regex(r"[a-d0-9]{0,4}", fullmatch=True),
    ),
    Case(
        "pattern unanchored",
        {"type": "string", "pattern": "[0-9]"},
        st.from_regex(r"[a-b0-9]{0,3}", fullmatch=True),
        d_pattern_search,
    ),
    Case("minimum/maximum", {"type": "int32", "minimum": -5, "maximum": 5}, st.integers(-8, 8)),
    Case(
        "exclusive bounds",
        {"type": "double", "exclusiveMinimum": 0, "exclusiveMaximum": 1.5},
        st.one_of(st.floats(-1, 2, allow_nan=False), st.sampled_from([0, 0.0, 1.5])),
    ),
    Case("multipleOf", {"type": "int32", "multipleOf": 3}, st.integers(-20, 20)),
    Case(
        "array sizes",
        {"type": "array", "items": {"type": "int8"}, "minItems": 1, "maxItems": 3},
        st.lists(st.integers(0, 3), max_size=5),
    ),
    Case(
        "uniqueItems",
        {"type": "array", "items": {"type": "string"}, "uniqueItems": True},
        st.lists(st.sampled_from(["a", "b", "c"]), max_size=4),
    ),
    Case(
        "contains",
        {
            "type": "array",
            "items": {"type": "int32"},
            "contains": {"type": "int32", "minimum": 10},
            "minContains": 1,
            "maxContains": 2,
        },
        st.lists(st.integers(5, 15), max_size=5),
    ),
    Case(
        "object sizes",
        {
            "type": "object",
            "properties": {"a": {"type": "int8"}, "b": {"type": "int8"}, "c": {"type": "int8"}},
            "minProperties": 1,
            "maxProperties": 2,
        },
        st.dictionaries(st.sampled_from(["a", "b", "c"]), st.integers(0, 3), max_size=3),
    ),
    Case(
        "map sizes",
        {"type": "map", "values": {"type": "int8"}, "minEntries": 1, "maxEntries": 2},
        st.dictionaries(st.text(max_size=2), st.integers(0, 3), max_size=4),
    ),
    Case(
        "dependentRequired",
        {
            "type": "object",
            "properties": {"a": {"type": "int8"}, "b": {"type": "int8"}},
            "dependentRequired": {"a": ["b"]},
        },
        st.dictionaries(st.sampled_from(["a", "b"]), st.integers(0, 3), max_size=2),
    ),
    Case(
        "keyNames",
        {
            "type": "map",
            "values": {"type": "int8"},
            "keyNames": {"type": "string", "pattern": "^[a-z]+$"},
        },
        st.dictionaries(
            st.from_regex(r"[a-zA-Z]{1,3}", fullmatch=True), st.integers(0, 3), max_size=3
        ),
    ),
    Case(
        "ref",
        {"type": {"$ref": "#/definitions/Point"}},
        st.one_of(
            json_values, st.fixed_dictionaries({"x": st.integers(-2, 2)}, optional={"y": scalars})
        ),
        d_bool_number,
        definitions={
            "Point": {
                "type": "object",
                "properties": {"x": {"type": "int8"}, "y": {"type": "int8"}},
                "required": ["x"],
            }
        },
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.label for c in CASES])
def test_verdicts_match_official_package(case: Case) -> None:
    doc = _doc(case)
    ours = compile(doc, extended=True)

    @settings(
        max_examples=40, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck)
    )
    @given(case.values)
    def check(value: Any) -> None:
        instance = {"v": value}
        mine = ours.is_valid(instance)
        theirs = _sdk_valid(doc, instance)
        if mine != theirs:
            label = case.disagree(value) if case.disagree else None
            assert label is not None, (
                f"undocumented disagreement on {value!r}: ours={mine}, official={theirs}"
            )

    check()


def test_core_document_without_uses_matches_in_extended_mode() -> None:
    doc = {
        "$schema": CORE,
        "$id": "https://example.com/x",
        "name": "X",
        "type": "object",
        "properties": {"n": {"type": "int32", "maximum": 3}},
    }
    assert compile(doc, extended=True).is_valid({"n": 4}) is _sdk_valid(doc, {"n": 4}) is False


# --- disagreements the official package gets wrong on purpose-built inputs -------------


def test_official_ignores_constraints_behind_ref_but_we_enforce_them() -> None:
    """D1, core 3.3.6: a $ref stands for the whole declaration, constraints included."""
    doc = {
        "$schema": CORE,
        "$id": "https://example.com/x",
        "name": "X",
        "type": "object",
        "properties": {"v": {"type": {"$ref": "#/definitions/Code"}}},
        "definitions": {"Code": {"type": "string", "enum": ["A", "B"], "maxLength": 1}},
    }
    assert _sdk_valid(doc, {"v": "ZZZ"}) is True
    assert compile(doc).is_valid({"v": "ZZZ"}) is False


def test_official_compares_big_number_limits_as_strings_but_we_compare_numbers() -> None:
    """D3, validation 3.1: limits of int64/decimal are numeric values written as strings."""
    doc = {
        "$schema": EXTENDED,
        "$id": "https://example.com/x",
        "name": "X",
        "$uses": ["JSONStructureValidation"],
        "type": "object",
        "properties": {"v": {"type": "int64", "minimum": "10"}},
    }
    assert _sdk_valid(doc, {"v": "9"}) is True
    assert compile(doc).is_valid({"v": "9"}) is False
