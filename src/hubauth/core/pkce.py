"""RFC 7636 Proof Key for Code Exchange.

Only ``S256`` is accepted (RFC 7636 §4.2; RFC 9700 §2.1.1 says ``plain`` should not be used and
HubSpot advertises only S256, docs/sources.md: NODE, BOW).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re

SUPPORTED_METHODS = ("S256",)

# RFC 7636 §4.1: 43..128 characters of [A-Z] / [a-z] / [0-9] / "-" / "." / "_" / "~"
_VERIFIER = re.compile(r"[A-Za-z0-9\-._~]{43,128}")
# A challenge is BASE64URL(SHA256(verifier)) without padding: exactly 43 characters (§4.2).
_CHALLENGE = re.compile(r"[A-Za-z0-9\-_]{43}")


def valid_challenge(challenge: str) -> bool:
    return _CHALLENGE.fullmatch(challenge) is not None


def s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def verify(verifier: str | None, challenge: str, method: str) -> bool:
    """RFC 7636 §4.6: the server recomputes the challenge from the verifier and compares."""
    if verifier is None or method != "S256" or _VERIFIER.fullmatch(verifier) is None:
        return False
    return hmac.compare_digest(s256(verifier), challenge)
