"""What each version of HubSpot's OAuth API offers, per its published OpenAPI specs, in one
table that the routes (and later features) read instead of branching on version strings.

Sources: HubSpot's specs ``oauth-v1.json``, ``oauth-v3.json``, ``oauth-2026-03.json`` and
``oauth-2026-09.json`` (https://developers.hubspot.com/docs/api-reference/auth-oauth-v3/guide
links them); ``tests/test_spec_versions.py`` compares this table with the files.

* ``2026-09``'s token operation lists only the ``authorization_code`` and ``refresh_token``
  grants, no ``client_assertion``, and declares no 200 body; hubauth refuses
  ``client_credentials`` there (``unsupported_grant_type``, as for any grant the version does
  not offer) and answers a granted request with the same body as the other versions
  (docs/decisions.md, "HubSpot's published spec vs hubauth").
* ``v3`` and ``2026-03`` list ``client_assertion`` / ``client_assertion_type``
  (``private_key_jwt``, RFC 7523 section 2.2); ``v1`` and ``2026-09`` do not.
"""

from __future__ import annotations

from dataclasses import dataclass

AUTHORIZATION_CODE = "authorization_code"
REFRESH_TOKEN = "refresh_token"
CLIENT_CREDENTIALS = "client_credentials"


@dataclass(frozen=True)
class ApiVersion:
    """One version's token-endpoint capabilities as its spec publishes them."""

    name: str
    #: The ``grant_type`` enum of the token operation's request body.
    grant_types: tuple[str, ...]
    #: Whether the token request lists ``client_assertion`` / ``client_assertion_type``.
    lists_client_assertion: bool
    #: Whether the token operation declares a 200 body (``TokenResponseIF``).
    documents_token_response: bool


ALL_GRANTS = (AUTHORIZATION_CODE, REFRESH_TOKEN, CLIENT_CREDENTIALS)

API_VERSIONS: dict[str, ApiVersion] = {
    v.name: v
    for v in (
        ApiVersion("v1", ALL_GRANTS, False, True),
        ApiVersion("v3", ALL_GRANTS, True, True),
        ApiVersion("2026-03", ALL_GRANTS, True, True),
        ApiVersion("2026-09", (AUTHORIZATION_CODE, REFRESH_TOKEN), False, False),
    )
}
