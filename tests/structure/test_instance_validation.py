"""Validator behaviour: one case per INSTANCE_* code and the type table (core 3.2)."""

from __future__ import annotations

from typing import Any

import pytest

from hubauth.structure import codes, compile

from .conftest import VALIDATION, document, validation_document


def problems(schema: dict[str, Any], instance: Any, **kwargs: Any) -> set[tuple[str, str]]:
    v = compile(schema, **kwargs)
    found = v.validate(instance)
    # The fast path must agree with the detailed one on every case.
    assert v.is_valid(instance) == (not found)
    return {(p.code, p.pointer) for p in found}


def prop(schema: dict[str, Any], **extra: Any) -> dict[str, Any]:
    """A document whose root object has one optional property ``v``."""
    return document({"type": "object", "properties": {"v": schema}, **extra})


VALID: list[tuple[str, Any]] = [
    ("string", ""),
    ("boolean", True),
    ("null", None),
    ("number", 1.5),
    ("number", -3),
    ("integer", 2**31 - 1),
    ("int8", -128),
    ("uint8", 255),
    ("int16", -(2**15)),
    ("uint16", 65535),
    ("int32", -(2**31)),
    ("uint32", 2**32 - 1),
    ("int64", "-9223372036854775808"),
    ("uint64", "18446744073709551615"),
    ("int128", str(2**127 - 1)),
    ("uint128", "0"),
    ("float8", 3400),
    ("float", 3.4e38),
    ("double", 1e308),
    ("decimal", "-0.5"),
    ("decimal", "123.4567890"),
    ("date", "2024-02-29"),
    ("datetime", "2024-01-15T10:30:00.123+05:30"),
    ("datetime", "2024-01-15t10:30:00z"),
    ("time", "23:59:60Z"),
    ("duration", "P1Y2M3DT4H5M6S"),
    ("duration", "PT0.5S"),
    ("duration", "P3W"),
    ("uuid", "550E8400-e29b-41d4-a716-446655440000"),
    ("uri", "https://example.com/a?b#c"),
    ("uri", "../rel/path"),
    ("binary", "aGVsbG8="),
    ("binary", ""),
    ("jsonpointer", "/a/b~0c~1d"),
    ("jsonpointer", ""),
    ("any", {"x": [1, None]}),
]

INVALID: list[tuple[str, Any, str]] = [
    ("string", 1, codes.INSTANCE_TYPE_MISMATCH),
    ("boolean", 0, codes.INSTANCE_TYPE_MISMATCH),
    ("null", False, codes.INSTANCE_TYPE_MISMATCH),
    ("number", "1", codes.INSTANCE_TYPE_MISMATCH),
    ("number", True, codes.INSTANCE_TYPE_MISMATCH),
    ("number", float("nan"), codes.INSTANCE_FORMAT_INVALID),
    ("int8", 128, codes.INSTANCE_OUT_OF_RANGE),
    ("uint8", -1, codes.INSTANCE_OUT_OF_RANGE),
    ("int32", True, codes.INSTANCE_TYPE_MISMATCH),
    ("int32", 1.0, codes.INSTANCE_TYPE_MISMATCH),
    ("integer", 2**31, codes.INSTANCE_OUT_OF_RANGE),
    ("uint32", 2**32, codes.INSTANCE_OUT_OF_RANGE),
    ("int64", 5, codes.INSTANCE_TYPE_MISMATCH),
    ("int64", "+5", codes.INSTANCE_FORMAT_INVALID),
    ("int64", " 5", codes.INSTANCE_FORMAT_INVALID),
    ("int64", "007", codes.INSTANCE_FORMAT_INVALID),
    ("int64", "1_000", codes.INSTANCE_FORMAT_INVALID),
    ("int64", "9223372036854775808", codes.INSTANCE_OUT_OF_RANGE),
    ("uint64", "-0", codes.INSTANCE_FORMAT_INVALID),
    ("int128", "1" * 60, codes.INSTANCE_FORMAT_INVALID),
    ("float8", 3401, codes.INSTANCE_OUT_OF_RANGE),
    ("float", 3.5e38, codes.INSTANCE_OUT_OF_RANGE),
    ("double", 10**400, codes.INSTANCE_OUT_OF_RANGE),
    ("decimal", 1.5, codes.INSTANCE_TYPE_MISMATCH),
    ("decimal", "NaN", codes.INSTANCE_FORMAT_INVALID),
    ("decimal", "1e5", codes.INSTANCE_FORMAT_INVALID),
    ("decimal", "12", codes.INSTANCE_FORMAT_INVALID),
    ("decimal", "1.12345678", codes.INSTANCE_DECIMAL_PRECISION),
    ("date", "2023-02-29", codes.INSTANCE_FORMAT_INVALID),
    ("date", "2023-1-05", codes.INSTANCE_FORMAT_INVALID),
    ("date", "２０２３-01-05", codes.INSTANCE_FORMAT_INVALID),  # noqa: RUF001 - full-width digits on purpose
    ("datetime", "2024-01-15T10:30:00", codes.INSTANCE_FORMAT_INVALID),
    ("datetime", "2024-02-30T10:30:00Z", codes.INSTANCE_FORMAT_INVALID),
    ("time", "25:61:99", codes.INSTANCE_FORMAT_INVALID),
    ("time", "09:00:00", codes.INSTANCE_FORMAT_INVALID),
    ("duration", "P", codes.INSTANCE_FORMAT_INVALID),
    ("duration", "PT", codes.INSTANCE_FORMAT_INVALID),
    ("duration", "1 hour", codes.INSTANCE_FORMAT_INVALID),
    ("uuid", "{550e8400-e29b-41d4-a716-446655440000}", codes.INSTANCE_FORMAT_INVALID),
    ("uuid", "550e8400e29b41d4a716446655440000", codes.INSTANCE_FORMAT_INVALID),
    ("uri", "not a uri", codes.INSTANCE_FORMAT_INVALID),
    ("binary", "aGVsbG8", codes.INSTANCE_FORMAT_INVALID),
    ("jsonpointer", "#/a", codes.INSTANCE_FORMAT_INVALID),
    ("jsonpointer", "/a~2", codes.INSTANCE_FORMAT_INVALID),
]


@pytest.mark.parametrize(("type_name", "value"), VALID, ids=[f"{t}-{v!r}"[:40] for t, v in VALID])
def test_valid_primitive_value_is_accepted(type_name: str, value: Any) -> None:
    assert problems(prop({"type": type_name}), {"v": value}) == set()


@pytest.mark.parametrize(
    ("type_name", "value", "code"), INVALID, ids=[f"{t}-{v!r}"[:40] for t, v, _ in INVALID]
)
def test_invalid_primitive_value_is_reported(type_name: str, value: Any, code: str) -> None:
    assert problems(prop({"type": type_name}), {"v": value}) == {(code, "/v")}


def test_lenient_time_accepts_a_missing_offset() -> None:
    assert problems(prop({"type": "time"}), {"v": "09:00:00"}, lenient=True) == set()


def test_binary_content_encoding_selects_the_alphabet() -> None:
    schema = prop({"type": "binary", "contentEncoding": "base16"})
    assert problems(schema, {"v": "DEADbeef"}) == set()
    assert problems(schema, {"v": "aGVsbG8="}) == {(codes.INSTANCE_FORMAT_INVALID, "/v")}


OBJ = {"type": "object", "properties": {"a": {"type": "string"}, "b": {"type": "int8"}}}

COMPOUND: list[tuple[str, dict[str, Any], Any, set[tuple[str, str]]]] = [
    (
        "required",
        document({**OBJ, "required": ["a"]}),
        {"b": 1},
        {(codes.INSTANCE_REQUIRED_MISSING, "")},
    ),
    (
        "alternatives none",
        document({**OBJ, "required": [["a"], ["b"]]}),
        {},
        {(codes.INSTANCE_REQUIRED_ALTERNATIVES, "")},
    ),
    (
        "alternatives both",
        document({**OBJ, "required": [["a"], ["b"]]}),
        {"a": "x", "b": 1},
        {(codes.INSTANCE_REQUIRED_ALTERNATIVES, "")},
    ),
    (
        "additional",
        document({**OBJ, "additionalProperties": False}),
        {"a": "x", "z": 1},
        {(codes.INSTANCE_ADDITIONAL_PROPERTY, "/z")},
    ),
    (
        "additional schema",
        document({**OBJ, "additionalProperties": {"type": "boolean"}}),
        {"z": 1},
        {(codes.INSTANCE_TYPE_MISMATCH, "/z")},
    ),
    ("object kind", document(OBJ), [], {(codes.INSTANCE_TYPE_MISMATCH, "")}),
    (
        "array items",
        document({"type": "array", "items": {"type": "uint8"}}),
        [1, 256, "x"],
        {(codes.INSTANCE_OUT_OF_RANGE, "/1"), (codes.INSTANCE_TYPE_MISMATCH, "/2")},
    ),
    (
        "set duplicate",
        document({"type": "set", "items": {"type": "number"}}),
        [1, 2, 1.0],
        {(codes.INSTANCE_SET_DUPLICATE, "/2")},
    ),
    (
        "set of objects",
        document({"type": "set", "items": {"type": "map", "values": {"type": "any"}}}),
        [{"a": [1]}, {"a": [1.0]}],
        {(codes.INSTANCE_SET_DUPLICATE, "/1")},
    ),
    (
        "map values",
        document({"type": "map", "values": {"type": "string"}}),
        {"k": 1},
        {(codes.INSTANCE_TYPE_MISMATCH, "/k")},
    ),
    (
        "tuple length",
        document(
            {
                "type": "tuple",
                "properties": {"x": {"type": "int8"}, "y": {"type": "string"}},
                "tuple": ["x", "y"],
            }
        ),
        [1],
        {(codes.INSTANCE_TUPLE_LENGTH, "")},
    ),
    (
        "tuple element",
        document(
            {
                "type": "tuple",
                "properties": {"x": {"type": "int8"}, "y": {"type": "string"}},
                "tuple": ["x", "y"],
            }
        ),
        ["a", "b"],
        {(codes.INSTANCE_TYPE_MISMATCH, "/0")},
    ),
    (
        "choice two members",
        document({"type": "choice", "choices": {"s": {"type": "string"}, "n": {"type": "int8"}}}),
        {"s": "x", "n": 1},
        {(codes.INSTANCE_CHOICE_INVALID, "")},
    ),
    (
        "choice unknown",
        document({"type": "choice", "choices": {"s": {"type": "string"}}}),
        {"q": "x"},
        {(codes.INSTANCE_CHOICE_UNKNOWN, "/q")},
    ),
    (
        "choice value",
        document({"type": "choice", "choices": {"s": {"type": "string"}}}),
        {"s": 1},
        {(codes.INSTANCE_TYPE_MISMATCH, "/s")},
    ),
    (
        "union",
        prop({"type": ["string", "null"]}),
        {"v": 1},
        {(codes.INSTANCE_UNION_NO_MATCH, "/v")},
    ),
    (
        "enum",
        prop({"type": "string", "enum": ["a", "b"]}),
        {"v": "c"},
        {(codes.INSTANCE_ENUM_MISMATCH, "/v")},
    ),
    (
        "enum bool is not 1",
        prop({"type": "boolean", "enum": [True]}),
        {"v": 1},
        {(codes.INSTANCE_TYPE_MISMATCH, "/v")},
    ),
    (
        "const",
        prop({"type": "string", "const": "UTF-8"}),
        {"v": "utf-8"},
        {(codes.INSTANCE_CONST_MISMATCH, "/v")},
    ),
    (
        "maxLength core",
        prop({"type": "string", "maxLength": 3}),
        {"v": "abcd"},
        {(codes.INSTANCE_STRING_TOO_LONG, "/v")},
    ),
    ("maxLength counts code points", prop({"type": "string", "maxLength": 1}), {"v": "😀"}, set()),
    (
        "pointer escaping",
        document({"type": "map", "values": {"type": "int8"}}),
        {"a/b~c": "x"},
        {(codes.INSTANCE_TYPE_MISMATCH, "/a~1b~0c")},
    ),
]


@pytest.mark.parametrize(
    ("label", "schema", "instance", "expected"), COMPOUND, ids=[c[0] for c in COMPOUND]
)
def test_compound_rule_is_enforced(
    label: str, schema: dict[str, Any], instance: Any, expected: set[Any]
) -> None:
    assert problems(schema, instance) == expected


def v_prop(schema: dict[str, Any]) -> dict[str, Any]:
    return validation_document({"type": "object", "properties": {"v": schema}})


VALIDATION_CASES: list[tuple[str, dict[str, Any], Any, str]] = [
    ("minLength", {"type": "string", "minLength": 2}, "a", codes.INSTANCE_STRING_TOO_SHORT),
    (
        "pattern full match",
        {"type": "string", "pattern": "[a-z]+"},
        "abc1",
        codes.INSTANCE_PATTERN_MISMATCH,
    ),
    (
        "format email",
        {"type": "string", "format": "email"},
        "a@b@c",
        codes.INSTANCE_FORMAT_MISMATCH,
    ),
    (
        "format ipv4",
        {"type": "string", "format": "ipv4"},
        "256.1.1.1",
        codes.INSTANCE_FORMAT_MISMATCH,
    ),
    ("minimum", {"type": "int32", "minimum": 0}, -1, codes.INSTANCE_MINIMUM),
    ("maximum", {"type": "double", "maximum": 1.5}, 1.6, codes.INSTANCE_MAXIMUM),
    (
        "exclusiveMinimum",
        {"type": "number", "exclusiveMinimum": 0},
        0,
        codes.INSTANCE_EXCLUSIVE_MINIMUM,
    ),
    (
        "exclusiveMaximum",
        {"type": "number", "exclusiveMaximum": 0},
        0,
        codes.INSTANCE_EXCLUSIVE_MAXIMUM,
    ),
    ("int64 minimum numeric", {"type": "int64", "minimum": "10"}, "9", codes.INSTANCE_MINIMUM),
    ("decimal maximum numeric", {"type": "decimal", "maximum": "100.0"}, "99.5", ""),
    ("int64 maximum numeric", {"type": "int64", "maximum": "100"}, "99", ""),
    ("multipleOf", {"type": "int32", "multipleOf": 5}, 7, codes.INSTANCE_MULTIPLE_OF),
    ("multipleOf decimal exact", {"type": "number", "multipleOf": 0.1}, 0.3, ""),
    (
        "minItems",
        {"type": "array", "items": {"type": "string"}, "minItems": 2},
        ["a"],
        codes.INSTANCE_MIN_ITEMS,
    ),
    (
        "maxItems on set",
        {"type": "set", "items": {"type": "string"}, "maxItems": 1},
        ["a", "b"],
        codes.INSTANCE_MAX_ITEMS,
    ),
    (
        "uniqueItems",
        {"type": "array", "items": {"type": "int8"}, "uniqueItems": True},
        [1, 1],
        codes.INSTANCE_UNIQUE_ITEMS,
    ),
    (
        "minContains",
        {"type": "array", "items": {"type": "int32"}, "contains": {"type": "int32", "minimum": 10}},
        [1, 2],
        codes.INSTANCE_MIN_CONTAINS,
    ),
    (
        "maxContains",
        {
            "type": "array",
            "items": {"type": "int32"},
            "contains": {"type": "int32", "minimum": 10},
            "maxContains": 1,
        },
        [10, 11],
        codes.INSTANCE_MAX_CONTAINS,
    ),
    (
        "minProperties",
        {"type": "object", "properties": {"a": {"type": "string"}}, "minProperties": 1},
        {},
        codes.INSTANCE_MIN_PROPERTIES,
    ),
    (
        "maxProperties",
        {"type": "object", "properties": {"a": {"type": "string"}}, "maxProperties": 0},
        {"a": "x"},
        codes.INSTANCE_MAX_PROPERTIES,
    ),
    (
        "minEntries",
        {"type": "map", "values": {"type": "string"}, "minEntries": 1},
        {},
        codes.INSTANCE_MIN_ENTRIES,
    ),
    (
        "maxEntries",
        {"type": "map", "values": {"type": "string"}, "maxEntries": 0},
        {"a": "x"},
        codes.INSTANCE_MAX_ENTRIES,
    ),
    (
        "dependentRequired",
        {
            "type": "object",
            "properties": {"a": {"type": "string"}, "b": {"type": "string"}},
            "dependentRequired": {"a": ["b"]},
        },
        {"a": "x"},
        codes.INSTANCE_DEPENDENT_REQUIRED,
    ),
    (
        "propertyNames",
        {
            "type": "object",
            "properties": {"a": {"type": "string"}},
            "propertyNames": {"type": "string", "maxLength": 1},
        },
        {"ab": 1},
        codes.INSTANCE_PROPERTY_NAME_INVALID,
    ),
    (
        "keyNames",
        {
            "type": "map",
            "values": {"type": "int8"},
            "keyNames": {"type": "string", "pattern": "^[a-z]+$"},
        },
        {"Ab": 1},
        codes.INSTANCE_KEY_NAME_INVALID,
    ),
    (
        "has",
        {"type": "map", "values": {"type": "int32"}, "has": {"type": "int32", "minimum": 100}},
        {"a": 1},
        codes.INSTANCE_HAS_NO_MATCH,
    ),
    (
        "patternKeys",
        {"type": "map", "values": {"type": "any"}, "patternKeys": {"^x-": {"type": "string"}}},
        {"x-a": 1},
        codes.INSTANCE_TYPE_MISMATCH,
    ),
]


@pytest.mark.parametrize(
    ("label", "schema", "value", "code"), VALIDATION_CASES, ids=[c[0] for c in VALIDATION_CASES]
)
def test_validation_keyword_is_enforced(
    label: str, schema: dict[str, Any], value: Any, code: str
) -> None:
    found = problems(v_prop(schema), {"v": value})
    assert {c for c, _ in found} == ({code} if code else set())


def test_validation_keywords_are_annotations_unless_enabled() -> None:
    schema = prop({"type": "string", "minLength": 5})
    assert problems(schema, {"v": "a"}) == set()
    assert problems(schema, {"v": "a"}, extended=True) == {(codes.INSTANCE_STRING_TOO_SHORT, "/v")}


def test_validation_meta_schema_enables_everything() -> None:
    schema = document(
        {"type": "object", "properties": {"v": {"type": "string", "minLength": 5}}}, meta=VALIDATION
    )
    assert problems(schema, {"v": "a"}) == {(codes.INSTANCE_STRING_TOO_SHORT, "/v")}


def test_extended_false_turns_enabled_keywords_off() -> None:
    schema = v_prop({"type": "string", "minLength": 5})
    assert problems(schema, {"v": "a"}, extended=False) == set()


DEFS = {
    "Short": {"type": "string", "maxLength": 2, "enum": ["ab", "cd", "xyz"]},
    "Base": {
        "type": "object",
        "abstract": True,
        "properties": {"id": {"type": "uuid"}},
        "required": ["id"],
    },
}


def test_constraints_reached_through_ref_are_enforced() -> None:
    schema = document(
        {
            "type": "object",
            "properties": {"v": {"type": {"$ref": "#/definitions/Short"}}},
            "definitions": DEFS,
        }
    )
    assert problems(schema, {"v": "ef"}) == {(codes.INSTANCE_ENUM_MISMATCH, "/v")}
    assert problems(schema, {"v": "xyz"}) == {(codes.INSTANCE_STRING_TOO_LONG, "/v")}
    assert problems(schema, {"v": "ab"}) == set()


def test_constraints_next_to_a_ref_are_enforced_too() -> None:
    schema = document(
        {
            "type": "object",
            "properties": {"v": {"type": {"$ref": "#/definitions/Short"}, "const": "cd"}},
            "definitions": DEFS,
        }
    )
    assert problems(schema, {"v": "ab"}) == {(codes.INSTANCE_CONST_MISMATCH, "/v")}


def test_extends_merges_properties_and_required() -> None:
    schema = document(
        {
            "$root": "#/definitions/D",
            "definitions": {
                **DEFS,
                "D": {
                    "type": "object",
                    "$extends": "#/definitions/Base",
                    "properties": {"n": {"type": "int8"}},
                    "additionalProperties": False,
                },
            },
        }
    )
    assert problems(schema, {"n": 1}) == {(codes.INSTANCE_REQUIRED_MISSING, "")}
    assert problems(schema, {"id": "550e8400-e29b-41d4-a716-446655440000", "n": 1}) == set()
    assert problems(schema, {"id": "x", "n": 1, "z": 0}) == {
        (codes.INSTANCE_FORMAT_INVALID, "/id"),
        (codes.INSTANCE_ADDITIONAL_PROPERTY, "/z"),
    }


def test_multiple_inheritance_first_base_wins_and_all_bases_merge() -> None:
    schema = document(
        {
            "$root": "#/definitions/C",
            "definitions": {
                "A": {
                    "type": "object",
                    "abstract": True,
                    "properties": {"x": {"type": "string"}},
                    "required": ["x"],
                },
                "B": {
                    "type": "object",
                    "abstract": True,
                    "properties": {"x": {"type": "int8"}, "y": {"type": "int8"}},
                    "required": ["y"],
                },
                "C": {
                    "type": "object",
                    "$extends": ["#/definitions/A", "#/definitions/B"],
                    "properties": {"z": {"type": "null"}},
                },
            },
        }
    )
    assert problems(schema, {"x": "s", "y": 1}) == set()
    assert problems(schema, {"x": 1, "y": 1}) == {(codes.INSTANCE_TYPE_MISMATCH, "/x")}
    assert problems(schema, {"x": "s"}) == {(codes.INSTANCE_REQUIRED_MISSING, "")}


INLINE = document(
    {
        "$root": "#/definitions/Addr",
        "definitions": {
            "Base": {
                "type": "object",
                "abstract": True,
                "properties": {"city": {"type": "string"}},
                "required": ["city"],
            },
            "Street": {
                "type": "object",
                "$extends": "#/definitions/Base",
                "properties": {"street": {"type": "string"}},
                "additionalProperties": False,
            },
            "Box": {
                "type": "object",
                "$extends": "#/definitions/Base",
                "properties": {"box": {"type": "int32"}},
            },
            "Addr": {
                "type": "choice",
                "$extends": "#/definitions/Base",
                "selector": "kind",
                "choices": {
                    "Street": {"type": {"$ref": "#/definitions/Street"}},
                    "Box": {"type": {"$ref": "#/definitions/Box"}},
                },
            },
        },
    }
)


def test_inline_choice_selects_by_selector_property() -> None:
    assert problems(INLINE, {"kind": "Street", "street": "Main", "city": "X"}) == set()
    assert problems(INLINE, {"kind": "Box", "box": "1", "city": "X"}) == {
        (codes.INSTANCE_TYPE_MISMATCH, "/box")
    }
    assert problems(INLINE, {"city": "X"}) == {(codes.INSTANCE_CHOICE_SELECTOR_MISSING, "")}
    assert problems(INLINE, {"kind": "Tent", "city": "X"}) == {
        (codes.INSTANCE_CHOICE_UNKNOWN, "/kind")
    }


def test_union_first_match_accepts_any_member() -> None:
    schema = prop({"type": ["int32", "string", {"$ref": "#/definitions/Short"}]}, definitions=DEFS)
    for value in (1, "long string"):
        assert problems(schema, {"v": value}) == set()
    assert problems(schema, {"v": None}) == {(codes.INSTANCE_UNION_NO_MATCH, "/v")}


def test_union_applies_fitting_keywords_to_members() -> None:
    schema = prop({"type": ["string", "null"], "maxLength": 2})
    assert problems(schema, {"v": None}) == set()
    assert problems(schema, {"v": "abc"}) == {(codes.INSTANCE_UNION_NO_MATCH, "/v")}


def test_instance_document_metadata_is_not_data() -> None:
    schema = document({**OBJ, "additionalProperties": False})
    instance = {"$schema": "https://example.com/test", "a": "x"}
    assert problems(schema, instance) == set()
    assert instance == {"$schema": "https://example.com/test", "a": "x"}


ADDINS = document(
    {
        "$root": "#/definitions/Addr",
        "$offers": {"Delivery": "#/definitions/Delivery"},
        "definitions": {
            "Addr": {
                "type": "object",
                "properties": {"street": {"type": "string"}},
                "additionalProperties": False,
            },
            "Delivery": {
                "type": "object",
                "abstract": True,
                "$extends": "#/definitions/Addr",
                "properties": {"instructions": {"type": "string"}},
            },
        },
    }
)


def test_addins_selected_by_instance_uses_are_merged() -> None:
    plain = {"street": "Main", "instructions": "back door"}
    assert problems(ADDINS, plain) == {(codes.INSTANCE_ADDITIONAL_PROPERTY, "/instructions")}
    assert problems(ADDINS, {"$uses": ["Delivery"], **plain}) == set()
    assert problems(ADDINS, {"$uses": ["Delivery"], "street": "Main", "instructions": 5}) == {
        (codes.INSTANCE_TYPE_MISMATCH, "/instructions")
    }


def test_unknown_addin_is_reported() -> None:
    assert problems(ADDINS, {"$uses": ["Nope"], "street": "x"}) == {
        (codes.INSTANCE_ADDIN_UNKNOWN, "/$uses/0")
    }


COMPOSITION = [
    (
        "allOf",
        {"allOf": [{"type": "int32", "minimum": 0}, {"type": "int32", "maximum": 5}]},
        6,
        codes.INSTANCE_MAXIMUM,
    ),
    ("anyOf", {"anyOf": [{"type": "string"}, {"type": "boolean"}]}, 1, codes.INSTANCE_ANY_OF),
    ("oneOf", {"oneOf": [{"type": "number"}, {"type": "int32"}]}, 1, codes.INSTANCE_ONE_OF),
    ("not", {"not": {"type": "string"}}, "x", codes.INSTANCE_NOT),
    (
        "if/then",
        {
            "if": {"type": "string"},
            "then": {"type": "string", "minLength": 2},
            "else": {"type": "int8"},
        },
        "a",
        codes.INSTANCE_STRING_TOO_SHORT,
    ),
    (
        "if/else",
        {"if": {"type": "string"}, "then": {"type": "string"}, "else": {"type": "boolean"}},
        1,
        codes.INSTANCE_TYPE_MISMATCH,
    ),
]


@pytest.mark.parametrize(
    ("label", "schema", "value", "code"), COMPOSITION, ids=[c[0] for c in COMPOSITION]
)
def test_conditional_composition_is_enforced(
    label: str, schema: dict[str, Any], value: Any, code: str
) -> None:
    doc = document({"type": "object", "properties": {"v": schema}}, meta=VALIDATION)
    assert {c for c, _ in problems(doc, {"v": value})} == {code}


def test_if_then_else_reports_its_own_code_when_the_branch_is_silent() -> None:
    doc = document(
        {
            "type": "object",
            "properties": {"v": {"if": {"type": "string"}, "then": {"not": {"type": "string"}}}},
        },
        meta=VALIDATION,
    )
    assert {c for c, _ in problems(doc, {"v": "x"})} == {codes.INSTANCE_NOT}


def test_every_instance_code_is_exercised() -> None:
    exercised = (
        {c for _, _, c in INVALID}
        | {c for *_, exp in COMPOUND for c, _ in exp}
        | {c for *_, c in VALIDATION_CASES if c}
        | {c for *_, c in COMPOSITION}
        | {
            codes.INSTANCE_CHOICE_SELECTOR_MISSING,
            codes.INSTANCE_ADDIN_UNKNOWN,
            codes.INSTANCE_MAX_DEPTH_EXCEEDED,
        }
    )
    # INSTANCE_IF_THEN_ELSE is a fallback for a failing branch that reports nothing.
    assert {c for c in codes.all_codes() if c.startswith("INSTANCE_")} - exercised == {
        codes.INSTANCE_IF_THEN_ELSE
    }
