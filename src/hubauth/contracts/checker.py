"""The contracts, compiled once with :mod:`hubauth.structure` and checked on the hot path.

Requests are always checked (a violation is a 400 the caller can act on). Responses are
checked when ``strict_contracts`` is on (tests, staging): a violation there is a bug in
hubauth, so it raises instead of sending a body that breaks its contract.
"""

from __future__ import annotations

import functools
from typing import Any

from hubauth import contracts
from hubauth.structure import Problem, Validator
from hubauth.structure import compile as compile_structure


class ContractViolation(AssertionError):
    """A response body broke its own contract (strict mode only)."""


@functools.cache
def validator(name: str) -> Validator:
    return compile_structure(contracts.load(name))


def compile_all() -> None:
    """Compile every contract up front so no request pays for it."""
    for name in contracts.NAMES:
        validator(name)


def request_problems(name: str, instance: Any) -> list[Problem]:
    v = validator(name)
    return [] if v.is_valid(instance) else v.validate(instance)


def check_response(name: str, body: Any) -> None:
    v = validator(name)
    if not v.is_valid(body):
        problems = "; ".join(f"{p.pointer or '/'}: {p.message}" for p in v.validate(body))
        raise ContractViolation(f"response breaks the {name} contract: {problems}")
