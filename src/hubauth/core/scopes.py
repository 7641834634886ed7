"""Scope rules: parsing, the required/optional split, and plain-word descriptions.

HubSpot (docs/sources.md: WWO, CL-SCOPES): ``scope`` must name every scope the app configures as
required,
``optional_scope`` may name scopes the app configures as optional, and the granted set is the
required scopes plus the optional ones the user accepted. Scopes are lower-case dotted strings,
space-separated on the wire and a JSON array in responses.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from importlib import resources

from hubauth.core.errors import TokenError

_SCOPE = re.compile(r"[a-z0-9][a-z0-9._\-]{0,127}")
MAX_SCOPES = 256
"""More scopes than any real app configures; bigger lists are refused before any work."""


class ScopeError(ValueError):
    """A scope list that breaks the rules; ``reason`` is safe to show to users."""

    def __init__(self, reason: str, error: str = "invalid_scope") -> None:
        super().__init__(reason)
        self.reason = reason
        self.error = error


def parse(raw: str | None) -> tuple[str, ...]:
    """Split a space-separated scope string; duplicates collapse, order is kept."""
    if not raw:
        return ()
    parts = raw.split()
    if len(parts) > MAX_SCOPES:
        raise ScopeError(f"too many scopes (at most {MAX_SCOPES})")
    seen: dict[str, None] = {}
    for part in parts:
        if "," in part:
            spaced = " ".join(raw.replace(",", " ").split())
            raise ScopeError(f'separate scopes with spaces, not commas: "{spaced}"')
        if _SCOPE.fullmatch(part) is None:
            raise ScopeError("scope names are lower-case letters, digits, '.', '_' and '-'")
        seen.setdefault(part, None)
    return tuple(seen)


@cache
def catalogue() -> frozenset[str]:
    """HubSpot's known scope names, kept as data (``core/data/hubspot_scopes.json``, which
    says where they came from: https://developers.hubspot.com/docs/apps/developer-platform/build-apps/authentication/scopes)."""
    raw = resources.files("hubauth.core").joinpath("data/hubspot_scopes.json").read_text()
    return frozenset(json.loads(raw)["scopes"])


def closest_known(scope: str) -> str | None:
    """The catalogued scope a misspelling most likely meant (``crm.contacts.reed`` ->
    ``crm.objects.contacts.read``), or None.

    Names are also compared with ``objects.`` left out, because that segment is the one people
    drop (the pre-2020 names were ``contacts``, ``crm.contacts...``); on a tie that wins.
    """
    best: tuple[float, int, str] | None = None
    for known in catalogue():
        forms = [(known, 0)]
        if known.startswith("crm.objects."):
            forms.append(("crm." + known.removeprefix("crm.objects."), 1))
        for form, preferred in forms:
            score = difflib.SequenceMatcher(None, scope, form).ratio()
            if score >= 0.75 and (best is None or (score, preferred) > best[:2]):
                best = (score, preferred, known)
    return best[2] if best else None


def check_app_scopes(
    required: tuple[str, ...], optional: tuple[str, ...], *, allow_custom: bool = False
) -> None:
    """The scopes an app is registered with: each known to HubSpot (unless ``allow_custom``),
    and none both required and optional (HubSpot's app settings offer each scope once, as
    one type: https://developers.hubspot.com/docs/apps/developer-platform/build-apps/authentication/scopes)."""
    both = [s for s in required if s in optional]
    if both:
        raise ScopeError("a scope cannot be both required and optional: " + " ".join(both))
    if allow_custom:
        return
    for scope in (*required, *optional):
        if scope not in catalogue():
            guess = closest_known(scope)
            hint = f"did you mean {guess}? " if guess else ""
            raise ScopeError(
                f"{scope} is not a HubSpot scope; {hint}(--custom-scopes allows names that are not)"
            )


def validate_list(scopes: Iterable[str]) -> tuple[str, ...]:
    return parse(" ".join(scopes))


@dataclass(frozen=True, slots=True)
class ScopeRequest:
    required: tuple[str, ...]
    optional: tuple[str, ...]


def check_request(
    requested: tuple[str, ...],
    optional_requested: tuple[str, ...],
    app_required: tuple[str, ...],
    app_optional: tuple[str, ...],
) -> ScopeRequest:
    """Apply HubSpot's install-time rules (docs/sources.md: WWO, QS, CL-SCOPES).

    * every scope the app requires must be in ``scope``;
    * ``scope`` may only hold scopes the app configures (required or optional);
    * ``optional_scope`` may only hold scopes the app configures as optional.
    """
    missing = [s for s in app_required if s not in requested]
    if missing:
        raise ScopeError("scope is missing scopes the app requires: " + " ".join(missing))
    known = set(app_required) | set(app_optional)
    unknown = [s for s in requested if s not in known]
    if unknown:
        raise ScopeError("scope names scopes the app does not configure: " + " ".join(unknown))
    optional_set = set(app_optional)
    bad_optional = [s for s in optional_requested if s not in optional_set]
    if bad_optional:
        raise ScopeError(
            "optional_scope names scopes the app does not configure as optional: "
            + " ".join(bad_optional)
        )
    extra_required = tuple(s for s in requested if s not in app_required)
    return ScopeRequest(
        required=tuple(app_required) + extra_required,
        optional=tuple(s for s in optional_requested if s not in requested),
    )


def grant(request: ScopeRequest, accepted_optional: Iterable[str]) -> tuple[str, ...]:
    """Required scopes plus the optional ones the user ticked (and only those offered)."""
    accepted = set(accepted_optional)
    return request.required + tuple(s for s in request.optional if s in accepted)


def narrow_for_client_credentials(
    requested: tuple[str, ...], app_scopes: tuple[str, ...]
) -> tuple[str, ...]:
    """client_credentials tokens carry the requested scopes, all of which the app must own."""
    if not requested:
        return app_scopes
    lacking = [s for s in requested if s not in app_scopes]
    if lacking:
        raise TokenError(
            "invalid_scope", "BAD_SCOPES", "scope names scopes the app lacks: " + " ".join(lacking)
        )
    return requested


# Plain words for the consent screen. Unknown scopes fall back to a generic sentence.
DESCRIPTIONS: dict[str, str] = {
    "oauth": "Know who installed the app and in which account (basic OAuth access)",
    "content": "View and edit website pages, blog posts and other content",
    "automation": "View and edit workflows",
    "timeline": "Add events to record timelines",
    "tickets": "View and edit tickets",
    "forms": "View and edit forms and their submissions",
    "files": "View and upload files",
    "e-commerce": "View and edit products and line items",
    "business-intelligence": "View analytics and reports",
    "conversations.read": "Read inbox conversations",
    "settings.users.read": "View users and teams in the account",
    "crm.import": "Import records into the CRM",
    "crm.export": "Export records from the CRM",
    "crm.lists.read": "View lists",
    "crm.lists.write": "Create and edit lists",
    "developer.webhooks_journal.read": "Read the app's webhook journal",
}
_OBJECT_WORDS = {"read": "View", "write": "Create, edit and delete"}


def describe(scope: str) -> str:
    if scope in DESCRIPTIONS:
        return DESCRIPTIONS[scope]
    parts = scope.split(".")
    if len(parts) == 4 and parts[0] == "crm" and parts[1] in ("objects", "schemas"):
        verb = _OBJECT_WORDS.get(parts[3])
        noun = parts[2].replace("_", " ")
        if verb and parts[1] == "objects":
            return f"{verb} {noun} in the CRM"
        if verb:
            return f"{verb} the {noun} object's properties and schema"
    return f"Use the '{scope}' permission"


def bitmap(scopes: Iterable[str], catalog: tuple[str, ...]) -> bytes:
    """A bitmap of ``scopes`` over ``catalog``, like HubSpot's signed-token ``scopes`` field."""
    index = {s: i for i, s in enumerate(catalog)}
    bits = bytearray((len(catalog) + 7) // 8 or 1)
    for s in scopes:
        i = index.get(s)
        if i is not None:
            bits[i // 8] |= 1 << (i % 8)
    return bytes(bits)
