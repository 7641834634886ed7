"""Signing a user in on the install pages: password check plus attempt limits that hold
under concurrency.

Passwords are verified with argon2id (:mod:`hubauth.core.passwords`), which is slow on purpose,
so the check runs in a worker thread and never stalls the event loop. Unknown e-mail
addresses cost the same as wrong passwords (the dummy hash), so timing does not tell which
addresses exist.

Limits (OWASP Authentication Cheat Sheet, "Login Throttling"; RFC 6749 §10.10), kept by the
app's :class:`~hubauth.ratelimit.RateLimiter` (per worker, or shared through Redis):

* failures per e-mail address (slow guessing of one account's password);
* attempts per client address, successes included (one address trying many accounts, and a
  flood of sign-ins that would otherwise spend the CPU the token endpoint needs).

Each attempt is *reserved* atomically before the password hash runs and settled afterwards (a
success gives the e-mail reservation back): checking first and counting after the hash let
60 concurrent wrong passwords all be evaluated against a limit of 10 (issue 15, CWE-367).
At most ``concurrency`` hashes run at once per worker (a semaphore); when ``max_waiting`` more
are already queued, the attempt is refused with a retry hint instead of queueing.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from hubauth.core.context import Context
from hubauth.core.models import User
from hubauth.core.passwords import verify_password
from hubauth.ratelimit import Limit, RateLimiter, Reservation, Verdict

#: Longest e-mail address (RFC 5321 §4.5.3.1.3 path limit) and password we look at; longer
#: input is refused before any hashing work.
MAX_EMAIL = 254
MAX_PASSWORD = 1024

EMAIL_GROUP = "signin:failures:email"
ADDRESS_GROUP = "signin:attempts:address"


class SignInError(Exception):
    """Sign-in refused. ``retry_after_s`` is set when the attempt limit was hit."""

    def __init__(self, message: str, retry_after_s: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.retry_after_s = retry_after_s


BAD_CREDENTIALS = "That e-mail address and password do not match."


THROTTLED = {
    EMAIL_GROUP: "Too many failed sign-in attempts. Wait a few minutes and try again.",
    ADDRESS_GROUP: "Too many sign-in attempts from this address. Wait a few minutes and try again.",
}
BUSY = "Too many sign-ins are being checked right now. Try again in a moment."


@dataclass
class SignInGuard:
    """The limits and the hashing semaphore of one worker. Defaults: 10 failures per e-mail
    address and 50 attempts per client address in 15 minutes; 2 hashes at once."""

    limiter: RateLimiter
    per_email: Limit = field(default_factory=lambda: Limit(EMAIL_GROUP, 10, 900))
    per_address: Limit = field(default_factory=lambda: Limit(ADDRESS_GROUP, 50, 900))
    concurrency: int = 2
    max_waiting: int = 32
    _hashing: asyncio.Semaphore | None = field(default=None, init=False, repr=False)
    _waiting: int = field(default=0, init=False, repr=False)

    @property
    def waiting(self) -> int:
        """Attempts queued for a hashing slot."""
        return self._waiting

    @contextlib.asynccontextmanager
    async def queued(self) -> AsyncIterator[None]:
        """Hold one of the ``concurrency`` hashing slots (waiting, and counted, until free)."""
        if self._hashing is None:  # created inside the running loop that will wait on it
            self._hashing = asyncio.Semaphore(self.concurrency)
        self._waiting += 1
        try:
            await self._hashing.acquire()
        finally:
            self._waiting -= 1
        try:
            yield
        finally:
            self._hashing.release()

    async def reserve(self, ctx: Context, email_key: str, client: str) -> list[Reservation]:
        taken: list[Reservation] = []
        for subject, limit in ((email_key, self.per_email), (client, self.per_address)):
            verdict: Verdict = await self.limiter.reserve(subject, limit)
            if not verdict.allowed:
                for reservation in taken:
                    await self.limiter.refund(reservation)
                ctx.audit("sign_in_throttled", client=client, group=limit.group)
                raise SignInError(
                    THROTTLED[limit.group], retry_after_s=max(1, verdict.retry_after_s)
                )
            if verdict.reservation is not None:
                taken.append(verdict.reservation)
        return taken


def normalise_email(email: str) -> str:
    return email.strip()


async def sign_in(
    ctx: Context, guard: SignInGuard, *, email: str, password: str, client: str
) -> User:
    """Return the user whose e-mail and password match, or raise :class:`SignInError`.

    Addresses are looked up as typed and then lower-cased, since users rarely remember the
    case they registered with. Every attempt is reserved against both limits before any
    hashing; a failure (unknown address included) keeps both, a success gives back the
    e-mail's and keeps the client address's.
    """
    email = normalise_email(email)
    if not email or not password or len(email) > MAX_EMAIL or len(password) > MAX_PASSWORD:
        raise SignInError(BAD_CREDENTIALS)
    email_key = email.lower()
    if guard.waiting >= guard.max_waiting:
        ctx.audit("sign_in_throttled", client=client, group="signin:busy")
        raise SignInError(BUSY, retry_after_s=1)
    reserved = await guard.reserve(ctx, email_key, client)
    async with guard.queued():
        user = await ctx.store.find_user_by_email(email)
        if user is None and email_key != email:
            user = await ctx.store.find_user_by_email(email_key)
        stored = user.password_hash if user is not None else None
        matched = await asyncio.to_thread(verify_password, password, stored)
    if not matched or user is None:
        ctx.audit("sign_in_failed", client=client)
        raise SignInError(BAD_CREDENTIALS)
    for reservation in reserved:
        if reservation.limit == guard.per_email:
            await guard.limiter.refund(reservation)
    ctx.audit("sign_in", user_id=user.user_id, client=client)
    return user
