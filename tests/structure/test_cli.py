"""The ``structure`` click group: output format and exit codes."""

from __future__ import annotations

import json
import pathlib

from click.testing import CliRunner

from hubauth.structure.cli import structure

from .conftest import document

SCHEMA = document({"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"]})


def write(tmp_path: pathlib.Path, name: str, content: object) -> str:
    path = tmp_path / name
    path.write_text(content if isinstance(content, str) else json.dumps(content), encoding="utf-8")
    return str(path)


def test_check_valid_schema_exits_zero(tmp_path: pathlib.Path) -> None:
    result = CliRunner().invoke(structure, ["check", write(tmp_path, "s.json", SCHEMA)])
    assert result.exit_code == 0 and result.output == ""


def test_check_reports_file_pointer_code_message(tmp_path: pathlib.Path) -> None:
    path = write(tmp_path, "s.json", document({"type": "int"}))
    result = CliRunner().invoke(structure, ["check", path])
    assert result.exit_code == 1
    assert result.output.startswith(f"{path}: /type: SCHEMA_TYPE_UNKNOWN: ")


def test_validate_exit_codes_and_lines(tmp_path: pathlib.Path) -> None:
    schema = write(tmp_path, "s.json", SCHEMA)
    good = write(tmp_path, "good.json", {"a": "x"})
    bad = write(tmp_path, "bad.json", {"a": 1})
    runner = CliRunner()
    assert runner.invoke(structure, ["validate", "--schema", schema, good]).exit_code == 0
    result = runner.invoke(structure, ["validate", "--schema", schema, good, bad])
    assert result.exit_code == 1
    assert (
        result.output.strip() == f"{bad}: /a: INSTANCE_TYPE_MISMATCH: expected string, got number"
    )


def test_validate_json_output_is_one_object(tmp_path: pathlib.Path) -> None:
    schema = write(tmp_path, "s.json", SCHEMA)
    bad = write(tmp_path, "bad.json", {})
    result = CliRunner().invoke(structure, ["validate", "--json", "--schema", schema, bad])
    payload = json.loads(result.output)
    assert result.exit_code == 1 and payload["valid"] is False
    assert payload["files"][bad][0]["code"] == "INSTANCE_REQUIRED_MISSING"


def test_invalid_schema_given_to_validate_exits_one(tmp_path: pathlib.Path) -> None:
    schema = write(tmp_path, "s.json", document({"type": "array"}))
    inst = write(tmp_path, "i.json", [])
    result = CliRunner().invoke(structure, ["validate", "--schema", schema, inst])
    assert result.exit_code == 1 and "SCHEMA_ITEMS_MISSING" in result.output


def test_unreadable_or_malformed_files_exit_two(tmp_path: pathlib.Path) -> None:
    runner = CliRunner()
    assert runner.invoke(structure, ["check", str(tmp_path / "missing.json")]).exit_code == 2
    broken = write(tmp_path, "broken.json", "{")
    assert runner.invoke(structure, ["check", broken]).exit_code == 2
    schema = write(tmp_path, "s.json", SCHEMA)
    assert runner.invoke(structure, ["validate", "--schema", schema, broken]).exit_code == 2


def test_missing_arguments_are_usage_errors() -> None:
    assert CliRunner().invoke(structure, ["validate"]).exit_code == 2
    assert CliRunner().invoke(structure, ["check"]).exit_code == 2


def test_extended_flag_enforces_validation_keywords(tmp_path: pathlib.Path) -> None:
    schema = write(tmp_path, "s.json", document({"type": "string", "minLength": 3}))
    inst = write(tmp_path, "i.json", '"ab"')
    runner = CliRunner()
    assert runner.invoke(structure, ["validate", "--schema", schema, inst]).exit_code == 0
    assert (
        runner.invoke(structure, ["validate", "--extended", "--schema", schema, inst]).exit_code
        == 1
    )
