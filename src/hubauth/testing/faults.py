"""Fault switches and traffic counters of the testing server: a thin, synchronous layer over
:mod:`hubauth.core.devplane`, the same functions ``hubauth serve --dev`` serves under
``/_hubauth/``.

A test flips a switch from its own thread; the call runs on the server's event loop and queues
the fault in the server's database, where the developer-mode middleware
(:class:`hubauth.web.devmode.DevMiddleware`) takes it on the next matching request. Every
injected answer is rendered by the real error renderers from the real domain errors, so an
injected ``BAD_HUB`` is byte-for-byte what a deleted hub produces (docs/sources.md: POSTHOG), and a
429/503 is HubSpot's generic error object (docs/sources.md: ERR) with a ``Retry-After`` header.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from hubauth.core import devplane
from hubauth.core.devplane import REFRESH_ERRORS, REQUEST_FAILURES, DevPlane
from hubauth.core.errors import ApiError

__all__ = ["REFRESH_ERRORS", "REQUEST_FAILURES", "Faults", "Traffic"]

T = TypeVar("T")

#: Runs a coroutine on the server's loop and returns its result (``HubAuthServer.call``).
Runner = Callable[[Coroutine[Any, Any, Any]], Any]


class _Bound:
    def __init__(self, plane: Callable[[], DevPlane], run: Runner) -> None:
        self._plane = plane
        self._run = run

    def _call(self, fn: Callable[..., Coroutine[Any, Any, T]], *args: Any, **kwargs: Any) -> T:
        try:
            result: T = self._run(fn(self._plane(), *args, **kwargs))
        except ApiError as exc:  # the core's refusal of a bad argument
            raise ValueError(exc.message) from None
        return result


class Faults(_Bound):
    """Switches a test flips; each ``fail_next_*`` is consumed one request at a time."""

    def fail_next_refreshes(self, n: int = 1, error: str = "BAD_REFRESH_TOKEN") -> None:
        """The next ``n`` refresh-token grants answer with HubSpot's ``error`` body.

        ``error`` is one of :data:`REFRESH_ERRORS`: ``BAD_REFRESH_TOKEN`` (400 invalid_grant),
        ``BAD_REFRESH_TOKEN/invalid_request`` (the observed variant), ``BAD_HUB`` (400
        access_denied), ``invalid_client``/``BAD_CLIENT_SECRET`` or ``BAD_CLIENT_ID``.
        The grant is not run, so nothing changes in the store.
        """
        self._call(devplane.fail_next_refreshes, n, error)

    def fail_next_requests(
        self, n: int = 1, status: int = 503, retry_after: int | None = None
    ) -> None:
        """The next ``n`` requests (any endpoint) answer ``status`` with HubSpot's generic error
        body and, when given, ``Retry-After: <retry_after>`` (delta-seconds, RFC 9110 §10.2.3).
        """
        self._call(devplane.fail_next_requests, n, status, retry_after)

    def add_latency(self, seconds: float) -> None:
        """Delay every following request by ``seconds`` of real time (until :meth:`clear`)."""
        self._call(devplane.set_latency, seconds)

    def clear(self) -> None:
        """Switch every fault off."""
        self._call(devplane.clear_faults)

    @property
    def latency(self) -> float:
        for fault in self._call(devplane.list_faults):
            if fault.kind == "latency" and fault.path_prefix == "/":
                return (fault.latency_ms or 0) / 1000
        return 0.0

    @property
    def pending(self) -> int:
        """Injected failures not yet delivered."""
        return sum(
            fault.remaining or 0
            for fault in self._call(devplane.list_faults)
            if fault.kind in ("refresh", "request")
        )


class Traffic(_Bound):
    """What reached the server: token requests by ``grant_type`` (counted before any fault)."""

    @property
    def requests(self) -> int:
        return self._call(devplane.counters).requests

    def grants(self, grant_type: str) -> int:
        return self._call(devplane.counters).grants.get(grant_type, 0)

    @property
    def refreshes(self) -> int:
        return self.grants("refresh_token")

    def reset(self) -> None:
        self._call(devplane.reset_counters)
