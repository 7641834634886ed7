"""The v1 OAuth API's retirement, as something an integrator can rehearse.

HubSpot's v1 OAuth spec marks the v1 metadata endpoints deprecated and HubSpot's developer
changelog retires v1 on 2027-02-16
(https://developers.hubspot.com/changelog). ``HUBAUTH_V1_SUNSET`` says what hubauth does
about it:

* ``announce`` (default): every v1 response carries ``Deprecation`` (RFC 9745 §2),
  ``Sunset`` (RFC 8594 §3) and a ``Link`` to the v3 successor (RFC 8288, relation
  ``successor-version`` of RFC 5829 §3.4);
* ``enforce``: the same until the sunset instant on the server's clock, then every v1 request
  is answered as retired (410, see ``web/sunset.py``);
* ``off``: v1 is served as before, with no headers.
"""

from __future__ import annotations

from enum import StrEnum

#: 2027-02-16T00:00:00Z, HubSpot's announced retirement of OAuth v1.
V1_SUNSET_MS = 1_802_736_000_000
V1_SUNSET_HTTP_DATE = "Tue, 16 Feb 2027 00:00:00 GMT"
#: When v1 counts as deprecated (RFC 9745 §2.1: a Unix timestamp as an sf-date). HubSpot's own
#: date is UNCONFIRMED; hubauth uses 2026-03-01, the date of the first dated successor API
#: (``/oauth/2026-03/...``).
V1_DEPRECATED_S = 1_772_323_200
V1_DEPRECATION_HEADER = f"@{V1_DEPRECATED_S}"


class V1Sunset(StrEnum):
    ANNOUNCE = "announce"
    ENFORCE = "enforce"
    OFF = "off"


class V1Phase(StrEnum):
    """How a v1 request is treated at one instant."""

    SERVED = "served"  # no signal (``off``)
    DEPRECATED = "deprecated"  # served, with Deprecation/Sunset/Link
    RETIRED = "retired"  # refused as retired


def v1_phase(mode: V1Sunset, now_ms: int) -> V1Phase:
    if mode is V1Sunset.OFF:
        return V1Phase.SERVED
    if mode is V1Sunset.ENFORCE and now_ms >= V1_SUNSET_MS:
        return V1Phase.RETIRED
    return V1Phase.DEPRECATED
