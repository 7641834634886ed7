"""Debian's Chromium driven by Playwright (never ``playwright install``: no browser downloads).

Shared by the browser tests and ``scripts/screenshots.py``.
"""

from __future__ import annotations

import os
from pathlib import Path

CHROMIUM = Path("/usr/bin/chromium")
LAUNCH_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def missing_reason() -> str | None:
    """Why the browser tests cannot run here, or None. In CI a missing browser is an error
    (``.ci/run`` installs Debian's chromium), so callers fail instead of skipping."""
    if CHROMIUM.exists():
        return None
    return f"{CHROMIUM} is missing (apt-get install chromium); set CI=1 to make this a failure"


def in_ci() -> bool:
    return bool(os.environ.get("CI"))
