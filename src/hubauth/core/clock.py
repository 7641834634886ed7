"""The one clock every part of hubauth asks for "now".

Nothing else in hubauth calls ``time.time()`` or ``datetime.now()``: expiry, ``expires_in``
countdowns and code lifetimes all read a :class:`Clock`, so tests (and the pytest plugin)
can move time without patching the standard library.
"""

from __future__ import annotations

import threading
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


class OffsetClock:
    """Real time plus an offset that tests can push forward.

    Time keeps flowing (so timeouts and ``expires_in`` still count down), and
    :meth:`advance` jumps it ahead as if the seconds had really passed.
    """

    __slots__ = ("_base", "_lock", "_offset_ms")

    def __init__(self, base: Clock | None = None) -> None:
        self._base = base or SystemClock()
        self._offset_ms = 0
        self._lock = threading.Lock()

    def now_ms(self) -> int:
        return self._base.now_ms() + self._offset_ms

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("a clock only moves forward")
        with self._lock:
            self._offset_ms += round(seconds * 1000)

    @property
    def offset_seconds(self) -> float:
        return self._offset_ms / 1000

    @property
    def offset_ms(self) -> int:
        return self._offset_ms

    def set_offset_ms(self, offset_ms: int) -> None:
        """Adopt an offset decided elsewhere (developer mode shares it through the database,
        so every worker follows the one clock); unlike :meth:`advance` it may go back."""
        self._offset_ms = offset_ms

    def base_ms(self) -> int:
        """The time underneath the offset (real time, or the wrapped clock's)."""
        return self._base.now_ms()


class FrozenClock:
    """A clock that only moves when told to (deterministic unit tests)."""

    __slots__ = ("_lock", "_now_ms")

    def __init__(self, start_ms: int = 1_767_225_600_000) -> None:  # 2026-01-01T00:00:00Z
        self._now_ms = start_ms
        self._lock = threading.Lock()

    def now_ms(self) -> int:
        return self._now_ms

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("a clock only moves forward")
        with self._lock:
            self._now_ms += round(seconds * 1000)
