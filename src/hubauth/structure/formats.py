"""Checks for the ``format`` keyword (validation 3.2.3).

Only the eleven format names the validation draft lists are known; any other
name draws a schema warning and is not checked (decision D10).  Every check
is linear in the input length.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable

_LABEL = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?\Z")
_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~\-]+"
_DOT_ATOM = re.compile(_ATEXT + r"(?:\." + _ATEXT + r")*\Z")
_QUOTED = re.compile(r'"(?:[^"\\\r\n]|\\.)*"\Z')
_IDN_LOCAL = re.compile(r"[^\s@\"(),:;<>\[\\\]]+\Z")
_IRI_CHARS = re.compile(r"(?:[^\x00-\x20\x7f\"<>\\^`{|}%]|%[0-9A-Fa-f]{2})*\Z")
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:")
_REL_JSON_POINTER = re.compile(r"(?:0|[1-9][0-9]*)(?:#|(?:/(?:[^~/]|~[01])*)*)\Z")
_TEMPLATE_EXPR = re.compile(
    r"[+#./;?&=,!@|]?"
    r"(?:[A-Za-z0-9_]|%[0-9A-Fa-f]{2})(?:\.?(?:[A-Za-z0-9_]|%[0-9A-Fa-f]{2}))*"
    r"(?::[1-9][0-9]{0,3}|\*)?"
    r"(?:,(?:[A-Za-z0-9_]|%[0-9A-Fa-f]{2})(?:\.?(?:[A-Za-z0-9_]|%[0-9A-Fa-f]{2}))*"
    r"(?::[1-9][0-9]{0,3}|\*)?)*\Z"
)


def is_ipv4(v: str) -> bool:
    try:
        ipaddress.IPv4Address(v)
    except ValueError:
        return False
    return True


def is_ipv6(v: str) -> bool:
    if "%" in v:  # zone identifiers are not part of RFC 4291 text form
        return False
    try:
        ipaddress.IPv6Address(v)
    except ValueError:
        return False
    return True


def is_hostname(v: str) -> bool:
    """RFC 1123 host name: dot-separated labels, 253 characters at most."""
    name = v[:-1] if v.endswith(".") else v
    if not name or len(name) > 253:
        return False
    return all(_LABEL.match(label) for label in name.split("."))


def is_idn_hostname(v: str) -> bool:
    try:
        ascii_form = v.encode("idna").decode("ascii")
    except (UnicodeError, ValueError):
        return False
    return is_hostname(ascii_form)


def _domain_ok(domain: str, idn: bool) -> bool:
    if domain.startswith("[") and domain.endswith("]"):
        literal = domain[1:-1]
        if literal.lower().startswith("ipv6:"):
            return is_ipv6(literal[5:])
        return is_ipv4(literal)
    return is_idn_hostname(domain) if idn else is_hostname(domain)


def is_email(v: str) -> bool:
    """RFC 5321 mailbox: dot-atom or quoted local part, a domain or address literal."""
    local, sep, domain = v.rpartition("@")
    if not sep or not local or len(local) > 64:
        return False
    if not (_DOT_ATOM.match(local) or _QUOTED.match(local)):
        return False
    return _domain_ok(domain, idn=False)


def is_idn_email(v: str) -> bool:
    local, sep, domain = v.rpartition("@")
    if not sep or not local:
        return False
    if not (_IDN_LOCAL.match(local) or _QUOTED.match(local)) or ".." in local:
        return False
    return _domain_ok(domain, idn=True)


def is_iri_reference(v: str) -> bool:
    if _IRI_CHARS.match(v) is None or v.count("#") > 1:
        return False
    first = v.split("/", 1)[0]
    return ":" not in first or _SCHEME.match(first) is not None


def is_iri(v: str) -> bool:
    return is_iri_reference(v) and _SCHEME.match(v) is not None


def is_uri_template(v: str) -> bool:
    """RFC 6570 level-4 template syntax: balanced, well-formed expressions."""
    i = 0
    while True:
        start = v.find("{", i)
        close = v.find("}", i)
        if start < 0:
            return close < 0
        if 0 <= close < start:
            return False
        end = v.find("}", start)
        if end < 0 or _TEMPLATE_EXPR.match(v[start + 1 : end]) is None:
            return False
        i = end + 1


def is_relative_json_pointer(v: str) -> bool:
    return _REL_JSON_POINTER.match(v) is not None


def is_regex(v: str) -> bool:
    from .regex import check_pattern

    return check_pattern(v, True) is None


FORMAT_CHECKS: dict[str, Callable[[str], bool]] = {
    "ipv4": is_ipv4,
    "ipv6": is_ipv6,
    "email": is_email,
    "idn-email": is_idn_email,
    "hostname": is_hostname,
    "idn-hostname": is_idn_hostname,
    "iri": is_iri,
    "iri-reference": is_iri_reference,
    "uri-template": is_uri_template,
    "relative-json-pointer": is_relative_json_pointer,
    "regex": is_regex,
}

# The core types that people often write as formats; used only to improve
# the warning message for an unknown format name.
CORE_TYPE_FOR_FORMAT: dict[str, str] = {
    "date-time": "datetime",
    "date": "date",
    "time": "time",
    "uuid": "uuid",
    "uri": "uri",
    "uri-reference": "uri",
    "duration": "duration",
    "json-pointer": "jsonpointer",
}
