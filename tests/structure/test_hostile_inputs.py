"""Hostile schemas and instances: bounded depth, linear time, no crashes."""

from __future__ import annotations

import copy
import json
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from hubauth.structure import InvalidSchema, check_schema, codes, compile

from .conftest import document, validation_document

TREE = document(
    {
        "$root": "#/definitions/Node",
        "definitions": {
            "Node": {
                "type": "object",
                "properties": {
                    "value": {"type": "string"},
                    "children": {
                        "type": "array",
                        "items": {"type": {"$ref": "#/definitions/Node"}},
                    },
                },
            },
        },
    }
)


def nested_tree(depth: int) -> dict[str, Any]:
    node: dict[str, Any] = {"value": "leaf"}
    for _ in range(depth):
        node = {"value": "x", "children": [node]}
    return node


def test_recursive_schema_compiles_and_validates_moderate_depth() -> None:
    v = compile(TREE)
    assert v.is_valid(nested_tree(40))
    bad = nested_tree(40)
    bad["children"][0]["children"][0]["value"] = 1
    assert [(p.code, p.pointer) for p in v.validate(bad)] == [
        (codes.INSTANCE_TYPE_MISMATCH, "/children/0/children/0/value")
    ]


def test_instance_deeper_than_max_depth_reports_a_clear_code() -> None:
    v = compile(TREE, max_depth=64)
    deep = nested_tree(100)
    assert v.is_valid(deep) is False
    assert {p.code for p in v.validate(deep)} == {codes.INSTANCE_MAX_DEPTH_EXCEEDED}


def test_extremely_deep_instance_never_raises_recursion_error() -> None:
    v = compile(TREE, max_depth=100_000)  # the bound is effectively off: the backstop must hold
    deep = nested_tree(20_000)
    assert v.is_valid(deep) is False
    assert [p.code for p in v.validate(deep)] == [codes.INSTANCE_MAX_DEPTH_EXCEEDED]


def test_deep_any_values_in_a_set_are_bounded() -> None:
    v = compile(document({"type": "set", "items": {"type": "any"}}))
    value: Any = []
    for _ in range(5000):
        value = [value]
    assert v.is_valid([value, 1]) is False
    assert codes.INSTANCE_MAX_DEPTH_EXCEEDED in {p.code for p in v.validate([value, 1])}


def test_deeply_nested_schema_is_rejected_without_recursion_error() -> None:
    node: dict[str, Any] = {"type": "string"}
    for _ in range(5000):
        node = {"type": "array", "items": node}
    found = check_schema(document(node))
    assert {p.code for p in found} == {codes.SCHEMA_MAX_DEPTH_EXCEEDED}
    with pytest.raises(InvalidSchema):
        compile(document(node))


def test_self_only_ref_is_rejected_but_mutual_recursion_is_not() -> None:
    alias_cycle = document(
        {
            "type": "object",
            "properties": {"a": {"type": {"$ref": "#/definitions/A"}}},
            "definitions": {
                "A": {"type": {"$ref": "#/definitions/B"}},
                "B": {"type": {"$ref": "#/definitions/A"}},
            },
        }
    )
    assert codes.SCHEMA_REF_CIRCULAR in {p.code for p in check_schema(alias_cycle)}
    mutual = document(
        {
            "$root": "#/definitions/A",
            "definitions": {
                "A": {"type": "object", "properties": {"b": {"type": {"$ref": "#/definitions/B"}}}},
                "B": {"type": "object", "properties": {"a": {"type": {"$ref": "#/definitions/A"}}}},
            },
        }
    )
    v = compile(mutual)
    assert v.is_valid({"b": {"a": {"b": {}}}})
    assert not v.is_valid({"b": {"a": {"b": 1}}})


@pytest.mark.parametrize("pattern", ["^(a+)+$", "^([a-zA-Z0-9]+)*$", "(x+x+)+y", "^(a|aa)+$"])
def test_catastrophic_patterns_run_in_linear_time(pattern: str) -> None:
    v = compile(validation_document({"type": "string", "pattern": pattern}))
    attack = "a" * 100_000 + "!"
    assert v.is_valid(attack) is False  # would not return for years with backtracking


def test_pattern_keys_use_linear_search_semantics() -> None:
    v = compile(
        validation_document(
            {
                "type": "map",
                "values": {"type": "string"},
                "patternKeys": {"(a+)+b": {"type": "int8"}},
            }
        )
    )
    assert v.is_valid({"a" * 50_000: "x"})


def test_huge_array_is_validated_in_one_pass() -> None:
    v = compile(document({"type": "set", "items": {"type": "int32"}}))
    big = list(range(200_000))
    assert v.is_valid(big)
    assert [(p.code, p.pointer) for p in v.validate([*big, 5])] == [
        (codes.INSTANCE_SET_DUPLICATE, "/200000")
    ]


def test_huge_enum_uses_set_lookup() -> None:
    members = [f"value_{i:06d}" for i in range(50_000)]
    v = compile(document({"type": "string", "enum": members}))
    assert v.is_valid("value_049999") and not v.is_valid("value_x")


def test_big_integer_strings_are_rejected_before_parsing() -> None:
    v = compile(document({"type": "int128"}))
    assert not v.is_valid("9" * 100_000)


def test_validator_is_immutable() -> None:
    v = compile(TREE)
    with pytest.raises(AttributeError):
        v.extra = 1  # type: ignore[attr-defined]
    with pytest.raises(AttributeError):
        v._ok = None  # type: ignore[misc]


def test_schema_changes_after_compile_do_not_leak_in() -> None:
    schema = document({"type": "object", "properties": {"a": {"type": "string"}}})
    v = compile(schema)
    schema["properties"]["a"]["type"] = "int32"
    assert v.is_valid({"a": "x"})


def test_validation_never_mutates_schema_or_instance() -> None:
    schema = document(
        {"type": "object", "properties": {"a": {"type": "string"}}, "additionalProperties": False}
    )
    instance = {"$schema": "x", "$uses": [], "a": "x", "b": [1, {"c": 2}]}
    frozen_schema, frozen_instance = copy.deepcopy(schema), copy.deepcopy(instance)
    v = compile(schema)
    v.validate(instance)
    v.is_valid(instance)
    assert schema == frozen_schema and instance == frozen_instance


def test_shared_validator_gives_consistent_results_across_threads() -> None:
    v = compile(TREE)
    good, bad = nested_tree(30), nested_tree(30)
    bad["children"][0]["value"] = None
    expected_bad = [(p.code, p.pointer) for p in v.validate(bad)]
    barrier = threading.Barrier(8)

    def work(i: int) -> bool:
        barrier.wait()
        for _ in range(200):
            if not v.is_valid(good) or v.is_valid(bad):
                return False
            if [(p.code, p.pointer) for p in v.validate(bad)] != expected_bad or v.validate(good):
                return False
        return True

    with ThreadPoolExecutor(8) as pool:
        assert all(pool.map(work, range(8)))


def test_addin_variants_compile_once_under_concurrency() -> None:
    schema = document(
        {
            "$root": "#/definitions/A",
            "$offers": {"X": "#/definitions/X"},
            "definitions": {
                "A": {
                    "type": "object",
                    "properties": {"a": {"type": "string"}},
                    "additionalProperties": False,
                },
                "X": {
                    "type": "object",
                    "abstract": True,
                    "$extends": "#/definitions/A",
                    "properties": {"x": {"type": "int8"}},
                },
            },
        }
    )
    v = compile(schema)
    instance = {"$uses": ["X"], "a": "s", "x": 1}
    with ThreadPoolExecutor(8) as pool:
        assert all(pool.map(lambda _: v.is_valid(instance), range(64)))


def test_json_round_trip_values_validate_like_python_values() -> None:
    v = compile(
        document(
            {"type": "object", "properties": {"n": {"type": "double"}, "i": {"type": "uint8"}}}
        )
    )
    assert v.is_valid(json.loads('{"n": 1e308, "i": 255}'))
    assert not v.is_valid(json.loads('{"n": 1, "i": 255.0}'))
