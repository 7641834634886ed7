"""Which install-page rules apply (``HUBAUTH_INSTALL_PAGE_RULES``).

* ``hubspot`` (default), following HubSpot's documentation
  (https://developers.hubspot.com/docs/guides/apps/authentication/working-with-oauth):
  when the user does not grant access "no request will be sent" to the app, so a denial ends
  on a page of ours; and an install URL that lacks scopes the app requires gets an error
  displayed on the page, not a redirect.
* ``rfc6749``: both are sent to the app's redirect URI, as RFC 6749 §4.1.2.1 describes:
  ``error=access_denied`` for a denial, ``error=invalid_scope`` for the missing scopes.
"""

from __future__ import annotations

from enum import StrEnum


class InstallPageRules(StrEnum):
    HUBSPOT = "hubspot"
    RFC6749 = "rfc6749"
