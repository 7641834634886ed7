"""Signing a user in on the install pages: password check plus a cheap attempt limit.

Passwords are verified with argon2id (:mod:`hubauth.core.passwords`), which is slow on purpose,
so the check runs in a worker thread and never stalls the event loop. Unknown e-mail
addresses cost the same as wrong passwords (the dummy hash), so timing does not tell which
addresses exist.

The limit is a sliding window of *failed* attempts, kept in process memory, per e-mail address
and per client address (OWASP Authentication Cheat Sheet, "Login Throttling"). It is a first
line of defence only: each worker counts on its own, and the full rate limiting (issue 8) will
replace it with a shared counter.
"""

from __future__ import annotations

import asyncio
from collections import deque
from dataclasses import dataclass

from hubauth.core.context import Context
from hubauth.core.models import User
from hubauth.core.passwords import verify_password

#: Longest e-mail address (RFC 5321 §4.5.3.1.3 path limit) and password we look at; longer
#: input is refused before any hashing work.
MAX_EMAIL = 254
MAX_PASSWORD = 1024


class SignInError(Exception):
    """Sign-in refused. ``retry_after_s`` is set when the attempt limit was hit."""

    def __init__(self, message: str, retry_after_s: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.retry_after_s = retry_after_s


BAD_CREDENTIALS = "That e-mail address and password do not match."


class AttemptWindow:
    """At most ``max_failures`` failures per key in any ``window_ms``; memory bounded by
    ``max_keys`` (the oldest keys are forgotten first when an attacker sprays many keys)."""

    def __init__(self, max_failures: int, window_ms: int, max_keys: int = 10_000) -> None:
        self.max_failures = max_failures
        self.window_ms = window_ms
        self.max_keys = max_keys
        self._failures: dict[str, deque[int]] = {}

    def _live(self, key: str, now_ms: int) -> deque[int] | None:
        times = self._failures.get(key)
        if times is None:
            return None
        while times and times[0] <= now_ms - self.window_ms:
            times.popleft()
        if not times:
            del self._failures[key]
            return None
        return times

    def retry_after_ms(self, key: str, now_ms: int) -> int:
        """0 when another attempt is allowed, else how long until the oldest failure ages out."""
        times = self._live(key, now_ms)
        if times is None or len(times) < self.max_failures:
            return 0
        return times[0] + self.window_ms - now_ms

    def failed(self, key: str, now_ms: int) -> None:
        times = self._live(key, now_ms)
        if times is None:
            if len(self._failures) >= self.max_keys:
                self._forget_oldest(now_ms)
            times = self._failures[key] = deque()
        times.append(now_ms)

    def succeeded(self, key: str) -> None:
        self._failures.pop(key, None)

    def _forget_oldest(self, now_ms: int) -> None:
        for key in list(self._failures):
            self._live(key, now_ms)
        while len(self._failures) >= self.max_keys:
            del self._failures[next(iter(self._failures))]


@dataclass
class SignInGuard:
    """The two windows: per account (slow guessing of one password) and per client address
    (one address trying many accounts). Defaults: 10 failures per address and e-mail in
    15 minutes; 50 per client address."""

    per_email: AttemptWindow
    per_client: AttemptWindow

    @classmethod
    def default(cls) -> SignInGuard:
        window = 15 * 60 * 1000
        return cls(per_email=AttemptWindow(10, window), per_client=AttemptWindow(50, window))


def normalise_email(email: str) -> str:
    return email.strip()


async def sign_in(
    ctx: Context, guard: SignInGuard, *, email: str, password: str, client: str
) -> User:
    """Return the user whose e-mail and password match, or raise :class:`SignInError`.

    Addresses are looked up as typed and then lower-cased, since users rarely remember the
    case they registered with. Every failure (unknown address included) counts against both
    windows; a success clears the account's window.
    """
    email = normalise_email(email)
    if not email or not password or len(email) > MAX_EMAIL or len(password) > MAX_PASSWORD:
        raise SignInError(BAD_CREDENTIALS)
    now = ctx.now_ms()
    email_key = email.lower()
    wait_ms = max(
        guard.per_email.retry_after_ms(email_key, now),
        guard.per_client.retry_after_ms(client, now),
    )
    if wait_ms > 0:
        ctx.audit("sign_in_throttled", client=client)
        raise SignInError(
            "Too many failed sign-in attempts. Wait a few minutes and try again.",
            retry_after_s=-(-wait_ms // 1000),
        )
    user = await ctx.store.find_user_by_email(email)
    if user is None and email_key != email:
        user = await ctx.store.find_user_by_email(email_key)
    stored = user.password_hash if user is not None else None
    if not await asyncio.to_thread(verify_password, password, stored) or user is None:
        guard.per_email.failed(email_key, now)
        guard.per_client.failed(client, now)
        ctx.audit("sign_in_failed", client=client)
        raise SignInError(BAD_CREDENTIALS)
    guard.per_email.succeeded(email_key)
    ctx.audit("sign_in", user_id=user.user_id, client=client)
    return user
