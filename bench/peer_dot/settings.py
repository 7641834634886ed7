"""Production-style settings for the django-oauth-toolkit peer.

``PEER_DATABASE`` is ``sqlite:///PATH`` or ``postgresql://USER@HOST:PORT/NAME``. Choices that
favour the peer (so our ratios are not flattered) are listed in docs/performance.md: client
secrets stored unhashed (DOT's default PBKDF2 would cost ~0.3 s per token request), a minimal
middleware stack, and SQLite in WAL mode with IMMEDIATE transactions like hubauth's.
"""

from __future__ import annotations

import os
from urllib.parse import urlparse

SECRET_KEY = os.environ.get("PEER_SECRET_KEY", "bench-only-" + "x" * 40)
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
ROOT_URLCONF = "peer_dot.urls"
WSGI_APPLICATION = "peer_dot.wsgi.application"
USE_TZ = True
TIME_ZONE = "UTC"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "oauth2_provider",
    "peer_dot",
]
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.common.CommonMiddleware",
]
TEMPLATES: list[dict[str, object]] = []
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "WARNING"}}


def _database(url: str) -> dict[str, object]:
    parsed = urlparse(url)
    if parsed.scheme == "sqlite":
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": url.split("///", 1)[1],
            "OPTIONS": {
                "timeout": 10,
                "transaction_mode": "IMMEDIATE",
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
        }
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": parsed.path.lstrip("/"),
        "USER": parsed.username or "postgres",
        "HOST": parsed.hostname or "127.0.0.1",
        "PORT": str(parsed.port or 5432),
        "CONN_MAX_AGE": 600,  # persistent connections, as a production deployment would
    }


DATABASES = {"default": _database(os.environ.get("PEER_DATABASE", "sqlite:///peer.db"))}

OAUTH2_PROVIDER = {
    "SCOPES": {"read": "Read", "write": "Write", "introspection": "Introspect tokens"},
    "ACCESS_TOKEN_EXPIRE_SECONDS": 1800,
    # HubSpot's (and hubauth's default) behaviour: the refresh token stays the same.
    "ROTATE_REFRESH_TOKEN": False,
    "PKCE_REQUIRED": False,
}
