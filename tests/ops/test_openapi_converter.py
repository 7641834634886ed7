"""The JSON Structure → JSON Schema 2020-12 translation, construct by construct, checked by
validating instances with ``jsonschema`` and, for every contract, against the official
json-structure package on the same instances."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from json_structure import InstanceValidator
from jsonschema import Draft202012Validator, FormatChecker

from hubauth import contracts
from hubauth.contracts.openapi import (
    INT32_MAX,
    INT32_MIN,
    UnsupportedConstruct,
    to_components,
    to_json_schema,
)

CORE = "https://json-structure.org/meta/core/v0/#"


def struct(root: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"$schema": CORE, "$id": "https://example.test/t", "name": "T", **root, **extra}


def accepts(schema: dict[str, Any], instance: Any) -> bool:
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, format_checker=FormatChecker()).is_valid(instance)


def test_object_properties_and_required_translate() -> None:
    s = to_json_schema(
        struct(
            {
                "type": "object",
                "properties": {"a": {"type": "string"}, "b": {"type": "boolean"}},
                "required": ["a"],
            }
        )
    )
    assert s["title"] == "T"
    assert s["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert accepts(s, {"a": "x"})
    assert accepts(s, {"a": "x", "b": False, "extra": 1})  # extras allowed, as in JSON Structure
    assert not accepts(s, {"b": True})
    assert not accepts(s, {"a": "x", "b": "yes"})


def test_additional_properties_false_is_kept() -> None:
    s = to_json_schema(
        struct(
            {
                "type": "object",
                "properties": {"a": {"type": "string"}},
                "additionalProperties": False,
            }
        )
    )
    assert not accepts(s, {"a": "x", "b": 1})


def test_string_max_length_is_kept() -> None:
    s = to_json_schema(struct({"type": "string", "maxLength": 3}))
    assert accepts(s, "abc")
    assert not accepts(s, "abcd")
    assert not accepts(s, 3)


def test_int32_is_an_integer_within_int32_bounds() -> None:
    s = to_json_schema(struct({"type": "int32"}))
    assert accepts(s, INT32_MIN) and accepts(s, INT32_MAX)
    assert not accepts(s, INT32_MAX + 1)
    assert not accepts(s, INT32_MIN - 1)
    assert not accepts(s, 1.5)
    assert not accepts(s, True)
    assert not accepts(s, "1")


def test_number_accepts_fractions_and_refuses_strings() -> None:
    s = to_json_schema(struct({"type": "number"}))
    assert accepts(s, 1.5) and accepts(s, 1_700_000_000_000)
    assert not accepts(s, "1.5")


def test_uuid_is_a_string_with_format_uuid() -> None:
    s = to_json_schema(struct({"type": "uuid"}))
    assert s["format"] == "uuid"
    assert accepts(s, "2b9f6a39-4a0e-4c1b-9e51-0c1d2a3b4c5d")
    assert not accepts(s, "not-a-uuid")


def test_array_items_translate() -> None:
    s = to_json_schema(struct({"type": "array", "items": {"type": "string"}}))
    assert accepts(s, ["a", "b"])
    assert not accepts(s, ["a", 1])


def test_map_becomes_additional_properties() -> None:
    s = to_json_schema(
        struct({"type": "map", "values": {"type": "array", "items": {"type": "string"}}})
    )
    assert s["type"] == "object"
    assert accepts(s, {"k": ["v"]})
    assert not accepts(s, {"k": "v"})


def test_const_and_enum_translate() -> None:
    s = to_json_schema(struct({"type": "string", "const": "bearer"}))
    assert accepts(s, "bearer") and not accepts(s, "Bearer")
    s = to_json_schema(struct({"type": "string", "enum": ["a", "b"]}))
    assert accepts(s, "b") and not accepts(s, "c")


def test_any_accepts_everything() -> None:
    s = to_json_schema(struct({"type": "object", "properties": {"x": {"type": "any"}}}))
    assert all(accepts(s, {"x": v}) for v in (1, "s", None, [1], {"a": {}}))


def test_references_to_definitions_become_defs() -> None:
    s = to_json_schema(
        struct(
            {
                "type": "object",
                "properties": {"d": {"type": {"$ref": "#/definitions/D"}, "description": "a D"}},
            },
            definitions={"D": {"type": "object", "properties": {"n": {"type": "int32"}}}},
        )
    )
    assert s["properties"]["d"] == {"$ref": "#/$defs/D", "description": "a D"}
    assert accepts(s, {"d": {"n": 1}})
    assert not accepts(s, {"d": {"n": "1"}})


def test_components_are_prefixed_with_the_contract_name() -> None:
    components = to_components(
        struct(
            {"type": "object", "properties": {"d": {"type": {"$ref": "#/definitions/D"}}}},
            definitions={"D": {"type": "string"}},
        ),
        "t",
    )
    assert set(components) == {"T", "T.D"}
    assert components["T"]["properties"]["d"] == {"$ref": "#/components/schemas/T.D"}


def test_description_and_example_are_kept_as_annotations() -> None:
    s = to_json_schema(struct({"type": "string", "description": "d", "example": "e"}))
    assert s["description"] == "d"
    assert s["examples"] == ["e"]


def test_unions_become_any_of_in_declared_order() -> None:
    s = to_json_schema(struct({"type": ["string", "null"]}))
    assert s["anyOf"] == [{"type": "string"}, {"type": "null"}]


@pytest.mark.parametrize(
    ("root", "keyword"),
    [
        ({"type": "int64"}, "int64"),
        ({"type": "string", "pattern": "a+"}, "pattern"),
        ({"type": "object", "properties": {}, "abstract": True}, "abstract"),
        ({"type": "tuple", "properties": {"a": {"type": "string"}}, "tuple": ["a"]}, "tuple"),
        ({"type": {"$ref": "#/definitions/Missing"}}, "Missing"),
        ({"type": "object", "properties": {}, "required": [["a"], ["b"]]}, "required"),
        ({"type": "set", "items": {"type": "string"}}, "set"),
    ],
)
def test_constructs_outside_the_subset_are_refused_by_name(
    root: dict[str, Any], keyword: str
) -> None:
    with pytest.raises(UnsupportedConstruct, match=keyword):
        to_json_schema(struct(root))


@pytest.mark.parametrize("name", contracts.NAMES)
def test_every_contract_translates_to_a_valid_json_schema(name: str) -> None:
    Draft202012Validator.check_schema(to_json_schema(contracts.load(name)))


#: Instances each contract's translation must judge exactly as the official package does.
SAMPLES: dict[str, list[Any]] = {
    "health": [
        {"status": "ok"},
        {"status": "ok", "checks": {"database": "ok"}},
        {"status": "down"},
        {"checks": {}},
        {"status": "ok", "checks": {"database": "down"}},
    ],
    "error": [
        {
            "status": "error",
            "message": "m",
            "correlationId": "2b9f6a39-4a0e-4c1b-9e51-0c1d2a3b4c5d",
            "category": "C",
            "context": {"k": ["v"]},
        },
        {"status": "error", "message": "m", "correlationId": "nope", "category": "C"},
        {"message": "m", "category": "C"},
        {
            "message": "m",
            "correlationId": "2b9f6a39-4a0e-4c1b-9e51-0c1d2a3b4c5d",
            "category": "C",
            "errors": [{"message": "x"}, {"code": "no message"}],
        },
    ],
    "token-response": [
        {"access_token": "C", "expires_in": 1800, "token_type": "bearer", "token_use": "x"},
        {
            "access_token": "C",
            "expires_in": 1800,
            "token_type": "bearer",
            "token_use": "access_token",
        },
        {
            "access_token": "C",
            "expires_in": 2**31,
            "token_type": "bearer",
            "token_use": "access_token",
        },
        {"access_token": "C" * 513, "expires_in": 1, "token_type": "bearer", "token_use": "x"},
    ],
    "refresh-token-metadata": [
        {"token": "t", "client_id": "c", "hub_id": 1, "scopes": ["a"]},
        {"token": "t", "client_id": "c", "hub_id": "1", "scopes": ["a"]},
        {"token": "t", "client_id": "c", "scopes": ["a"]},
    ],
    "access-token-metadata": [
        {
            "token": "t",
            "scopes": [],
            "hub_id": 1,
            "app_id": 2,
            "user_id": 3,
            "expires_in": 5,
            "token_type": "access",
            "signed_access_token": {
                "appId": 2,
                "expiresAt": 1.7e12,
                "hubId": 1,
                "hublet": "na1",
                "scopes": "s",
                "signature": "x",
                "userId": 3,
            },
        },
        {
            "token": "t",
            "scopes": [],
            "hub_id": 1,
            "app_id": 2,
            "user_id": 3,
            "expires_in": 5,
            "token_type": "access",
            "signed_access_token": {"appId": 2},
        },
    ],
}


@pytest.mark.parametrize(
    ("name", "index"), [(n, i) for n, items in SAMPLES.items() for i in range(len(items))]
)
def test_translation_agrees_with_the_official_validator(name: str, index: int) -> None:
    struct_schema = contracts.load(name)
    instance = SAMPLES[name][index]
    official = InstanceValidator(copy.deepcopy(struct_schema)).validate(copy.deepcopy(instance))
    assert accepts(to_json_schema(struct_schema), instance) == (official == []), official
