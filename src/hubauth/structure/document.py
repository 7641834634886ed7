"""Document-level facts shared by the checker and the compiler.

* :class:`Profile` — which add-ins are on, from ``$schema``/``$uses`` (core
  3.3.2, 3.10.4; validation "Enabling the extensions") or forced by the
  caller's ``extended`` flag.
* :func:`resolve_type_ref` — resolve a ``#/definitions/...`` pointer to a type
  declaration (core 3.3.6, 3.4.3).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from . import keywords as kw
from .pointer import parse_fragment, resolve

ABSOLUTE_URI = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:[^\s]*\Z")

# Meta-schema identifiers (core 3.1.3; meta repository).  The import draft's
# examples use json-structure.github.io, and one official sample omits the
# trailing "#", so both spellings are recognised.
_META = re.compile(
    r"https://json-structure\.(?:org|github\.io)/meta/"
    r"(core|extended|validation|relations|semantic-annotations)/v0/?#?\Z"
)


@dataclass(frozen=True, slots=True)
class Profile:
    """Which extension keyword families are enforced for a document."""

    meta: str  # "core", "extended", "validation", ... or "unknown"
    validation: bool
    composition: bool
    uses: frozenset[str]


def meta_name(schema_uri: Any) -> str:
    if not isinstance(schema_uri, str):
        return "unknown"
    m = _META.match(schema_uri)
    return m[1] if m else "unknown"


def profile_for(document: dict[str, Any], extended: bool | None) -> Profile:
    """Decide which add-ins apply (decision D3 in docs/structure.md).

    The validation meta-schema switches everything on; otherwise the add-ins
    named in the root ``$uses`` are on.  ``extended=True`` forces validation
    and composition on (the official SDK's ``extended=True``); ``False``
    forces them off so that the keywords are plain annotations.
    """
    meta = meta_name(document.get("$schema"))
    raw_uses = document.get("$uses")
    uses: set[str] = set()
    if isinstance(raw_uses, list):
        for name in raw_uses:
            if isinstance(name, str):
                uses.add(kw.ADDIN_ALIASES.get(name, name))
    validation = meta == "validation" or kw.VALIDATION_ADDIN in uses
    composition = meta == "validation" or kw.COMPOSITION_ADDIN in uses
    if extended is True:
        validation = composition = True
    elif extended is False:
        validation = composition = False
    return Profile(meta, validation, composition, frozenset(uses))


def definition_tokens(ref: Any) -> list[str] | None:
    """Tokens of a type pointer, or ``None`` if it cannot name a declaration.

    A type may live under ``#/definitions/...`` (core 3.3.5) or be the root
    itself (``#``, core 3.3.1: "a type definition at the root is placed into
    the root namespace").
    """
    tokens = parse_fragment(ref) if isinstance(ref, str) else None
    if tokens is None:
        return None
    if tokens == [] or (len(tokens) >= 2 and tokens[0] == "definitions"):
        return tokens
    return None


def resolve_type_ref(document: dict[str, Any], ref: Any) -> tuple[str, Any]:
    """Resolve a type pointer.

    Returns ``("ok", schema)``, or ``("syntax"|"missing"|"namespace", None)``.
    """
    tokens = definition_tokens(ref)
    if tokens is None:
        return "syntax", None
    found, target = resolve(document, tokens)
    if not found:
        return "missing", None
    if not isinstance(target, dict) or "type" not in target:
        return "namespace", None
    return "ok", target


def is_abstract(schema: Any) -> bool:
    return isinstance(schema, dict) and schema.get("abstract") is True


def extends_list(schema: dict[str, Any]) -> list[Any]:
    raw = schema.get("$extends")
    if raw is None:
        return []
    return list(raw) if isinstance(raw, list) else [raw]
