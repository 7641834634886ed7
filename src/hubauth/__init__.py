"""hubauth: a HubSpot-compatible OAuth 2.0 authorization server."""

__version__ = "0.1.0"
