"""Unit tests of the framework-free core: token shapes, hashing, PKCE, scope rules, clock."""

from __future__ import annotations

import re

import pytest

from hubauth.core import pkce, scopes, tokens
from hubauth.core.clock import FrozenClock, OffsetClock

HUBSPOT_SHAPE = re.compile(r"na1-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def test_refresh_tokens_and_codes_have_hubspot_shape_and_differ() -> None:
    values = {tokens.new_refresh_token("na1") for _ in range(200)}
    values |= {tokens.new_auth_code("na1") for _ in range(200)}
    assert len(values) == 400
    assert all(HUBSPOT_SHAPE.fullmatch(v) for v in values)


def test_strong_shape_keeps_hublet_and_carries_256_bits() -> None:
    value = tokens.new_refresh_token("eu1", tokens.TokenShape.STRONG)
    assert value.startswith("eu1-") and len(value) == 4 + 43


def test_access_tokens_are_opaque_urlsafe_and_start_with_c() -> None:
    value = tokens.new_access_token()
    assert value[0] == "C" and re.fullmatch(r"[A-Za-z0-9_-]+", value)
    assert 148 <= len(value) <= tokens.MAX_TOKEN_LENGTH


def test_hasher_is_keyed_and_constant_time_matches() -> None:
    a = tokens.TokenHasher(b"a" * 32)
    b = tokens.TokenHasher(b"b" * 32)
    assert a.hash("t") != b.hash("t")
    secret = a.hash_secret("t")
    assert a.secret_matches("t", secret, a.key_id) and not a.secret_matches("u", secret, a.key_id)
    assert not b.secret_matches("t", secret, a.key_id)
    with pytest.raises(ValueError, match="32"):
        tokens.TokenHasher(b"short")


@pytest.mark.parametrize("value", ["", "x" * 513, "a\x00b", "é", "tab\t"])
def test_implausible_tokens_are_rejected_before_lookup(value: str) -> None:
    assert not tokens.plausible_token(value)


def test_pkce_s256_round_trip_and_rejections() -> None:
    verifier = "v" * 43
    challenge = pkce.s256(verifier)
    assert pkce.valid_challenge(challenge)
    assert pkce.verify(verifier, challenge, "S256")
    assert not pkce.verify("w" * 43, challenge, "S256")
    assert not pkce.verify(verifier, challenge, "plain")
    assert not pkce.verify("short", pkce.s256("short"), "S256")
    assert not pkce.verify(None, challenge, "S256")


def test_rfc7636_appendix_b_example() -> None:
    assert (
        pkce.s256("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk")
        == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    )


def test_scope_request_rules() -> None:
    request = scopes.check_request(
        ("oauth", "content"), ("tickets",), ("oauth",), ("content", "tickets")
    )
    assert request.required == ("oauth", "content")
    assert request.optional == ("tickets",)
    assert scopes.grant(request, []) == ("oauth", "content")
    assert scopes.grant(request, ["tickets", "forms"]) == ("oauth", "content", "tickets")
    with pytest.raises(scopes.ScopeError, match="requires"):
        scopes.check_request(("content",), (), ("oauth",), ("content",))
    with pytest.raises(scopes.ScopeError, match="does not configure"):
        scopes.check_request(("oauth", "forms"), (), ("oauth",), ())
    with pytest.raises(scopes.ScopeError, match="optional"):
        scopes.check_request(("oauth",), ("forms",), ("oauth",), ())


@pytest.mark.parametrize("raw", ["OAuth", "a b;c", "x" * 200, " ".join(["a"] * 300)])
def test_malformed_scope_lists_are_refused(raw: str) -> None:
    with pytest.raises(scopes.ScopeError):
        scopes.parse(raw)


def test_scope_descriptions_are_plain_words() -> None:
    assert scopes.describe("crm.objects.contacts.read") == "View contacts in the CRM"
    assert "timeline" in scopes.describe("timeline").lower() or scopes.describe("timeline")
    assert scopes.describe("made.up") == "Use the 'made.up' permission"


def test_clocks_only_move_forward() -> None:
    frozen = FrozenClock(1000)
    frozen.advance(1.5)
    assert frozen.now_ms() == 2500
    offset = OffsetClock(FrozenClock(0))
    offset.advance(60)
    assert offset.now_ms() == 60_000 and offset.offset_seconds == 60
    with pytest.raises(ValueError):
        offset.advance(-1)


def test_family_ids_sort_by_issue_time_and_stay_unique() -> None:
    earlier = [tokens.new_family_id(1_700_000_000_000) for _ in range(100)]
    later = tokens.new_family_id(1_700_000_000_001)
    assert len(set(earlier)) == 100
    assert max(earlier) < later
    assert all(len(f) == 32 and int(f, 16) >= 0 for f in [*earlier, later])
