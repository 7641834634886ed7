"""Regular expressions for ``pattern``, ``patternProperties`` and friends.

Validation 3.2.2 asks for ECMA-262 expressions and its security section asks
implementations to mitigate ReDoS.  Policy (docs/structure.md, decision D9):

* With ``google-re2`` installed (the declared dependency) every pattern is
  compiled by RE2, whose matching time is linear in the input.  A pattern RE2
  rejects but Python's engine accepts (backreferences, lookaround, counted
  repetition above 1000) is refused with ``SCHEMA_PATTERN_UNSUPPORTED``; one
  neither engine accepts is ``SCHEMA_PATTERN_INVALID``.
* For full-match use, a pattern that is *trivially linear* for a backtracking
  engine (no repetition nested in repetition, no alternation or group under
  a repetition, at most one unbounded repetition) runs on Python's ``re``
  instead, because crossing into RE2 costs ~2.5 us per call against ~0.1 us.
* Without RE2, only trivially linear patterns are accepted; the others are
  refused with ``SCHEMA_PATTERN_UNSUPPORTED`` rather than risking
  catastrophic backtracking.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from . import codes

try:  # pragma: no cover - exercised implicitly by whichever branch is installed
    import re2 as _re2

    _RE2_OPTIONS: Any = _re2.Options()
    _RE2_OPTIONS.log_errors = False
except ImportError:  # pragma: no cover
    _re2 = None
    _RE2_OPTIONS = None

try:
    from re import _parser as _sre_parse  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover - Python < 3.11
    import sre_parse as _sre_parse  # type: ignore[no-redef,unused-ignore]

HAVE_RE2 = _re2 is not None

Matcher = Callable[[str], bool]


class PatternError(ValueError):
    """A pattern that cannot be used; ``code`` says whether it is malformed."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


_REPEATS = ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT")
_UNSAFE_OPS = ("GROUPREF", "GROUPREF_EXISTS", "ASSERT", "ASSERT_NOT")


def _is_trivially_linear(pattern: str) -> bool:
    """True if a backtracking engine runs ``pattern`` in linear time."""
    try:
        tree = _sre_parse.parse(pattern, re.ASCII)
    except Exception:
        return False
    unbounded = 0
    maxrepeat = _sre_parse.MAXREPEAT

    def walk(items: Any, in_repeat: bool) -> bool:
        nonlocal unbounded
        for op, arg in items:
            name = str(op)
            if name in _UNSAFE_OPS:
                return False
            if name in _REPEATS:
                _low, high, sub = arg
                if in_repeat:
                    return False
                if high == maxrepeat or high > 1000:
                    unbounded += 1
                # Only a single literal or character class may be repeated.
                if len(sub) != 1 or str(sub[0][0]) not in ("LITERAL", "NOT_LITERAL", "IN", "ANY"):
                    return False
            elif name == "SUBPATTERN":
                if not walk(arg[-1], in_repeat):
                    return False
            elif name == "BRANCH":
                for alt in arg[1]:
                    if not walk(alt, in_repeat):
                        return False
        return True

    return walk(tree, False) and unbounded <= 1


@lru_cache(maxsize=512)
def compile_pattern(pattern: str, full: bool) -> Matcher:
    """Compile ``pattern`` into a predicate; raises :class:`PatternError`.

    ``full`` selects full-match semantics (validation 3.2.2: "its entire value
    conforms"); otherwise the pattern may match anywhere (ECMA-262 ``test``),
    as for ``patternProperties`` names.  Results are cached: matchers are pure
    functions, so sharing them between validators and threads is safe.
    """
    try:
        py = re.compile(pattern, re.ASCII)
    except (re.error, OverflowError, RecursionError) as exc:
        py = None
        py_error = str(exc)
    else:
        py_error = ""
    if full and py is not None and _is_trivially_linear(pattern):
        fullmatch = py.fullmatch
        return lambda s: fullmatch(s) is not None
    if _re2 is None:
        if py is None:
            raise PatternError(
                codes.SCHEMA_PATTERN_INVALID, f"invalid regular expression: {py_error}"
            )
        raise PatternError(
            codes.SCHEMA_PATTERN_UNSUPPORTED,
            "pattern may backtrack catastrophically and google-re2 is not installed",
        )
    try:
        compiled = _re2.compile(pattern, _RE2_OPTIONS)
    except Exception as exc:  # re2.error
        detail = exc.args[0].decode() if exc.args and isinstance(exc.args[0], bytes) else str(exc)
        if py is not None:
            raise PatternError(
                codes.SCHEMA_PATTERN_UNSUPPORTED,
                f"pattern is not supported by the linear-time engine: {detail}",
            ) from None
        raise PatternError(
            codes.SCHEMA_PATTERN_INVALID, f"invalid regular expression: {detail}"
        ) from None
    if full:
        rfull = compiled.fullmatch
        return lambda s: rfull(s) is not None
    rsearch = compiled.search
    return lambda s: rsearch(s) is not None


def check_pattern(pattern: Any, full: bool) -> tuple[str, str] | None:
    """Schema-time check: ``None`` if usable, else ``(code, message)``."""
    if not isinstance(pattern, str):
        return codes.SCHEMA_KEYWORD_INVALID, "a pattern must be a string"
    try:
        compile_pattern(pattern, full)
    except PatternError as exc:
        return exc.code, str(exc)
    return None
