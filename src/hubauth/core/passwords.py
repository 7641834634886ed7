"""User passwords: argon2id (RFC 9106) via argon2-cffi. Unlike tokens, passwords are
low-entropy, so they get a slow, salted hash."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()
# Verifying against this when the user does not exist keeps both paths equally slow.
_DUMMY = _hasher.hash("hubauth-no-such-user")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password: str, stored: str | None) -> bool:
    try:
        return _hasher.verify(stored or _DUMMY, password) and stored is not None
    except (VerificationError, InvalidHashError):
        return False
