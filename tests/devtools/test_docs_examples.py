"""docs/testing.md's examples are real tests: extracted and run in a fresh pytest project, where
the plugin arrives only through its entry point."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

DOC = Path(__file__).resolve().parents[2] / "docs" / "testing.md"
EXAMPLE = re.compile(r"<!-- example: (\w+\.py) -->\n```python\n(.*?)```", re.DOTALL)


def examples() -> dict[str, str]:
    return dict(EXAMPLE.findall(DOC.read_text()))


def test_the_guide_has_the_three_promised_examples() -> None:
    assert set(examples()) >= {
        "test_refresh_before_expiry.py",
        "test_uninstall.py",
        "test_fifty_workers.py",
    }


def test_every_example_in_the_guide_passes(pytester: pytest.Pytester) -> None:
    found = examples()
    for name, code in found.items():
        pytester.makepyfile(**{name.removesuffix(".py"): code})
    pytester.makeini("[pytest]\nasyncio_mode = auto\n")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--strict-markers")
    result.assert_outcomes(passed=7)
