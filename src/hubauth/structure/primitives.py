"""Lexical and range checks for the 27 primitive types (core 3.2.1, 3.2.2).

For every type there is a fast predicate (``FAST[name](value) -> bool``) used
by ``is_valid`` and a detailed check (``DETAIL[name](value)``) that returns
``None`` or ``(code, message)``.  All checks are linear in the input length:
regular expressions here have no nested quantifiers, and big-integer strings
are length-capped before ``int()`` sees them.

Python ``bool`` is a subclass of ``int``; JSON ``true`` is not a number, so
every numeric check tests ``type(v) is int`` rather than ``isinstance``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any, Final

from . import codes

Detail = tuple[str, str] | None

# --- integers carried as JSON numbers (core 3.2.1.3, 3.2.2.2-3.2.2.7) -------
INT_RANGES: Final[dict[str, tuple[int, int]]] = {
    "int8": (-(2**7), 2**7 - 1),
    "uint8": (0, 2**8 - 1),
    "int16": (-(2**15), 2**15 - 1),
    "uint16": (0, 2**16 - 1),
    "int32": (-(2**31), 2**31 - 1),
    "integer": (-(2**31), 2**31 - 1),
    "uint32": (0, 2**32 - 1),
    "int64": (-(2**63), 2**63 - 1),
    "uint64": (0, 2**64 - 1),
    "int128": (-(2**127), 2**127 - 1),
    "uint128": (0, 2**128 - 1),
}

# --- floats (core 3.2.1.2, 3.2.2.12-3.2.2.14) ------------------------------
# float8: the draft states "approximately +-3.4x10^3"; that figure is used as
# the bound (docs/structure.md, decision D5).
FLOAT_LIMITS: Final[dict[str, float]] = {
    "number": math.inf,
    "float8": 3.4e3,
    "float": 3.4028234663852886e38,
    "double": 1.7976931348623157e308,
}

# RFC 8259 section 6 productions used by core 3.2.2 for string-encoded numbers.
_SIGNED_INT = re.compile(r"-?(?:0|[1-9][0-9]*)\Z")
_UNSIGNED_INT = re.compile(r"(?:0|[1-9][0-9]*)\Z")
_DECIMAL = re.compile(r"(-?)(0|[1-9][0-9]*)\.([0-9]+)\Z")
_MAX_BIGINT_CHARS = 41  # "-" + 39 digits covers -2**127; more cannot be in range

# RFC 3339 section 5.6.  Field ranges are encoded in the expressions so that
# the common case needs no int() conversions; only days 29-31 are looked up.
_Y = r"([0-9]{4})"
_MO = r"(0[1-9]|1[0-2])"
_D = r"(0[1-9]|[12][0-9]|3[01])"
_HMS = r"(?:[01][0-9]|2[0-3]):[0-5][0-9]:(?:[0-5][0-9]|60)(?:\.[0-9]+)?"
_OFFSET = r"(?:[Zz]|[+-](?:[01][0-9]|2[0-3]):[0-5][0-9])"
_DATE = re.compile(_Y + "-" + _MO + "-" + _D + r"\Z")
_DATETIME = re.compile(_Y + "-" + _MO + "-" + _D + "[Tt]" + _HMS + _OFFSET + r"\Z")
_FULL_TIME = re.compile(_HMS + _OFFSET + r"\Z")
_PARTIAL_OR_FULL_TIME = re.compile(_HMS + "(?:" + _OFFSET + r")?\Z")
# ISO 8601 / RFC 3339 appendix A durations; a fraction only on seconds
# (decision D7).  "(?!\Z)" demands at least one component, "T(?=[0-9])" a
# component after T.
_DURATION = re.compile(
    r"P(?!\Z)(?:[0-9]+Y)?(?:[0-9]+M)?(?:[0-9]+D)?"
    r"(?:T(?=[0-9])(?:[0-9]+H)?(?:[0-9]+M)?(?:[0-9]+(?:\.[0-9]+)?S)?)?\Z"
    r"|P[0-9]+W\Z"
)
_UUID = re.compile(r"[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}\Z")
# RFC 3986 URI-reference: allowed characters, well-formed percent escapes,
# and a first segment with ":" only when it is a valid scheme.
_URI_CHARS = re.compile(r"(?:[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=]|%[0-9A-Fa-f]{2})*\Z")
_URI_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:")
_JSON_POINTER = re.compile(r"(?:/(?:[^~/]|~[01])*)*\Z")

_BINARY: Final[dict[str, re.Pattern[str]]] = {
    # RFC 4648 section 4 with padding.
    "base64": re.compile(r"(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?\Z"),
    # Section 5; padding is commonly omitted, so it is optional here.
    "base64url": re.compile(
        r"(?:[A-Za-z0-9_\-]{4})*(?:[A-Za-z0-9_\-]{2}(?:==)?|[A-Za-z0-9_\-]{3}=?)?\Z"
    ),
    "base16": re.compile(r"(?:[0-9A-Fa-f]{2})*\Z"),
    "base32": re.compile(
        r"(?:[A-Z2-7]{8})*(?:[A-Z2-7]{2}={6}|[A-Z2-7]{4}={4}|[A-Z2-7]{5}={3}|[A-Z2-7]{7}=)?\Z"
    ),
    "base32hex": re.compile(
        r"(?:[0-9A-V]{8})*(?:[0-9A-V]{2}={6}|[0-9A-V]{4}={4}|[0-9A-V]{5}={3}|[0-9A-V]{7}=)?\Z"
    ),
}

_DAYS = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def _valid_ymd(y: int, m: int, d: int) -> bool:
    if not 1 <= m <= 12 or d < 1:
        return False
    if m == 2 and (y % 4 == 0 and (y % 100 != 0 or y % 400 == 0)):
        return d <= 29
    return d <= _DAYS[m - 1]


def _day_ok(m: re.Match[str]) -> bool:
    # Two-digit strings compare like their numbers; every month has 28 days.
    return m[3] <= "28" or _valid_ymd(int(m[1]), int(m[2]), int(m[3]))


def is_date(v: str) -> bool:
    m = _DATE.match(v)
    return m is not None and _day_ok(m)


def is_datetime(v: str) -> bool:
    m = _DATETIME.match(v)
    return m is not None and _day_ok(m)


def is_full_time(v: str) -> bool:
    return _FULL_TIME.match(v) is not None


def is_time_optional_offset(v: str) -> bool:
    return _PARTIAL_OR_FULL_TIME.match(v) is not None


def is_duration(v: str) -> bool:
    return _DURATION.match(v) is not None


def is_uuid(v: str) -> bool:
    return _UUID.match(v) is not None


def is_uri_reference(v: str) -> bool:
    if _URI_CHARS.match(v) is None or v.count("#") > 1:
        return False
    first = v.split("/", 1)[0]
    # A colon in the first segment is only allowed as the scheme delimiter
    # (RFC 3986 4.2: such a relative path must be written "./a:b").
    return ":" not in first or _URI_SCHEME.match(first) is not None


def is_json_pointer(v: str) -> bool:
    return _JSON_POINTER.match(v) is not None


def is_binary(v: str, encoding: str = "base64") -> bool:
    return _BINARY[encoding].match(v) is not None


def decimal_predicate(precision: int, scale: int) -> Callable[[Any], bool]:
    """Fast check for a decimal string within precision/scale (decision D2)."""
    match = _DECIMAL.match

    def pred(v: Any) -> bool:
        if type(v) is not str:
            return False
        m = match(v)
        if m is None:
            return False
        frac = len(m[3])
        return frac <= scale and len(m[2].lstrip("0")) + frac <= precision

    return pred


def parse_decimal(v: str) -> tuple[int, int] | None:
    """Return (integer digits, fraction digits) of an RFC 8259 ``int frac``."""
    m = _DECIMAL.match(v)
    if m is None:
        return None
    int_digits = len(m[2].lstrip("0"))
    return int_digits, len(m[3])


def parse_big_int(v: str, name: str) -> int | None:
    """Parse an int64/uint64/int128/uint128 string; ``None`` when malformed."""
    if len(v) > _MAX_BIGINT_CHARS:
        return None
    pattern = _UNSIGNED_INT if name[0] == "u" else _SIGNED_INT
    return int(v) if pattern.match(v) else None


def numeric_value(v: Any, name: str) -> int | float | Decimal:
    """The numeric value of a valid instance of numeric type ``name``."""
    if name in ("int64", "uint64", "int128", "uint128"):
        return int(v)
    if name == "decimal":
        return Decimal(v)
    return v  # type: ignore[no-any-return]


# --- checker factories -------------------------------------------------------


def _mismatch(expected: str, v: Any) -> tuple[str, str]:
    return codes.INSTANCE_TYPE_MISMATCH, f"expected {expected}, got {json_kind(v)}"


def json_kind(v: Any) -> str:
    """Name of the JSON kind of a Python value, for messages."""
    if v is None:
        return "null"
    if v is True or v is False:
        return "boolean"
    if type(v) is int or type(v) is float:
        return "number"
    if isinstance(v, str):
        return "string"
    if isinstance(v, list):
        return "array"
    if isinstance(v, dict):
        return "object"
    return type(v).__name__


def _json_int(name: str) -> tuple[Callable[[Any], bool], Callable[[Any], Detail]]:
    lo, hi = INT_RANGES[name]

    def fast(v: Any) -> bool:
        return type(v) is int and lo <= v <= hi

    def detail(v: Any) -> Detail:
        if type(v) is not int:
            if type(v) is float:
                return codes.INSTANCE_TYPE_MISMATCH, f"{name} must be an integer without a fraction"
            return _mismatch(f"{name} (number)", v)
        if not lo <= v <= hi:
            return codes.INSTANCE_OUT_OF_RANGE, f"{v} is outside the {name} range {lo}..{hi}"
        return None

    return fast, detail


def _string_int(name: str) -> tuple[Callable[[Any], bool], Callable[[Any], Detail]]:
    lo, hi = INT_RANGES[name]

    def fast(v: Any) -> bool:
        if type(v) is not str:
            return False
        n = parse_big_int(v, name)
        return n is not None and lo <= n <= hi

    def detail(v: Any) -> Detail:
        if not isinstance(v, str):
            return _mismatch(f"{name} (string)", v)
        n = parse_big_int(v, name)
        if n is None:
            return codes.INSTANCE_FORMAT_INVALID, f"{v[:40]!r} is not an RFC 8259 integer string"
        if not lo <= n <= hi:
            return codes.INSTANCE_OUT_OF_RANGE, f"{v} is outside the {name} range"
        return None

    return fast, detail


def _float(name: str) -> tuple[Callable[[Any], bool], Callable[[Any], Detail]]:
    limit = FLOAT_LIMITS[name]

    def fast(v: Any) -> bool:
        t = type(v)
        within: bool = False
        if t is float:
            within = -limit <= v <= limit and v == v  # also rejects NaN and infinities
        elif t is int:
            within = -limit <= v <= limit
        return within

    def detail(v: Any) -> Detail:
        t = type(v)
        if t is not int and t is not float:
            return _mismatch(f"{name} (number)", v)
        if t is float and not math.isfinite(v):
            return codes.INSTANCE_FORMAT_INVALID, f"{v} is not a JSON number"
        if not -limit <= v <= limit:
            return codes.INSTANCE_OUT_OF_RANGE, f"{v} is outside the {name} range"
        return None

    return fast, detail


def _string_form(
    name: str, predicate: Callable[[str], bool], what: str
) -> tuple[Callable[[Any], bool], Callable[[Any], Detail]]:
    def fast(v: Any) -> bool:
        return type(v) is str and predicate(v)

    def detail(v: Any) -> Detail:
        if not isinstance(v, str):
            return _mismatch(f"{name} (string)", v)
        if not predicate(v):
            return codes.INSTANCE_FORMAT_INVALID, f"{v[:60]!r} is not {what}"
        return None

    return fast, detail


def _decimal_check(v: str) -> bool:
    return _DECIMAL.match(v) is not None


def build(
    lenient: bool = False,
) -> tuple[dict[str, Callable[[Any], bool]], dict[str, Callable[[Any], Detail]]]:
    """Build the FAST and DETAIL tables; ``lenient`` relaxes ``time`` (D6)."""
    pairs: dict[str, tuple[Callable[[Any], bool], Callable[[Any], Detail]]] = {}
    for name in ("integer", "int8", "uint8", "int16", "uint16", "int32", "uint32"):
        pairs[name] = _json_int(name)
    for name in ("int64", "uint64", "int128", "uint128"):
        pairs[name] = _string_int(name)
    for name in FLOAT_LIMITS:
        pairs[name] = _float(name)
    pairs["string"] = (
        lambda v: type(v) is str,
        lambda v: None if isinstance(v, str) else _mismatch("string", v),
    )
    pairs["boolean"] = (
        lambda v: v is True or v is False,
        lambda v: None if v is True or v is False else _mismatch("boolean", v),
    )
    pairs["null"] = (lambda v: v is None, lambda v: None if v is None else _mismatch("null", v))
    pairs["decimal"] = _string_form("decimal", _decimal_check, "an RFC 8259 decimal (int frac)")
    pairs["date"] = _string_form("date", is_date, "an RFC 3339 full-date")
    pairs["datetime"] = _string_form("datetime", is_datetime, "an RFC 3339 date-time")
    pairs["time"] = _string_form(
        "time",
        is_time_optional_offset if lenient else is_full_time,
        "an RFC 3339 partial-time" if lenient else "an RFC 3339 full-time (with offset)",
    )
    pairs["duration"] = _string_form("duration", is_duration, "an ISO 8601 / RFC 3339 duration")
    pairs["uuid"] = _string_form("uuid", is_uuid, "an RFC 9562 UUID")
    pairs["uri"] = _string_form("uri", is_uri_reference, "an RFC 3986 URI reference")
    pairs["jsonpointer"] = _string_form("jsonpointer", is_json_pointer, "an RFC 6901 JSON Pointer")
    pairs["binary"] = _string_form("binary", is_binary, "base64 data")
    fast = {k: p[0] for k, p in pairs.items()}
    detail = {k: p[1] for k, p in pairs.items()}
    return fast, detail


FAST, DETAIL = build()
FAST_LENIENT, DETAIL_LENIENT = build(lenient=True)


def binary_checkers(encoding: str) -> tuple[Callable[[Any], bool], Callable[[Any], Detail]]:
    """Checkers for ``binary`` with an explicit ``contentEncoding`` (core 3.8.4)."""
    return _string_form("binary", lambda v: is_binary(v, encoding), f"{encoding} data")
