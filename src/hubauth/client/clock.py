"""The client's notion of "now": anything with ``now_ms()``.

The client stands alone (``pip install hubauth`` installs no server), so it declares the
protocol itself instead of importing the server's ``hubauth.core.clock``; the server's clocks
(and the pytest plugin's ``hubauth_server.clock``) satisfy it structurally.
"""

from __future__ import annotations

import time
from typing import Protocol


class Clock(Protocol):
    def now_ms(self) -> int:
        """Milliseconds since the Unix epoch."""
        ...


class SystemClock:
    """Wall-clock time."""

    __slots__ = ()

    def now_ms(self) -> int:
        return time.time_ns() // 1_000_000
