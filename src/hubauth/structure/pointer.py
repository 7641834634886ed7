"""JSON Pointer helpers (RFC 6901).

Pointers reported in problems use the plain string form (``/a/b~1c``), the
empty string meaning the whole document.  Schema references (``$ref``,
``$root``, ``$extends``, ``$offers``) use the URI fragment form (``#/...``,
RFC 6901 section 6), which is parsed by :func:`parse_fragment`.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import unquote

# RFC 6901 section 3: "~" must be followed by 0 or 1.
_BAD_TILDE = re.compile(r"~(?![01])")


def escape(token: str) -> str:
    """Escape one reference token (``~`` -> ``~0``, ``/`` -> ``~1``)."""
    if "~" in token or "/" in token:
        return token.replace("~", "~0").replace("/", "~1")
    return token


def join(base: str, token: str | int) -> str:
    return f"{base}/{escape(token) if isinstance(token, str) else token}"


def parse_fragment(ref: str) -> list[str] | None:
    """Split a ``#/a/b`` fragment into unescaped tokens; ``None`` if malformed.

    The fragment is percent-decoded first (RFC 6901 section 6), then each
    token is unescaped.  ``"#"`` yields ``[]`` (the whole document).
    """
    if not isinstance(ref, str) or not ref.startswith("#"):
        return None
    body = unquote(ref[1:], errors="strict") if "%" in ref else ref[1:]
    if body == "":
        return []
    if not body.startswith("/") or _BAD_TILDE.search(body):
        return None
    return [t.replace("~1", "/").replace("~0", "~") for t in body[1:].split("/")]


def resolve(document: Any, tokens: list[str]) -> tuple[bool, Any]:
    """Walk ``tokens`` through ``document``; returns ``(found, value)``."""
    node = document
    for token in tokens:
        if isinstance(node, dict):
            if token not in node:
                return False, None
            node = node[token]
        elif isinstance(node, list):
            if not token.isdigit() or (len(token) > 1 and token[0] == "0"):
                return False, None
            index = int(token)
            if index >= len(node):
                return False, None
            node = node[index]
        else:
            return False, None
    return True, node


def to_pointer(tokens: list[str]) -> str:
    return "".join("/" + escape(t) for t in tokens)
