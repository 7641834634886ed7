"""``private_key_jwt`` client authentication: JWT client assertions (RFC 7523 §2.2, §3) signed
with a key the app registered (``hubauth apps keys set``).

HubSpot's v3 and 2026-03 token endpoints accept ``client_assertion`` and
``client_assertion_type`` (https://developers.hubspot.com/docs/api-reference/auth-oauth-v3/guide);
the 2026-09 spec does not. The checks, in RFC 7523 §3 order:

1. ``iss`` (item 1) and ``sub`` (item 2) are both the client_id (RFC 7523 §2.2: a client
   authenticating as itself), and a ``client_id`` parameter, if sent, names the same client;
2. ``aud`` (item 3) contains this server's token endpoint URL or its issuer identifier;
3. ``exp`` (item 4) is present and in the future, and the assertion lives at most
   ``Policy.client_assertion_max_lifetime_s`` (from ``iat`` when present, else from now), so a
   long-lived assertion cannot be minted once and replayed later;
4. ``nbf``/``iat`` (items 5, 6) are not in the future;
5. ``jti`` (item 7) is present and used once: it is recorded in the database until ``exp``, so
   a replay fails on every node;
6. the signature (item 9) verifies with one of the app's registered public keys, RS256 or
   ES256 only (never ``none`` or HMAC: the JOSE library is given the allow-list).

Every refusal is the same ``invalid_client`` answer, whatever failed (the audit event records
the reason), so the endpoint tells a prober nothing; an unknown client_id gets HubSpot's
``BAD_CLIENT_ID``, as with secrets. JOSE library: ``joserfc`` (docs/decisions.md).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Collection, Mapping
from typing import Any, TypeGuard

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import ECKey, KeySet, RSAKey

from hubauth.core import errors
from hubauth.core.context import Context
from hubauth.core.models import App

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
ALGORITHMS: tuple[str, ...] = ("RS256", "ES256")
#: Clock skew allowed on exp/nbf/iat between the client and this server.
LEEWAY_S = 30
_MAX_ASSERTION = 8192
_MAX_KEYS = 10
_MIN_RSA_BITS = 2048


class BadKeys(ValueError):
    """A JWK or JWK Set that cannot be registered; the message says why."""


def bad_assertion() -> errors.TokenError:
    return errors.TokenError(
        "invalid_client", "BAD_CLIENT_ASSERTION", "client assertion is invalid"
    )


# --- registering keys --------------------------------------------------------------------------


def normalize_jwks(text: str) -> str:
    """One JWK or a JWK Set (RFC 7517 §4, §5) as the canonical JWK Set JSON to store.

    Only public RSA (>= 2048 bits) and EC P-256 keys, without private members; ``kid``s must be
    unique (one key may omit it)."""
    try:
        data = json.loads(text)
    except ValueError:
        raise BadKeys("not JSON") from None
    if not isinstance(data, dict):
        raise BadKeys("must be a JWK or a JWK Set object")
    keys = data.get("keys") if "keys" in data else [data]
    if not isinstance(keys, list) or not keys:
        raise BadKeys('a JWK Set needs a non-empty "keys" array')
    if len(keys) > _MAX_KEYS:
        raise BadKeys(f"at most {_MAX_KEYS} keys")
    public: list[dict[str, Any]] = []
    kids: set[str | None] = set()
    for index, key in enumerate(keys):
        where = f"key {index + 1}"
        if not isinstance(key, dict):
            raise BadKeys(f"{where} is not an object")
        if "d" in key or "p" in key:
            raise BadKeys(f"{where} contains private key material: register the public key only")
        try:
            if key.get("kty") == "RSA":
                rsa = RSAKey.import_key(key)
                if rsa.raw_value.key_size < _MIN_RSA_BITS:
                    raise BadKeys(f"{where}: RSA keys need at least {_MIN_RSA_BITS} bits")
                parsed: dict[str, Any] = dict(rsa.as_dict(private=False))
            elif key.get("kty") == "EC" and key.get("crv") == "P-256":
                parsed = dict(ECKey.import_key(key).as_dict(private=False))
            else:
                raise BadKeys(f"{where}: only RSA (RS256) and EC P-256 (ES256) keys are accepted")
        except (JoseError, ValueError, TypeError) as exc:
            if isinstance(exc, BadKeys):
                raise
            raise BadKeys(f"{where} is not a valid JWK") from None
        kid = key.get("kid")
        if kid is not None and not isinstance(kid, str):
            raise BadKeys(f"{where}: kid must be a string")
        if kid in kids:
            raise BadKeys(f"{where}: kid {kid!r} is used twice")
        kids.add(kid)
        for member in ("kid", "use", "alg"):
            if member in key:
                parsed[member] = key[member]
        public.append(parsed)
    return json.dumps({"keys": public}, sort_keys=True, separators=(",", ":"))


# --- verifying assertions ----------------------------------------------------------------------


def claimed_client_id(assertion: str) -> str | None:
    """The unverified ``sub`` of an assertion: which client it claims to be (to find its keys,
    and for the rate limiter to charge). Never trusted for anything else."""
    parts = assertion.split(".")
    if len(parts) != 3 or len(assertion) > _MAX_ASSERTION:
        return None
    try:
        padded = parts[1] + "=" * (-len(parts[1]) % 4)
        claims = json.loads(base64.urlsafe_b64decode(padded))
    except (binascii.Error, ValueError):
        return None
    sub = claims.get("sub") if isinstance(claims, dict) else None
    return sub if isinstance(sub, str) and 0 < len(sub) <= 256 else None


async def authenticate(ctx: Context, params: Mapping[str, str], audiences: Collection[str]) -> App:
    """The app whose valid, unused assertion ``params`` carries, or ``invalid_client``."""
    assertion = params.get("client_assertion") or ""
    client_id = params.get("client_id") or claimed_client_id(assertion)
    if not client_id:
        ctx.audit("client_auth_failed", reason="missing_or_malformed_client_id")
        raise errors.bad_client_id()
    app = await ctx.store.find_app_by_client_id(client_id)
    if app is None:
        ctx.audit("client_auth_failed", reason="unknown_client_id")
        raise errors.bad_client_id()
    reason = await _refusal(ctx, app, params, assertion, audiences)
    if reason is not None:
        ctx.audit("client_auth_failed", reason=f"client_assertion_{reason}", app_id=app.app_id)
        raise bad_assertion()
    return app


async def _refusal(
    ctx: Context,
    app: App,
    params: Mapping[str, str],
    assertion: str,
    audiences: Collection[str],
) -> str | None:
    """Why the assertion is refused (for the audit log only), or None when it is accepted."""
    if params.get("client_assertion_type") != ASSERTION_TYPE:
        return "type"
    if not assertion or len(assertion) > _MAX_ASSERTION:
        return "malformed"
    stored = await ctx.store.find_app_jwks(app.app_id)
    if stored is None:
        return "no_keys"
    try:
        token = jwt.decode(assertion, KeySet.import_key_set(json.loads(stored)), ALGORITHMS)
    except (JoseError, ValueError, TypeError):
        return "signature"
    claims = token.claims
    if claims.get("iss") != app.client_id or claims.get("sub") != app.client_id:
        return "iss_sub"
    aud = claims.get("aud")
    aud_values = [aud] if isinstance(aud, str) else aud if isinstance(aud, list) else []
    if not any(isinstance(a, str) and a in audiences for a in aud_values):
        return "aud"
    now_s = ctx.now_ms() // 1000
    exp, iat, nbf = claims.get("exp"), claims.get("iat"), claims.get("nbf")
    if not _is_time(exp) or exp + LEEWAY_S <= now_s:
        return "exp"
    if (iat is not None and not _is_time(iat)) or (nbf is not None and not _is_time(nbf)):
        return "times"
    if (_is_time(iat) and iat > now_s + LEEWAY_S) or (_is_time(nbf) and nbf > now_s + LEEWAY_S):
        return "not_yet_valid"
    start = iat if _is_time(iat) else now_s
    if exp - start > ctx.policy.client_assertion_max_lifetime_s:
        return "lifetime"
    jti = claims.get("jti")
    if not isinstance(jti, str) or not 0 < len(jti) <= 256:
        return "jti"
    # Unkeyed: a jti is no secret, and a keyed digest would differ between nodes that disagree
    # about the newest server key mid-rotation, letting a replay through on the other node.
    jti_hash = hashlib.sha256(f"client_assertion:{app.app_id}:{jti}".encode()).digest()
    expires_ms = int((exp + LEEWAY_S) * 1000)
    if not await ctx.store.use_assertion_jti(jti_hash, app.app_id, expires_ms):
        return "replay"
    return None


def _is_time(value: object) -> TypeGuard[int | float]:
    return type(value) is int or (type(value) is float and value == value)
