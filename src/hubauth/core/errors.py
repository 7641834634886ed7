"""The domain's error taxonomy.

Two families, matching the two error shapes HubSpot uses (docs/sources.md: G-V3, ERR):

* :class:`TokenError` — token-endpoint failures, rendered as the RFC 6749 §5.2 + HubSpot hybrid
  body ``{error, error_description, status, message}``, HTTP 400 unless said otherwise.
* :class:`ApiError` — everything else, rendered as HubSpot's generic error object
  ``{status: "error", message, correlationId, category, ...}``.

Errors carry no token or secret values: messages are fixed strings.
"""

from __future__ import annotations


class HubAuthError(Exception):
    """Base of every error hubauth renders for a client."""

    http_status: int = 400


class TokenError(HubAuthError):
    """RFC 6749 §5.2 error with HubSpot's legacy ``status``/``message`` pair."""

    __slots__ = ("error", "http_status", "message", "status")

    def __init__(self, error: str, status: str, message: str, http_status: int = 400) -> None:
        super().__init__(message)
        self.error = error
        self.status = status
        self.message = message
        self.http_status = http_status

    def __repr__(self) -> str:
        return f"TokenError({self.error!r}, {self.status!r})"


class ApiError(HubAuthError):
    """HubSpot's generic error object (docs/sources.md: SPEC, ERR)."""

    __slots__ = ("category", "context", "http_status", "message", "sub_category")

    def __init__(
        self,
        category: str,
        message: str,
        http_status: int,
        sub_category: str | None = None,
        context: dict[str, list[str]] | None = None,
    ) -> None:
        super().__init__(message)
        self.category = category
        self.message = message
        self.http_status = http_status
        self.sub_category = sub_category
        self.context = context


# --- token-endpoint errors (docs/sources.md: G-V3, CL-V3) -----------------------------------------

REFRESH_TOKEN_MESSAGE = "refresh token is invalid, expired or revoked"


def bad_refresh_token(message: str = REFRESH_TOKEN_MESSAGE) -> TokenError:
    return TokenError("invalid_grant", "BAD_REFRESH_TOKEN", message)


def bad_auth_code(
    message: str = "authorization code is invalid, expired or already used",
) -> TokenError:
    return TokenError("invalid_grant", "BAD_AUTH_CODE", message)


def expired_auth_code() -> TokenError:
    return TokenError("invalid_grant", "EXPIRED_AUTH_CODE", "authorization code has expired")


def mismatched_redirect_uri() -> TokenError:
    return TokenError(
        "invalid_grant",
        "MISMATCH_REDIRECT_URI_AUTH_CODE",
        "redirect_uri does not match the one used for the authorization request",
    )


def bad_client_id() -> TokenError:
    return TokenError("invalid_client", "BAD_CLIENT_ID", "missing or unknown client_id")


def bad_client_secret() -> TokenError:
    return TokenError("invalid_client", "BAD_CLIENT_SECRET", "missing or invalid client_secret")


def bad_code_verifier() -> TokenError:
    return TokenError(
        "invalid_grant", "BAD_CODE_VERIFIER", "code_verifier does not match the code_challenge"
    )


def bad_hub() -> TokenError:
    return TokenError("access_denied", "BAD_HUB", "missing or unknown hub id")


def bad_scopes(message: str) -> TokenError:
    return TokenError("invalid_scope", "BAD_SCOPES", message)


def unsupported_grant_type(grant_type: str | None) -> TokenError:
    if not grant_type:
        return TokenError("invalid_request", "BAD_GRANT_TYPE", "missing grant_type")
    return TokenError("unsupported_grant_type", "BAD_GRANT_TYPE", "unsupported grant_type")


def invalid_request(message: str, http_status: int = 400) -> TokenError:
    return TokenError("invalid_request", "BAD_REQUEST", message, http_status)


def missing_parameter(name: str) -> TokenError:
    return TokenError("invalid_request", "BAD_REQUEST", f"missing required parameter: {name}")


def unavailable() -> ApiError:
    return ApiError(
        "SERVICE_UNAVAILABLE",
        "The authorization server's database is unavailable; retry later",
        503,
    )


class TokenNotFound(HubAuthError):
    """A metadata lookup found no live token: unknown, expired, revoked or uninstalled alike."""
