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

import re
from collections.abc import Iterable

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
