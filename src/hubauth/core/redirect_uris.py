"""Matching a presented ``redirect_uri`` against an app's registered ones.

RFC 9700 §2.1 and §4.1.3: authorization servers MUST compare redirect URIs by exact string
matching, the only exception being the port of a loopback redirect URI of a native app.
RFC 8252 §7.3: a native app listening on the loopback interface gets an ephemeral port from the
OS, so the server MUST allow any port for ``http://127.0.0.1`` and ``http://[::1]`` redirect
URIs, everything else (scheme, host, path, query) still compared exactly.

What is deliberately *not* done here, because each has broken real servers:

* no normalisation (case folding, percent-decoding, dot-segment removal, IDN/punycode mapping,
  default-port elision): two strings that differ are different URIs, so ``/cb/``, ``/CB``,
  ``/%63b``, ``/x/../cb`` or ``https://xn--...`` never match ``/cb`` on ``app.example``;
* no prefix or pattern matching (``/cb`` does not allow ``/cb/anything``);
* no generic URL parser on the presented value: parsers disagree about ``\\``, ``@`` and
  ``%2F`` (the classic ``https://good@evil/`` and ``https://evil\\@good/`` bypasses), so the
  loopback exception uses one strict pattern applied to both strings;
* ``localhost`` gets no port exception: RFC 8252 §8.3 says loopback redirects SHOULD use the
  IP literal, because a name can be made to resolve elsewhere.
"""

from __future__ import annotations

import ipaddress
import re
import unicodedata
from collections.abc import Iterable, Sequence
from enum import StrEnum
from urllib.parse import urlsplit

# http://127.0.0.1[:port][/path][?query] or http://[::1][:port][/path][?query]; no userinfo,
# no fragment (RFC 6749 §3.1.2), port without leading zeros, 1..65535 checked below.
_LOOPBACK = re.compile(
    r"http://(?P<host>127\.0\.0\.1|\[::1\])"
    r"(?::(?P<port>[1-9][0-9]{0,4}))?"
    r"(?P<rest>(?:/[^?#\s]*)?(?:\?[^#\s]*)?)"
)


def _loopback_parts(uri: str) -> tuple[str, str] | None:
    """``(host, path+query)`` of a loopback URI, or None when ``uri`` is not one."""
    match = _LOOPBACK.fullmatch(uri)
    if match is None:
        return None
    port = match.group("port")
    if port is not None and int(port) > 65535:
        return None
    return match.group("host"), match.group("rest") or ""


def is_loopback(uri: str) -> bool:
    return _loopback_parts(uri) is not None


def matches(presented: str, registered: str) -> bool:
    """Does ``presented`` match one registered redirect URI (RFC 9700 §4.1.3)?"""
    if presented == registered:
        return True
    loopback_registered = _loopback_parts(registered)
    if loopback_registered is None:
        return False
    # RFC 8252 §7.3: any port, same IP literal, byte-identical path and query.
    return _loopback_parts(presented) == loopback_registered


def allowed(presented: str, registered: Iterable[str]) -> bool:
    """True when ``presented`` matches any of the app's registered redirect URIs."""
    return any(matches(presented, r) for r in registered)


# --- registration policy -------------------------------------------------------------------


class RegistrationPolicy(StrEnum):
    """Which redirect URIs an app may register (checked when an app is created or changed).

    * ``hubspot`` (default): HubSpot's rules
      (https://developers.hubspot.com/docs/guides/apps/authentication/working-with-oauth):
      https, or plain http only on ``localhost``; "IP addresses are not supported".
    * ``rfc8252``: also loopback IP literals over http on any port, for native apps
      (RFC 8252 §7.3, §8.3).

    Both refuse what RFC 6749 §3.1.2 and RFC 3986 rule out for a redirection endpoint: a
    relative URI or one without a host, a fragment, userinfo, whitespace and control characters.
    """

    HUBSPOT = "hubspot"
    RFC8252 = "rfc8252"


class RedirectUriRefused(ValueError):
    """One or more redirect URIs break the registration policy; ``problems`` has one entry per
    problem, each naming the URI it concerns."""

    def __init__(self, problems: Sequence[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = tuple(problems)


_LOOPBACK_HOSTS = frozenset({"127.0.0.1", "::1"})


def _ip_literal(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def registration_problems(uri: str, policy: RegistrationPolicy) -> list[str]:
    """Every reason ``uri`` may not be registered under ``policy`` (empty when it may)."""
    if any(ch.isspace() or unicodedata.category(ch) == "Cc" for ch in uri):
        # Nothing else is checked: a parser's view of such a string is not worth reporting.
        return ["contains whitespace or a control character"]
    problems: list[str] = []
    if "\\" in uri:
        problems.append("contains a backslash (URL parsers disagree about it)")
    if "#" in uri:
        problems.append("has a fragment (RFC 6749 §3.1.2 forbids one)")
    parts = urlsplit(uri)
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not uri.lower().startswith(scheme + "://"):
        problems.append("is not an absolute http(s) URI")
        return problems
    if "@" in parts.netloc:
        problems.append("has userinfo (user@ or user:password@ before the host)")
    host = parts.hostname or ""
    if not host:
        problems.append("has no host")
        return problems
    try:
        parts.port  # noqa: B018 - raises on a malformed or out-of-range port
    except ValueError:
        problems.append("has an invalid port")
    ip = _ip_literal(host)
    loopback_ip = ip is not None and host in _LOOPBACK_HOSTS
    if ip is not None and not (policy is RegistrationPolicy.RFC8252 and loopback_ip):
        if loopback_ip:
            problems.append(
                "is an IP address: HubSpot does not support them (use http://localhost, or set "
                "HUBAUTH_REDIRECT_URI_POLICY=rfc8252 for native apps on loopback)"
            )
        else:
            problems.append("is an IP address: HubSpot does not support them")
    elif scheme == "http" and host != "localhost" and not loopback_ip:
        problems.append("uses plain http: only https, or http on localhost, is allowed")
    elif scheme == "https" and loopback_ip:
        problems.append("uses https on a loopback IP address: native apps use http there")
    return problems


def check_registration(uris: Iterable[str], policy: RegistrationPolicy) -> None:
    """Raise :class:`RedirectUriRefused` listing every problem of every URI in ``uris``."""
    problems = [
        f"{uri!r} {problem}" for uri in uris for problem in registration_problems(uri, policy)
    ]
    if problems:
        raise RedirectUriRefused(problems)
