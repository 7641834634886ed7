"""Testing tools for integrations: a real hubauth server with a movable clock and fault
switches, also available as pytest fixtures (see :mod:`hubauth.testing.plugin` and
``docs/testing.md``)."""

from hubauth.testing.faults import REFRESH_ERRORS, Faults, Traffic
from hubauth.testing.server import HubAuthServer, MovableClock, ServerConfig

__all__ = ["REFRESH_ERRORS", "Faults", "HubAuthServer", "MovableClock", "ServerConfig", "Traffic"]
