"""What went wrong with a token request, in the three kinds a caller acts on differently.

* :class:`RetryLater` — transient: network errors, timeouts, 5xx, 429 (``Retry-After`` is
  parsed into :attr:`RefreshError.retry_after`), HubSpot's 477 "Migration in Progress".
* :class:`ReconnectRequired` — the grant is gone for good: ``BAD_REFRESH_TOKEN`` (uninstall,
  revoked token; docs/sources.md: G-V1, NANGO), including the observed ``invalid_request`` +
  ``BAD_REFRESH_TOKEN`` pairing (docs/decisions.md), and ``BAD_HUB`` / ``access_denied`` (deleted
  portal; docs/sources.md: POSTHOG). Retrying never helps; the user must install the app again.
* :class:`Misconfigured` — the app's own credentials are wrong: ``invalid_client``,
  ``BAD_CLIENT_ID``, ``BAD_CLIENT_SECRET``. Also a 400 (docs/sources.md: USERTOUR), and must not be
  mistaken for a revoked grant: the install is fine, the configuration is not.

Anything else (an unexpected 4xx, a 200 that is not a token response) raises the base
:class:`RefreshError`: neither retrying nor reconnecting is known to fix it.

Classification keys on HubSpot's ``status`` before RFC 6749's ``error`` (docs/sources.md: G-V3,
CL-V3: clients must key on ``status`` as well), and never includes a token value in a message.
"""

from __future__ import annotations

import email.utils
from collections.abc import Mapping
from typing import Any

from hubauth.client import _json

#: HubSpot ``status`` values meaning the install's grant is gone (docs/sources.md: G-V3, NANGO,
#: POSTHOG).
RECONNECT_STATUSES = frozenset({"BAD_REFRESH_TOKEN", "BAD_HUB"})
#: ``status`` values meaning the app's credentials are wrong (docs/sources.md: USERTOUR).
MISCONFIGURED_STATUSES = frozenset({"BAD_CLIENT_ID", "BAD_CLIENT_SECRET"})
#: Transient HTTP statuses besides 5xx: 408, 429, and HubSpot's 477 (docs/sources.md: ERR).
RETRYABLE_HTTP = frozenset({408, 429, 477})


class RefreshError(Exception):
    """A token request failed. Attributes come from the response when there was one."""

    def __init__(
        self,
        message: str,
        *,
        http_status: int | None = None,
        error: str | None = None,
        hubspot_status: str | None = None,
        correlation_id: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.http_status = http_status
        self.error = error
        self.hubspot_status = hubspot_status
        self.correlation_id = correlation_id
        self.retry_after = retry_after

    def describe(self) -> str:
        """One line for logs and for the shared store (no token values, by construction)."""
        code = (
            self.hubspot_status or self.error or (self.http_status and f"HTTP {self.http_status}")
        )
        return f"{code}: {self.message}" if code else self.message


class RetryLater(RefreshError):
    """Transient; try again after :attr:`retry_after` seconds when it is set."""


class ReconnectRequired(RefreshError):
    """The install's grant is gone (uninstalled, revoked, portal deleted): ask the user to
    connect again; retrying the refresh never helps."""


class Misconfigured(RefreshError):
    """The app's client_id/client_secret are rejected: fix the configuration."""


class StoreUnavailable(RetryLater):
    """The shared token store cannot be reached (transient)."""


def classify_response(
    http_status: int, headers: Mapping[str, str], content: bytes, now_ms: int
) -> RefreshError:
    """The error for a non-200 answer of a token endpoint."""
    body = _json_object(content)
    status = _str(body.get("status"))
    hubspot_status = status if status and status != "error" else None
    error = _str(body.get("error"))
    message = _str(body.get("message")) or _str(body.get("error_description"))
    fields: dict[str, Any] = {
        "http_status": http_status,
        "error": error,
        "hubspot_status": hubspot_status,
        "correlation_id": _str(body.get("correlationId")),
    }
    if http_status >= 500 or http_status in RETRYABLE_HTTP:
        retry_after = parse_retry_after(headers.get("retry-after"), now_ms)
        return RetryLater(
            message or f"token endpoint answered HTTP {http_status}",
            retry_after=retry_after,
            **fields,
        )
    if hubspot_status in RECONNECT_STATUSES or error == "access_denied":
        return ReconnectRequired(message or "the install's grant is gone", **fields)
    if hubspot_status in MISCONFIGURED_STATUSES or error == "invalid_client":
        return Misconfigured(message or "client credentials rejected", **fields)
    if error == "invalid_grant" and hubspot_status is None:
        # A bare RFC 6749 §5.2 invalid_grant on a refresh: the refresh token is dead.
        return ReconnectRequired(message or "refresh token is invalid", **fields)
    return RefreshError(message or f"token endpoint answered HTTP {http_status}", **fields)


def parse_retry_after(value: str | None, now_ms: int) -> float | None:
    """RFC 9110 §10.2.3: delta-seconds or an HTTP-date; None when absent or unreadable."""
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        return float(int(value))
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        return None
    return max(0.0, when.timestamp() - now_ms / 1000)


def _json_object(content: bytes) -> dict[str, Any]:
    try:
        data = _json.loads(content)
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None
