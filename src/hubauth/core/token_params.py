"""The token parameters of introspection and revocation requests (RFC 7662 §2.1, RFC 7009 §2.1).

Both endpoints take ``token`` and an optional ``token_type_hint``. HubSpot's v3 guide writes the
token under the hint's name instead (``access_token=…`` or ``refresh_token=…``) while its spec
and SDKs use ``token=`` (docs/sources.md: SPEC, G-V3, USERTOUR; docs/decisions.md), so all three
field names are read.

The hint only orders the lookups: RFC 7662 §2.1 and RFC 7009 §2.1 both say a server that does
not find the token under the hinted type must search its other types, and may ignore a hint it
does not understand.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from hubauth.core import errors


class TokenKind(StrEnum):
    ACCESS = "access_token"
    REFRESH = "refresh_token"


#: Where the token may arrive, most specific name first.
TOKEN_FIELDS: tuple[str, ...] = ("token", TokenKind.ACCESS.value, TokenKind.REFRESH.value)
_KNOWN_HINTS = frozenset(kind.value for kind in TokenKind)


@dataclass(frozen=True, slots=True)
class TokenQuery:
    token: str
    hint: TokenKind | None

    def lookup_order(self) -> tuple[TokenKind, TokenKind]:
        """Hinted kind first; access tokens first without a hint (they are asked about most)."""
        if self.hint is TokenKind.REFRESH:
            return (TokenKind.REFRESH, TokenKind.ACCESS)
        return (TokenKind.ACCESS, TokenKind.REFRESH)


def parse(params: Mapping[str, str]) -> TokenQuery:
    """Read the token and its hint; exactly one non-empty token field is required.

    A token sent under two names is refused rather than guessed at (which one would we check?).
    An ``access_token=``/``refresh_token=`` field is itself a hint when ``token_type_hint`` is
    absent or not one we know (``client_credentials``, say: such tokens are access tokens).
    """
    present = [name for name in TOKEN_FIELDS if params.get(name)]
    if not present:
        raise errors.missing_parameter("token")
    if len(present) > 1:
        raise errors.invalid_request(
            "send the token in one field: token, access_token or refresh_token"
        )
    field = present[0]
    raw_hint = params.get("token_type_hint") or ""
    hint: TokenKind | None
    if raw_hint in _KNOWN_HINTS:
        hint = TokenKind(raw_hint)
    elif field != "token":
        hint = TokenKind(field)
    else:
        hint = None
    return TokenQuery(token=params[field], hint=hint)
