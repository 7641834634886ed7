"""check_schema: one case per SCHEMA_* code, plus documents that must pass."""

from __future__ import annotations

from typing import Any

import pytest

from hubauth.structure import check_schema, codes

from .conftest import CORE, EXTENDED, document, validation_document

OBJ = {"type": "object", "properties": {"a": {"type": "string"}}}


def _nested(depth: int) -> dict[str, Any]:
    """An array of arrays ... of strings, ``depth`` levels deep."""
    node: dict[str, Any] = {"type": "string"}
    for _ in range(depth):
        node = {"type": "array", "items": node}
    return node


def codes_of(schema: Any, **kwargs: Any) -> set[tuple[str, str]]:
    return {(p.code, p.pointer) for p in check_schema(schema, **kwargs)}


def test_minimal_object_document_has_no_problems() -> None:
    assert check_schema(document(OBJ)) == []


def test_seed_contract_shape_has_no_problems() -> None:
    schema = document(
        {
            "type": "object",
            "properties": {
                "token": {"type": "string", "example": "x"},
                "hub_id": {"type": "int32"},
                "scopes": {"type": "array", "items": {"type": "string"}},
            },
            "required": ["token", "hub_id", "scopes"],
        }
    )
    assert check_schema(schema) == []


def test_integer_is_an_alias_not_an_unknown_type() -> None:
    assert check_schema(document({"type": "integer"})) == []


@pytest.mark.parametrize("name", ["int", "str", "float64", "Object"])
def test_unknown_type_names_are_reported(name: str) -> None:
    assert (codes.SCHEMA_TYPE_UNKNOWN, "/type") in codes_of(document({"type": name}))


CASES: list[tuple[str, Any, str, str]] = [
    ("root not an object", [], codes.SCHEMA_NOT_OBJECT, ""),
    ("missing $schema", {"$id": "https://x/y", "name": "N", **OBJ}, codes.SCHEMA_META_MISSING, ""),
    (
        "relative $schema",
        document(OBJ, **{"$schema": "core"}),
        codes.SCHEMA_META_INVALID,
        "/$schema",
    ),
    ("missing $id", {"$schema": CORE, "name": "N", **OBJ}, codes.SCHEMA_ID_MISSING, ""),
    ("relative $id", document(OBJ, **{"$id": "not absolute"}), codes.SCHEMA_ID_INVALID, "/$id"),
    ("missing name", {"$schema": CORE, "$id": "https://x/y", **OBJ}, codes.SCHEMA_NAME_MISSING, ""),
    ("bad name", document(OBJ, name="my-type"), codes.SCHEMA_NAME_INVALID, "/name"),
    (
        "$id nested",
        document({"type": "object", "properties": {"a": {"type": "string", "$id": "https://x"}}}),
        codes.SCHEMA_KEYWORD_ROOT_ONLY,
        "/properties/a/$id",
    ),
    (
        "nothing declared",
        {"$schema": CORE, "$id": "https://x/y", "name": "N"},
        codes.SCHEMA_ROOT_MISSING_TYPE,
        "",
    ),
    (
        "type and $root",
        document(OBJ, **{"$root": "#/definitions/T", "definitions": {"T": OBJ}}),
        codes.SCHEMA_ROOT_CONFLICT,
        "",
    ),
    (
        "$root not a pointer",
        document({"$root": "T", "definitions": {"T": OBJ}}),
        codes.SCHEMA_ROOT_INVALID,
        "/$root",
    ),
    (
        "$root to abstract",
        document({"$root": "#/definitions/T", "definitions": {"T": {**OBJ, "abstract": True}}}),
        codes.SCHEMA_ROOT_ABSTRACT,
        "/$root",
    ),
    (
        "definitions array",
        document({**OBJ, "definitions": []}),
        codes.SCHEMA_DEFINITIONS_INVALID,
        "/definitions",
    ),
    (
        "bad definition name",
        document({**OBJ, "definitions": {"my-type": OBJ}}),
        codes.SCHEMA_IDENTIFIER_INVALID,
        "/definitions/my-type",
    ),
    (
        "bad property name",
        document({"type": "object", "properties": {"a b": {"type": "string"}}}),
        codes.SCHEMA_IDENTIFIER_INVALID,
        "/properties/a b",
    ),
    (
        "$uses not array",
        document(OBJ, **{"$uses": "JSONStructureValidation"}),
        codes.SCHEMA_USES_INVALID,
        "/$uses",
    ),
    (
        "$offers to concrete",
        document({**OBJ, "$offers": {"X": "#/definitions/T"}, "definitions": {"T": OBJ}}),
        codes.SCHEMA_OFFERS_INVALID,
        "/$offers/X",
    ),
    (
        "$import",
        document({**OBJ, "$import": "https://example.com/other"}),
        codes.SCHEMA_IMPORT_UNSUPPORTED,
        "/$import",
    ),
    (
        "property schema not object",
        document({"type": "object", "properties": {"a": "string"}}),
        codes.SCHEMA_INVALID,
        "/properties/a",
    ),
    (
        "missing type",
        document({"type": "object", "properties": {"a": {"description": "x"}}}),
        codes.SCHEMA_TYPE_MISSING,
        "/properties/a",
    ),
    ("type is a number", document({"type": 5}), codes.SCHEMA_TYPE_INVALID, "/type"),
    (
        "union with inline object",
        document({"type": "object", "properties": {"a": {"type": ["string", {"type": "object"}]}}}),
        codes.SCHEMA_UNION_INVALID,
        "/properties/a/type/1",
    ),
    (
        "union with compound name",
        document({"type": "object", "properties": {"a": {"type": ["string", "map"]}}}),
        codes.SCHEMA_UNION_INVALID,
        "/properties/a/type/1",
    ),
    (
        "empty union",
        document({"type": "object", "properties": {"a": {"type": []}}}),
        codes.SCHEMA_UNION_INVALID,
        "/properties/a/type",
    ),
    (
        "external $ref",
        document({"type": "object", "properties": {"a": {"type": {"$ref": "https://x/y#/T"}}}}),
        codes.SCHEMA_REF_INVALID,
        "/properties/a/type/$ref",
    ),
    (
        "$ref not found",
        document({"type": "object", "properties": {"a": {"type": {"$ref": "#/definitions/Nope"}}}}),
        codes.SCHEMA_REF_NOT_FOUND,
        "/properties/a/type/$ref",
    ),
    (
        "$ref to namespace",
        document(
            {
                "type": "object",
                "properties": {"a": {"type": {"$ref": "#/definitions/Ns"}}},
                "definitions": {"Ns": {"T": OBJ}},
            }
        ),
        codes.SCHEMA_REF_NOT_TYPE,
        "/properties/a/type/$ref",
    ),
    (
        "bare $ref",
        document(
            {
                "type": "object",
                "properties": {"a": {"$ref": "#/definitions/T"}},
                "definitions": {"T": OBJ},
            }
        ),
        codes.SCHEMA_REF_NOT_IN_TYPE,
        "/properties/a/$ref",
    ),
    (
        "$ref to abstract",
        document(
            {
                "type": "object",
                "properties": {"a": {"type": {"$ref": "#/definitions/T"}}},
                "definitions": {"T": {**OBJ, "abstract": True}},
            }
        ),
        codes.SCHEMA_REF_ABSTRACT,
        "/properties/a/type/$ref",
    ),
    (
        "self-only $ref",
        document(
            {
                "type": "object",
                "properties": {"a": {"type": {"$ref": "#/definitions/R"}}},
                "definitions": {"R": {"type": {"$ref": "#/definitions/R"}}},
            }
        ),
        codes.SCHEMA_REF_CIRCULAR,
        "/definitions/R/type/$ref",
    ),
    (
        "$ref as root type",
        document({"type": {"$ref": "#/definitions/T"}, "definitions": {"T": OBJ}}),
        codes.SCHEMA_REF_IN_ROOT_TYPE,
        "/type",
    ),
    (
        "items on object",
        document({**OBJ, "items": {"type": "string"}}),
        codes.SCHEMA_KEYWORD_NOT_ALLOWED,
        "/items",
    ),
    (
        "maxLength on int32",
        document({"type": "int32", "maxLength": 3}),
        codes.SCHEMA_KEYWORD_NOT_ALLOWED,
        "/maxLength",
    ),
    (
        "enum on union",
        document({"type": ["string", "null"], "enum": ["a"]}),
        codes.SCHEMA_KEYWORD_NOT_ALLOWED,
        "/enum",
    ),
    (
        "properties next to $ref",
        document(
            {
                "type": "object",
                "properties": {
                    "a": {
                        "type": {"$ref": "#/definitions/T"},
                        "properties": {"b": {"type": "string"}},
                    }
                },
                "definitions": {"T": OBJ},
            }
        ),
        codes.SCHEMA_KEYWORD_NOT_ALLOWED,
        "/properties/a/properties",
    ),
    (
        "negative maxLength",
        document({"type": "string", "maxLength": -1}),
        codes.SCHEMA_KEYWORD_INVALID,
        "/maxLength",
    ),
    (
        "description not string",
        document({**OBJ, "description": 5}),
        codes.SCHEMA_KEYWORD_INVALID,
        "/description",
    ),
    (
        "object without properties",
        document({"type": "object"}),
        codes.SCHEMA_PROPERTIES_MISSING,
        "",
    ),
    (
        "object with empty properties",
        document({"type": "object", "properties": {}}),
        codes.SCHEMA_PROPERTIES_MISSING,
        "/properties",
    ),
    (
        "properties not a map",
        document({"type": "object", "properties": "x"}),
        codes.SCHEMA_PROPERTIES_INVALID,
        "/properties",
    ),
    (
        "required not array",
        document({**OBJ, "required": "a"}),
        codes.SCHEMA_REQUIRED_INVALID,
        "/required",
    ),
    (
        "required mixed forms",
        document({**OBJ, "required": ["a", ["a"]]}),
        codes.SCHEMA_REQUIRED_INVALID,
        "/required",
    ),
    (
        "required undefined",
        document({**OBJ, "required": ["a", "b"]}),
        codes.SCHEMA_REQUIRED_UNDEFINED,
        "/required/1",
    ),
    (
        "required alternative undefined",
        document({**OBJ, "required": [["a"], ["zz"]]}),
        codes.SCHEMA_REQUIRED_UNDEFINED,
        "/required/1/0",
    ),
    (
        "additionalProperties string",
        document({**OBJ, "additionalProperties": "no"}),
        codes.SCHEMA_ADDITIONAL_PROPERTIES_INVALID,
        "/additionalProperties",
    ),
    ("array without items", document({"type": "array"}), codes.SCHEMA_ITEMS_MISSING, ""),
    ("set without items", document({"type": "set"}), codes.SCHEMA_ITEMS_MISSING, ""),
    ("map without values", document({"type": "map"}), codes.SCHEMA_VALUES_MISSING, ""),
    (
        "tuple without tuple",
        document({"type": "tuple", "properties": {"a": {"type": "string"}}}),
        codes.SCHEMA_TUPLE_MISSING,
        "",
    ),
    (
        "tuple missing member",
        document(
            {
                "type": "tuple",
                "properties": {"a": {"type": "string"}, "b": {"type": "int8"}},
                "tuple": ["a"],
            }
        ),
        codes.SCHEMA_TUPLE_INVALID,
        "/tuple",
    ),
    (
        "tuple unknown member",
        document({"type": "tuple", "properties": {"a": {"type": "string"}}, "tuple": ["a", "z"]}),
        codes.SCHEMA_TUPLE_INVALID,
        "/tuple/1",
    ),
    ("choice without choices", document({"type": "choice"}), codes.SCHEMA_CHOICES_MISSING, ""),
    (
        "choice with empty choices",
        document({"type": "choice", "choices": {}}),
        codes.SCHEMA_CHOICES_INVALID,
        "/choices",
    ),
    (
        "selector without $extends",
        document({"type": "choice", "selector": "k", "choices": {"a": {"type": "string"}}}),
        codes.SCHEMA_SELECTOR_INVALID,
        "/selector",
    ),
    (
        "enum not array",
        document({"type": "string", "enum": "a"}),
        codes.SCHEMA_ENUM_INVALID,
        "/enum",
    ),
    ("enum empty", document({"type": "string", "enum": []}), codes.SCHEMA_ENUM_EMPTY, "/enum"),
    (
        "enum duplicate",
        document({"type": "string", "enum": ["a", "a"]}),
        codes.SCHEMA_ENUM_DUPLICATE,
        "/enum/1",
    ),
    (
        "enum 1 and 1.0 duplicate",
        document({"type": "number", "enum": [1, 1.0]}),
        codes.SCHEMA_ENUM_DUPLICATE,
        "/enum/1",
    ),
    (
        "enum member type",
        document({"type": "int8", "enum": [1, 300]}),
        codes.SCHEMA_ENUM_MEMBER_TYPE,
        "/enum/1",
    ),
    ("enum on object", document({**OBJ, "enum": [{}]}), codes.SCHEMA_KEYWORD_NOT_ALLOWED, "/enum"),
    ("const type", document({"type": "boolean", "const": 1}), codes.SCHEMA_CONST_TYPE, "/const"),
    (
        "default type",
        document({"type": "int32", "default": "x"}),
        codes.SCHEMA_DEFAULT_TYPE,
        "/default",
    ),
    (
        "abstract not bool",
        document({**OBJ, "abstract": "yes"}),
        codes.SCHEMA_ABSTRACT_INVALID,
        "/abstract",
    ),
    (
        "abstract with additionalProperties",
        document(
            {
                "$root": "#/definitions/C",
                "definitions": {
                    "B": {**OBJ, "abstract": True, "additionalProperties": False},
                    "C": {
                        "type": "object",
                        "$extends": "#/definitions/B",
                        "properties": {"c": {"type": "string"}},
                    },
                },
            }
        ),
        codes.SCHEMA_KEYWORD_NOT_ALLOWED,
        "/definitions/B/additionalProperties",
    ),
    (
        "$extends not a pointer",
        document({**OBJ, "$extends": 5}),
        codes.SCHEMA_EXTENDS_INVALID,
        "/$extends",
    ),
    (
        "$extends of a concrete type",
        document(
            {
                "type": "object",
                "$extends": "#/definitions/B",
                "properties": {"c": {"type": "string"}},
                "definitions": {"B": OBJ},
            }
        ),
        codes.SCHEMA_EXTENDS_NOT_ABSTRACT,
        "/$extends",
    ),
    (
        "$extends cycle",
        document(
            {
                "$root": "#/definitions/A",
                "definitions": {
                    "A": {
                        "type": "object",
                        "abstract": True,
                        "$extends": "#/definitions/B",
                        "properties": {"a": {"type": "string"}},
                    },
                    "B": {
                        "type": "object",
                        "abstract": True,
                        "$extends": "#/definitions/A",
                        "properties": {"b": {"type": "string"}},
                    },
                    "C": {
                        "type": "object",
                        "$extends": "#/definitions/A",
                        "properties": {"c": {"type": "string"}},
                    },
                },
            }
        ),
        codes.SCHEMA_EXTENDS_CIRCULAR,
        "/definitions/A/$extends",
    ),
    (
        "redefined inherited property",
        document(
            {
                "type": "object",
                "$extends": "#/definitions/B",
                "properties": {"a": {"type": "int8"}},
                "definitions": {"B": {**OBJ, "abstract": True}},
            }
        ),
        codes.SCHEMA_EXTENDS_REDEFINES,
        "/properties/a",
    ),
    (
        "minimum on string",
        document({"type": "string", "minimum": 1}),
        codes.SCHEMA_CONSTRAINT_INVALID_FOR_TYPE,
        "/minimum",
    ),
    (
        "minLength on int32",
        document({"type": "int32", "minLength": 1}),
        codes.SCHEMA_CONSTRAINT_INVALID_FOR_TYPE,
        "/minLength",
    ),
    (
        "negative minLength",
        document({"type": "string", "minLength": -1}),
        codes.SCHEMA_CONSTRAINT_VALUE_INVALID,
        "/minLength",
    ),
    (
        "minimum not a number",
        document({"type": "int32", "minimum": "1"}),
        codes.SCHEMA_CONSTRAINT_VALUE_INVALID,
        "/minimum",
    ),
    (
        "int64 minimum as number",
        document({"type": "int64", "minimum": 1}),
        codes.SCHEMA_CONSTRAINT_VALUE_INVALID,
        "/minimum",
    ),
    (
        "min > max",
        document({"type": "int32", "minimum": 10, "maximum": 5}),
        codes.SCHEMA_MIN_GREATER_THAN_MAX,
        "/minimum",
    ),
    (
        "int64 min > max numerically",
        document({"type": "int64", "minimum": "100", "maximum": "99"}),
        codes.SCHEMA_MIN_GREATER_THAN_MAX,
        "/minimum",
    ),
    (
        "minItems > maxItems",
        document({"type": "array", "items": {"type": "string"}, "minItems": 3, "maxItems": 1}),
        codes.SCHEMA_MIN_GREATER_THAN_MAX,
        "/minItems",
    ),
    (
        "multipleOf zero",
        document({"type": "int32", "multipleOf": 0}),
        codes.SCHEMA_MULTIPLE_OF_INVALID,
        "/multipleOf",
    ),
    (
        "bad regex",
        document({"type": "string", "pattern": "[a"}),
        codes.SCHEMA_PATTERN_INVALID,
        "/pattern",
    ),
    (
        "backreference regex",
        document({"type": "string", "pattern": "(a)\\1"}),
        codes.SCHEMA_PATTERN_UNSUPPORTED,
        "/pattern",
    ),
    (
        "minContains without contains",
        document({"type": "array", "items": {"type": "string"}, "minContains": 1}),
        codes.SCHEMA_KEYWORD_INVALID,
        "/minContains",
    ),
    (
        "allOf not array",
        validation_document({**OBJ, "allOf": "x"}),
        codes.SCHEMA_COMPOSITION_INVALID,
        "/allOf",
    ),
    ("deep schema", document(_nested(200)), codes.SCHEMA_MAX_DEPTH_EXCEEDED, ""),
]


@pytest.mark.parametrize(("label", "schema", "code", "pointer"), CASES, ids=[c[0] for c in CASES])
def test_schema_problem_is_reported(label: str, schema: Any, code: str, pointer: str) -> None:
    found = codes_of(schema)
    if code == codes.SCHEMA_MAX_DEPTH_EXCEEDED:
        assert any(c == code for c, _ in found), found
    else:
        assert (code, pointer) in found, found


def test_every_schema_error_code_has_a_case() -> None:
    warnings_only = {
        codes.SCHEMA_META_UNKNOWN,
        codes.SCHEMA_USES_UNKNOWN,
        codes.SCHEMA_ANNOTATION_MISPLACED,
        codes.SCHEMA_EXTENSION_KEYWORD_NOT_ENABLED,
        codes.SCHEMA_FORMAT_UNKNOWN,
    }
    covered = {case[2] for case in CASES} | {codes.SCHEMA_TYPE_UNKNOWN}
    schema_codes = {c for c in codes.all_codes() if c.startswith("SCHEMA_")}
    assert schema_codes - warnings_only - covered == set()


WARNINGS = [
    (
        "unknown meta-schema",
        document(OBJ, **{"$schema": "https://example.com/meta"}),
        codes.SCHEMA_META_UNKNOWN,
    ),
    (
        "misspelled add-in",
        document(OBJ, meta=EXTENDED, **{"$uses": ["JSONSchemaValidation"]}),
        codes.SCHEMA_USES_UNKNOWN,
    ),
    (
        "contentEncoding on string",
        document({"type": "string", "contentEncoding": "base64"}),
        codes.SCHEMA_ANNOTATION_MISPLACED,
    ),
    (
        "validation keyword not enabled",
        document({"type": "string", "minLength": 1}),
        codes.SCHEMA_EXTENSION_KEYWORD_NOT_ENABLED,
    ),
    (
        "unknown format",
        validation_document({"type": "string", "format": "date-time"}),
        codes.SCHEMA_FORMAT_UNKNOWN,
    ),
]


@pytest.mark.parametrize(("label", "schema", "code"), WARNINGS, ids=[w[0] for w in WARNINGS])
def test_warning_is_reported_only_on_request(label: str, schema: Any, code: str) -> None:
    assert check_schema(schema) == []
    found = check_schema(schema, include_warnings=True)
    assert [p.severity for p in found if p.code == code] == ["warning"]


def test_validation_keyword_with_uses_draws_no_warning() -> None:
    schema = validation_document({"type": "string", "minLength": 1})
    assert check_schema(schema, include_warnings=True) == []


def test_recursive_types_through_properties_are_legal() -> None:
    schema = document(
        {
            "$root": "#/definitions/A",
            "definitions": {
                "A": {"type": "object", "properties": {"b": {"type": {"$ref": "#/definitions/B"}}}},
                "B": {"type": "object", "properties": {"a": {"type": {"$ref": "#/definitions/A"}}}},
            },
        }
    )
    assert check_schema(schema) == []


def test_lenient_accepts_extends_of_a_concrete_type() -> None:
    schema = document(
        {
            "type": "object",
            "$extends": "#/definitions/B",
            "properties": {"c": {"type": "string"}},
            "definitions": {"B": OBJ},
        }
    )
    assert check_schema(schema, lenient=True) == []


def test_inline_choice_requires_choices_to_extend_the_base() -> None:
    base = {"type": "object", "abstract": True, "properties": {"city": {"type": "string"}}}
    schema = document(
        {
            "$root": "#/definitions/Addr",
            "definitions": {
                "Base": base,
                "Street": {
                    "type": "object",
                    "$extends": "#/definitions/Base",
                    "properties": {"street": {"type": "string"}},
                },
                "Other": {"type": "object", "properties": {"x": {"type": "string"}}},
                "Addr": {
                    "type": "choice",
                    "$extends": "#/definitions/Base",
                    "selector": "kind",
                    "choices": {
                        "street": {"type": {"$ref": "#/definitions/Street"}},
                        "other": {"type": {"$ref": "#/definitions/Other"}},
                    },
                },
            },
        }
    )
    assert (codes.SCHEMA_CHOICES_INVALID, "/definitions/Addr/choices/other") in codes_of(schema)


def test_pointer_escapes_property_names() -> None:
    schema = document({"type": "object", "properties": {"a/b": {"type": "string"}}})
    assert (codes.SCHEMA_IDENTIFIER_INVALID, "/properties/a~1b") in codes_of(schema)


def test_schema_is_not_mutated() -> None:
    import copy

    schema = validation_document(
        {"type": "object", "properties": {"a": {"type": "string", "minLength": 2}}}
    )
    before = copy.deepcopy(schema)
    check_schema(schema, extended=True, include_warnings=True)
    assert schema == before
