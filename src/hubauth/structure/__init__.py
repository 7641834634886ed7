"""JSON Structure (json-structure.org) schema checker and compiled validator.

Public API::

    from hubauth.structure import check_schema, compile, InvalidSchema

    problems = check_schema(schema)          # list[Problem] for the schema
    validator = compile(schema)              # raises InvalidSchema
    validator.is_valid(instance)             # fast bool
    validator.validate(instance)             # list[Problem] with pointers

The package depends on the standard library only, plus ``google-re2`` (when
installed) for linear-time regular expressions.  It imports nothing from the
rest of hubauth.
"""

from __future__ import annotations

from typing import Any

from . import codes
from .document import Profile, profile_for
from .problems import InvalidSchema, Problem
from .schema_check import check_schema
from .validator import Validator, build_validator

DEFAULT_MAX_DEPTH = 128

__all__ = [
    "DEFAULT_MAX_DEPTH",
    "InvalidSchema",
    "Problem",
    "Profile",
    "Validator",
    "check_schema",
    "codes",
    "compile",
]


def compile(
    schema: dict[str, Any],
    *,
    extended: bool | None = None,
    lenient: bool = False,
    max_depth: int = DEFAULT_MAX_DEPTH,
) -> Validator:
    """Check ``schema`` and compile it into a :class:`Validator`.

    ``extended``: ``None`` enforces the add-ins the document enables
    (``$schema``/``$uses``); ``True`` forces the validation and composition
    keywords on, like the official SDK's ``extended=True``; ``False`` treats
    them as annotations.  ``lenient`` accepts two forms the official samples
    use but the core draft forbids (see docs/structure.md, D6 and D8).
    ``max_depth`` bounds instance nesting.

    Raises :class:`InvalidSchema` carrying every error when the schema is
    not valid.
    """
    problems = check_schema(schema, extended=extended, lenient=lenient)
    if problems:
        raise InvalidSchema(problems)
    profile = profile_for(schema, extended)
    return build_validator(schema, profile, lenient=lenient, max_depth=max_depth)
