#!/usr/bin/env python3
"""Score hubauth.structure against the official JSON Structure test assets.

Usage::

    PYTHONPATH=src python scripts/conformance.py --assets ../shared/conformance/json-structure
    PYTHONPATH=src python scripts/conformance.py --assets DIR --compare-official [--json]

``DIR`` is the ``json-structure`` conformance folder or its ``test-assets``
folder.  The samples are looked up at ``primer-and-samples/samples/core``
beside ``test-assets``.

Verdicts (the conventions of the assets' README and the official SDK's own
asset tests):

* ``schemas/invalid/*``: the schema must be rejected.
* ``schemas/warnings/*`` and ``schemas/validation/*``: the schema must be
  accepted (errors only; warnings are fine).
* ``schemas/warnings/*-without-uses``: the checker must emit at least one
  warning (the README: "valid schemas that trigger warnings");
  ``*-with-uses`` must emit no "extension keyword not enabled" warning.
* ``schemas/adversarial``: the four the SDK lists as invalid must be rejected;
  every adversarial schema and instance must be handled without an exception
  within 5 seconds (robustness, reported apart: no verdict).
* samples: every ``schema.struct.json`` accepted, every ``example*.json`` valid.
* ``instances/invalid/<sample>/*`` and ``instances/validation/<schema>/*``:
  invalid (members starting with ``_`` are metadata; a ``value`` member is the
  instance), unless ``_expectedValid`` is true.

Every implementation runs in "extended" mode (validation and composition
keywords enforced), as the SDK's own asset tests do.  hubauth.structure is
scored twice: strict (the default) and ``lenient=True``.  For hubauth an
instance verdict only counts when the schema compiled, and ``validate()``
must agree with ``is_valid()``.
"""

from __future__ import annotations

import argparse
import copy
import json
import pathlib
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

ADVERSARIAL_INVALID = (
    "ref-to-nowhere.struct.json",
    "malformed-json-pointer.struct.json",
    "self-referencing-extends.struct.json",
    "extends-circular-chain.struct.json",
)
ADVERSARIAL_INSTANCE_SCHEMA = {
    "deep-nesting.json": "deep-nesting-100.struct.json",
    "recursive-tree.json": "recursive-array-items.struct.json",
    "property-name-edge-cases.json": "property-name-edge-cases.struct.json",
    "unicode-edge-cases.json": "unicode-edge-cases.struct.json",
    "string-length-surrogate.json": "string-length-surrogate.struct.json",
    "int64-precision.json": "int64-precision-loss.struct.json",
    "floating-point.json": "floating-point-precision.struct.json",
    "null-edge-cases.json": "null-edge-cases.struct.json",
    "empty-collections-invalid.json": "empty-arrays-objects.struct.json",
    "redos-attack.json": "redos-pattern.struct.json",
    "allof-conflict.json": "allof-conflicting-types.struct.json",
    "oneof-all-match.json": "oneof-all-match.struct.json",
    "type-union-int.json": "type-union-ambiguous.struct.json",
    "type-union-number.json": "type-union-ambiguous.struct.json",
    "conflicting-constraints.json": "conflicting-constraints.struct.json",
    "format-invalid.json": "format-edge-cases.struct.json",
    "format-valid.json": "format-edge-cases.struct.json",
    "pattern-flags.json": "pattern-with-flags.struct.json",
    "additionalProperties-combined.json": "additionalProperties-combined.struct.json",
    "extends-override.json": "extends-with-overrides.struct.json",
    "quadratic-blowup.json": "quadratic-blowup.struct.json",
    "anyof-none-match.json": "anyof-none-match.struct.json",
}
TIME_LIMIT = 5.0


@dataclass
class Case:
    category: str
    name: str
    kind: str  # "schema" | "warning" | "instance" | "robust-schema" | "robust-instance"
    schema: Any
    expect: bool  # schema accepted / instance valid / warning expected
    instance: Any = None


@dataclass
class Engine:
    name: str
    schema_ok: Callable[[Any], bool]
    warns: Callable[[Any, bool], bool]  # (schema, warning expected) -> warned
    instance_ok: Callable[[Any, Any], bool]  # raises when the verdict is unavailable
    results: dict[str, list[tuple[str, bool]]] = field(default_factory=dict)


def load(path: pathlib.Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def strip_meta(raw: Any) -> Any:
    if isinstance(raw, dict) and "value" in raw:
        return raw["value"]
    if isinstance(raw, dict):
        return {k: v for k, v in raw.items() if not k.startswith("_")}
    return raw


def locate(assets: pathlib.Path) -> tuple[pathlib.Path, pathlib.Path]:
    tests = assets / "test-assets" if (assets / "test-assets").is_dir() else assets
    samples = tests.parent / "primer-and-samples" / "samples" / "core"
    if not (tests / "schemas").is_dir():
        raise SystemExit(f"no test-assets/schemas under {assets}")
    return tests, samples


def collect_cases(assets: pathlib.Path) -> list[Case]:
    tests, samples = locate(assets)
    cases: list[Case] = []
    for f in sorted((tests / "schemas/invalid").glob("*.json")):
        cases.append(Case("schemas/invalid", f.name, "schema", load(f), False))
    for sub in ("warnings", "validation"):
        for f in sorted((tests / "schemas" / sub).glob("*.json")):
            cases.append(Case(f"schemas/{sub}", f.name, "schema", load(f), True))
    for f in sorted((tests / "schemas/warnings").glob("*.json")):
        cases.append(
            Case("schemas/warnings (warns)", f.name, "warning", load(f), "without-uses" in f.name)
        )
    for name in ADVERSARIAL_INVALID:
        cases.append(
            Case(
                "schemas/adversarial (invalid)",
                name,
                "schema",
                load(tests / "schemas/adversarial" / name),
                False,
            )
        )
    if samples.is_dir():
        for d in sorted(p for p in samples.iterdir() if p.is_dir()):
            schema = load(d / "schema.struct.json")
            cases.append(Case("samples/schemas", d.name, "schema", schema, True))
            for ex in sorted(d.glob("example*.json")):
                cases.append(
                    Case(
                        "samples/instances",
                        f"{d.name}/{ex.name}",
                        "instance",
                        schema,
                        True,
                        load(ex),
                    )
                )
        for d in sorted(p for p in (tests / "instances/invalid").iterdir() if p.is_dir()):
            schema = load(samples / d.name / "schema.struct.json")
            for f in sorted(d.glob("*.json")):
                cases.append(
                    Case(
                        "instances/invalid",
                        f"{d.name}/{f.name}",
                        "instance",
                        schema,
                        False,
                        strip_meta(load(f)),
                    )
                )
    for d in sorted(p for p in (tests / "instances/validation").iterdir() if p.is_dir()):
        schema = load(tests / "schemas/validation" / f"{d.name}.struct.json")
        for f in sorted(d.glob("*.json")):
            raw = load(f)
            expect = bool(raw.get("_expectedValid", False)) if isinstance(raw, dict) else False
            cases.append(
                Case(
                    "instances/validation",
                    f"{d.name}/{f.name}",
                    "instance",
                    schema,
                    expect,
                    strip_meta(raw),
                )
            )
    for f in sorted((tests / "schemas/adversarial").glob("*.json")):
        cases.append(Case("robustness/schemas", f.name, "robust-schema", load(f), True))
    for f in sorted((tests / "instances/adversarial").glob("*.json")):
        schema_name = ADVERSARIAL_INSTANCE_SCHEMA.get(f.name)
        if schema_name:
            instance = load(f)
            if isinstance(instance, dict):
                instance.pop("$schema", None)
            schema = load(tests / "schemas/adversarial" / schema_name)
            cases.append(
                Case("robustness/instances", f.name, "robust-instance", schema, True, instance)
            )
    return cases


def hubauth_engine(lenient: bool) -> Engine:
    from hubauth.structure import InvalidSchema, check_schema, codes, compile

    compiled: dict[int, Any] = {}

    def validator(schema: Any) -> Any:
        key = id(schema)
        if key not in compiled:
            try:
                compiled[key] = compile(schema, extended=True, lenient=lenient)
            except InvalidSchema as exc:
                compiled[key] = exc
        return compiled[key]

    def schema_ok(schema: Any) -> bool:
        return not check_schema(schema, extended=True, lenient=lenient)

    def warns(schema: Any, expected: bool) -> bool:
        problems = check_schema(schema, extended=True, lenient=lenient, include_warnings=True)
        warnings = [p for p in problems if p.severity == "warning"]
        if expected:
            return bool(warnings)
        return any(p.code == codes.SCHEMA_EXTENSION_KEYWORD_NOT_ENABLED for p in warnings)

    def instance_ok(schema: Any, instance: Any) -> bool:
        v = validator(schema)
        if isinstance(v, InvalidSchema):
            raise RuntimeError(f"schema rejected: {v.problems[0]}")
        fast = v.is_valid(instance)
        problems = v.validate(instance)
        if fast != (not problems):
            raise RuntimeError("is_valid and validate disagree")
        return fast

    name = "hubauth.structure" + (" (lenient)" if lenient else " (strict)")
    return Engine(name, schema_ok, warns, instance_ok)


def official_engine() -> Engine:
    from json_structure import InstanceValidator, SchemaValidator
    from json_structure import error_codes as ec

    def schema_ok(schema: Any) -> bool:
        return not SchemaValidator(extended=True).validate(copy.deepcopy(schema))

    def warns(schema: Any, expected: bool) -> bool:
        v = SchemaValidator(extended=True, warn_on_unused_extension_keywords=True)
        v.validate(copy.deepcopy(schema))
        if expected:
            return bool(v.warnings)
        return any(w.code == ec.SCHEMA_EXTENSION_KEYWORD_NOT_ENABLED for w in v.warnings)

    def instance_ok(schema: Any, instance: Any) -> bool:
        # The SDK mutates both arguments; give it copies.
        v = InstanceValidator(copy.deepcopy(schema), extended=True)
        return not v.validate_instance(copy.deepcopy(instance))

    return Engine("json-structure 0.8.0 (extended=True)", schema_ok, warns, instance_ok)


def run_case(engine: Engine, case: Case) -> tuple[bool, str]:
    start = time.perf_counter()
    try:
        if case.kind == "schema":
            passed = engine.schema_ok(case.schema) == case.expect
        elif case.kind == "warning":
            passed = engine.warns(case.schema, case.expect) == case.expect
        elif case.kind == "instance":
            passed = engine.instance_ok(case.schema, case.instance) == case.expect
        elif case.kind == "robust-schema":
            engine.schema_ok(case.schema)
            passed = True
        else:
            try:
                engine.instance_ok(case.schema, case.instance)
            except RuntimeError as exc:  # schema refused up front: handled, no crash
                if "schema rejected" not in str(exc):
                    raise
            passed = True
        note = ""
    except Exception as exc:  # a crash fails the case; the message says why
        passed, note = False, f"{type(exc).__name__}: {str(exc)[:120]}"
    elapsed = time.perf_counter() - start
    if elapsed > TIME_LIMIT:
        passed, note = False, f"took {elapsed:.1f}s"
    return passed, note


def score(engine: Engine, cases: list[Case]) -> dict[str, Any]:
    per: dict[str, dict[str, Any]] = {}
    for case in cases:
        passed, note = run_case(engine, case)
        entry = per.setdefault(case.category, {"passed": 0, "total": 0, "failed": []})
        entry["total"] += 1
        if passed:
            entry["passed"] += 1
        else:
            entry["failed"].append(case.name + (f" ({note})" if note else ""))
    verdict = {k: v for k, v in per.items() if not k.startswith("robustness")}
    return {
        "engine": engine.name,
        "categories": per,
        "verdict_passed": sum(v["passed"] for v in verdict.values()),
        "verdict_total": sum(v["total"] for v in verdict.values()),
        "robust_passed": sum(v["passed"] for k, v in per.items() if k.startswith("robustness")),
        "robust_total": sum(v["total"] for k, v in per.items() if k.startswith("robustness")),
    }


def print_report(report: dict[str, Any], verbose: bool) -> None:
    print(f"== {report['engine']}")
    for cat, entry in report["categories"].items():
        print(f"  {cat:34s} {entry['passed']:3d}/{entry['total']:<3d}")
        if verbose:
            for name in entry["failed"]:
                print(f"      FAIL {name}")
    print(
        f"  {'TOTAL (cases with a verdict)':34s} "
        f"{report['verdict_passed']:3d}/{report['verdict_total']}"
    )
    print(
        f"  {'robustness (no crash, < 5 s)':34s} "
        f"{report['robust_passed']:3d}/{report['robust_total']}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--assets", required=True, type=pathlib.Path)
    parser.add_argument(
        "--compare-official", action="store_true", help="also score json-structure 0.8.0"
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("-v", "--verbose", action="store_true", help="list failing cases")
    args = parser.parse_args(argv)
    cases = collect_cases(args.assets)
    engines = [hubauth_engine(False), hubauth_engine(True)]
    if args.compare_official:
        engines.append(official_engine())
    reports = [score(e, cases) for e in engines]
    if args.json:
        print(json.dumps({"reports": reports}, indent=2))
    else:
        for r in reports:
            print_report(r, args.verbose)
    return 0


if __name__ == "__main__":
    sys.exit(main())
