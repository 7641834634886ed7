"""An install's tokens as a client holds them, and when they are due for a refresh.

HubSpot's token response says ``expires_in`` (seconds) and nothing about when it was issued
(``expires_in`` has no epoch, docs/sources.md: HS-40), so the absolute expiry is computed at receipt
from the client's clock and kept with the tokens.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


class MalformedTokenResponse(ValueError):
    """A 200 whose body is not a HubSpot token response."""


@dataclass(frozen=True, slots=True)
class TokenSet:
    """Access token, refresh token and the access token's absolute expiry (epoch ms).

    The token values are left out of ``repr`` so a logged TokenSet leaks nothing.
    """

    access_token: str = field(repr=False)
    refresh_token: str = field(repr=False)
    issued_at_ms: int
    expires_at_ms: int
    hub_id: int | None = None
    scopes: tuple[str, ...] = ()

    @classmethod
    def from_response(
        cls, body: Mapping[str, Any], received_at_ms: int, previous_refresh_token: str | None = None
    ) -> TokenSet:
        """Build from a token response received at ``received_at_ms``.

        The refresh token in the response always wins (rotation-safe: docs/sources.md MK-NODE says
        to keep whatever comes back); if a response carried none, the previous one is kept.
        """
        access = body.get("access_token")
        expires_in = body.get("expires_in")
        refresh = body.get("refresh_token") or previous_refresh_token
        if not isinstance(access, str) or not access:
            raise MalformedTokenResponse("token response has no access_token")
        if not isinstance(refresh, str) or not refresh:
            raise MalformedTokenResponse("token response has no refresh_token")
        if isinstance(expires_in, bool) or not isinstance(expires_in, int) or expires_in <= 0:
            raise MalformedTokenResponse("token response has no positive integer expires_in")
        hub_id = body.get("hub_id")
        scopes = body.get("scopes")
        return cls(
            access_token=access,
            refresh_token=refresh,
            issued_at_ms=received_at_ms,
            expires_at_ms=received_at_ms + expires_in * 1000,
            hub_id=hub_id if isinstance(hub_id, int) and not isinstance(hub_id, bool) else None,
            scopes=tuple(s for s in scopes if isinstance(s, str))
            if isinstance(scopes, list)
            else (),
        )

    @property
    def lifetime_ms(self) -> int:
        return self.expires_at_ms - self.issued_at_ms

    def remaining_ms(self, now_ms: int) -> int:
        return self.expires_at_ms - now_ms

    def refresh_due(self, now_ms: int, margin_s: float) -> bool:
        """True once less than the margin is left.

        The margin is capped at half the token's lifetime: a fixed margin larger than a
        shortened lifetime would refresh on every call (docs/sources.md: CL-30MIN, integrations that
        hard-coded ``expires_in - 1h`` refreshed continuously after the 6 h → 30 min change).
        """
        margin_ms = min(round(margin_s * 1000), self.lifetime_ms // 2)
        return now_ms >= self.expires_at_ms - margin_ms

    def to_dict(self) -> dict[str, Any]:
        return {
            "access_token": self.access_token,
            "refresh_token": self.refresh_token,
            "issued_at_ms": self.issued_at_ms,
            "expires_at_ms": self.expires_at_ms,
            "hub_id": self.hub_id,
            "scopes": list(self.scopes),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TokenSet:
        return cls(
            access_token=str(data["access_token"]),
            refresh_token=str(data["refresh_token"]),
            issued_at_ms=int(data["issued_at_ms"]),
            expires_at_ms=int(data["expires_at_ms"]),
            hub_id=data.get("hub_id"),
            scopes=tuple(data.get("scopes") or ()),
        )
