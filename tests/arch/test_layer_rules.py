"""The layer rules (import-linter contracts in pyproject.toml) are enforced by ``make test``;
these tests prove the check would catch a violation and name the offending import."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def _lint(tmp_path: Path, inject: tuple[str, str] | None) -> subprocess.CompletedProcess[str]:
    shutil.copytree(ROOT / "src" / "hubauth", tmp_path / "hubauth")
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    if inject is not None:
        module, line = inject
        target = tmp_path / "hubauth" / module
        target.write_text(target.read_text() + f"\n{line}\n")
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_todays_code_keeps_every_layer_rule(tmp_path: Path) -> None:
    result = _lint(tmp_path, None)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "BROKEN" not in result.stdout


def test_core_importing_the_web_layer_fails_and_names_the_import(tmp_path: Path) -> None:
    result = _lint(tmp_path, ("core/clock.py", "import hubauth.web.errors  # noqa"))
    assert result.returncode != 0
    assert "hubauth.core.clock -> hubauth.web.errors" in result.stdout


def test_the_client_importing_the_core_fails(tmp_path: Path) -> None:
    result = _lint(tmp_path, ("client/plan.py", "import hubauth.core.tokens  # noqa"))
    assert result.returncode != 0
    assert "hubauth.client.plan -> hubauth.core.tokens" in result.stdout
