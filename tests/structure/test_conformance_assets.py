"""The official JSON Structure assets, scored by scripts/conformance.py.

The assets are not part of this repository; the tests skip when
HUBAUTH_JSON_STRUCTURE_ASSETS (default ../shared/conformance/json-structure)
does not exist.
"""

from __future__ import annotations

import importlib.util
import pathlib
import sys
from types import ModuleType

import pytest

from .conftest import REPO

# Cases where strict mode follows the core draft against the official samples
# (docs/structure.md, D6 and D8).  Lenient mode must pass them.
STRICT_DISAGREEMENTS = {
    "samples/schemas": {"12-multiple-inheritance"},
    "samples/instances": {
        "11-sets-and-maps/example1.json",
        "11-sets-and-maps/example2.json",
        "11-sets-and-maps/example3.json",
        "12-multiple-inheritance/example.json",
    },
}


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "conformance", REPO / "scripts" / "conformance.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("conformance", module)  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def reports(assets: pathlib.Path) -> dict[str, dict]:
    conformance = _script()
    cases = conformance.collect_cases(assets)
    return {
        "strict": conformance.score(conformance.hubauth_engine(False), cases),
        "lenient": conformance.score(conformance.hubauth_engine(True), cases),
    }


def test_lenient_mode_passes_every_case_with_a_verdict(reports: dict[str, dict]) -> None:
    report = reports["lenient"]
    failed = {k: v["failed"] for k, v in report["categories"].items() if v["failed"]}
    assert failed == {}
    assert report["verdict_total"] >= 160


def test_strict_mode_fails_only_the_documented_disagreements(reports: dict[str, dict]) -> None:
    failed = {
        k: {n.split(" (")[0] for n in v["failed"]}
        for k, v in reports["strict"]["categories"].items()
        if v["failed"]
    }
    assert failed == STRICT_DISAGREEMENTS


def test_every_adversarial_input_is_handled(reports: dict[str, dict]) -> None:
    for report in reports.values():
        assert report["robust_passed"] == report["robust_total"] > 0
