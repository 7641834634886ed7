"""``structure`` command group: check schemas and validate instances.

Exit codes: 0 when everything is valid, 1 when problems were found, 2 on a
usage or I/O error (unreadable file, malformed JSON).  Problems print one per
line as ``file: pointer: code: message``; ``--json`` prints one JSON object.

The main hubauth CLI mounts this group with ``cli.add_command(structure)``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from . import InvalidSchema, Problem, check_schema, compile

EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE = 0, 1, 2


class _LoadError(Exception):
    pass


def _load(path: str) -> Any:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise _LoadError(f"{path}: cannot read: {exc}") from None
    try:
        return json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise _LoadError(f"{path}: not valid JSON: {exc}") from None


def _emit(results: dict[str, list[Problem]], as_json: bool, errors: list[str]) -> None:
    if as_json:
        payload = {
            "valid": not errors and not any(results.values()),
            "files": {name: [p.as_dict() for p in probs] for name, probs in results.items()},
            "errors": errors,
        }
        click.echo(json.dumps(payload, indent=2))
        return
    for name, problems in results.items():
        for p in problems:
            tag = "" if p.severity == "error" else " (warning)"
            click.echo(f"{name}: {p.pointer or '/'}: {p.code}: {p.message}{tag}")
    for message in errors:
        click.echo(message, err=True)


def _exit_code(results: dict[str, list[Problem]], errors: list[str]) -> int:
    if errors:
        return EXIT_USAGE
    if any(p.severity == "error" for probs in results.values() for p in probs):
        return EXIT_PROBLEMS
    return EXIT_OK


_EXTENDED = click.option(
    "--extended/--no-extended",
    default=None,
    help="Force validation/composition keywords on (or off); default: as the schema says.",
)
_LENIENT = click.option(
    "--lenient", is_flag=True, help="Accept forms the official samples use (D6, D8)."
)
_JSON = click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")


@click.group(name="structure")
def structure() -> None:
    """Check JSON Structure schemas and validate JSON instances."""


@structure.command("check")
@click.argument("schemas", nargs=-1, required=True, type=click.Path(dir_okay=False))
@_EXTENDED
@_LENIENT
@click.option("--warnings", "show_warnings", is_flag=True, help="Also report warnings.")
@_JSON
def check(
    schemas: tuple[str, ...],
    extended: bool | None,
    lenient: bool,
    show_warnings: bool,
    as_json: bool,
) -> None:
    """Check SCHEMA files against the JSON Structure core rules."""
    results: dict[str, list[Problem]] = {}
    errors: list[str] = []
    for path in schemas:
        try:
            doc = _load(path)
        except _LoadError as exc:
            errors.append(str(exc))
            continue
        results[path] = check_schema(
            doc, extended=extended, lenient=lenient, include_warnings=show_warnings
        )
    _emit(results, as_json, errors)
    sys.exit(_exit_code(results, errors))


@structure.command("validate")
@click.option(
    "--schema", "schema_path", required=True, type=click.Path(dir_okay=False), help="Schema file."
)
@click.argument("instances", nargs=-1, required=True, type=click.Path(dir_okay=False))
@_EXTENDED
@_LENIENT
@_JSON
def validate(
    schema_path: str,
    instances: tuple[str, ...],
    extended: bool | None,
    lenient: bool,
    as_json: bool,
) -> None:
    """Validate INSTANCE files against --schema."""
    results: dict[str, list[Problem]] = {}
    errors: list[str] = []
    try:
        validator = compile(_load(schema_path), extended=extended, lenient=lenient)
    except _LoadError as exc:
        _emit({}, as_json, [str(exc)])
        sys.exit(EXIT_USAGE)
    except InvalidSchema as exc:
        results[schema_path] = list(exc.problems)
        _emit(results, as_json, [])
        sys.exit(EXIT_PROBLEMS)
    for path in instances:
        try:
            results[path] = validator.validate(_load(path))
        except _LoadError as exc:
            errors.append(str(exc))
    _emit(results, as_json, errors)
    sys.exit(_exit_code(results, errors))
