"""Redirect-URI manipulation (RFC 9700 §4.1, §4.1.3; OpenID conformance "redirect URI" checks).

Every trick that has bypassed a real server's redirect-URI check is tried against
``core.authorization.validate_request`` and the ``hubauth authorize`` CLI: all are refused as
*not redirectable* (the error must be shown to the user, never sent to the presented URI).
The one allowed variation is the port of a loopback IP-literal URI (RFC 8252 §7.3).
"""

from __future__ import annotations

import secrets

import httpx
import orjson
import pytest
from click.testing import CliRunner

from hubauth.cli.main import cli
from hubauth.core import authorization, redirect_uris, tokens
from hubauth.core.authorization import AuthorizationError
from hubauth.core.context import Context
from tests.security.helpers import TOKEN
from tests.support import TEST_KEY, Seed, mint_code, seed

GOOD = "https://app.example.test/callback"
LOOPBACK_V4 = "http://127.0.0.1:51004/native/cb"
LOOPBACK_V6 = "http://[::1]/native/cb"
LOCALHOST = "http://localhost:8765/cb"
REGISTERED = (GOOD, LOOPBACK_V4, LOOPBACK_V6, LOCALHOST)

ATTACKS: dict[str, str] = {
    "trailing_slash": GOOD + "/",
    "host_case_change": "https://APP.example.test/callback",
    "path_case_change": "https://app.example.test/Callback",
    "scheme_case_change": "HTTPS://app.example.test/callback",
    "extra_query": GOOD + "?next=https://evil.test/",
    "empty_query": GOOD + "?",
    "fragment": GOOD + "#x",
    "encoded_slash_in_path": "https://app.example.test/callback%2F..%2F..%2Fevil",
    "encoded_slash_before_at": "https://app.example.test%2F@evil.test/callback",
    "encoded_percent_before_at": "https://evil.test%25@app.example.test/callback",
    "percent_encoded_path_letter": "https://app.example.test/%63allback",
    "userinfo_double_at": "https://a@evil.test@app.example.test/callback",
    "userinfo_good_host_as_user": "https://app.example.test@evil.test/callback",
    "userinfo_prefix": "https://user@app.example.test/callback",
    "backslash_before_at": "https://evil.test\\@app.example.test/callback",
    "backslash_host_suffix": "https://app.example.test\\.evil.test/callback",
    "dot_dot_segment": "https://app.example.test/callback/../evil",
    "dot_dot_back_into_path": "https://app.example.test/x/../callback",
    "tomcat_dot_dot_semicolon": "https://app.example.test/callback/..;/evil",
    "idn_homograph_cyrillic_a": "https://\u0430pp.example.test/callback",
    "punycode_lookalike": "https://xn--pp-8cd.example.test/callback",
    "fullwidth_dot": "https://app\uff0eexample.test/callback",
    "http_downgrade_non_loopback": "http://app.example.test/callback",
    "port_change": "https://app.example.test:8443/callback",
    "explicit_default_port": "https://app.example.test:443/callback",
    "subdomain_of_good": "https://evil.app.example.test/callback",
    "suffix_domain": "https://app.example.test.evil.test/callback",
    "trailing_dot_host": "https://app.example.test./callback",
    "crlf_injection": GOOD + "\r\nLocation: https://evil.test/",
    "nul_byte": GOOD + "\x00",
    "leading_space": " " + GOOD,
    "path_prefix_extension": GOOD + "/extra",
    "javascript_scheme": "javascript://app.example.test/callback",
    # the loopback exception must not become a bypass
    "loopback_userinfo_port": "http://127.0.0.1:51004@evil.test/native/cb",
    "loopback_port_out_of_range": "http://127.0.0.1:99999/native/cb",
    "loopback_port_zero": "http://127.0.0.1:0/native/cb",
    "loopback_port_leading_zero": "http://127.0.0.1:051004/native/cb",
    "loopback_other_address": "http://127.0.0.2:51004/native/cb",
    "loopback_as_localhost": "http://localhost:51004/native/cb",
    "loopback_https_scheme": "https://127.0.0.1:51004/native/cb",
    "loopback_path_change": "http://127.0.0.1:5000/native/cb/",
    "loopback_extra_query": "http://127.0.0.1:5000/native/cb?x=1",
    "loopback_fragment": "http://127.0.0.1:5000/native/cb#x",
    "loopback_v6_spelled_long": "http://[0:0:0:0:0:0:0:1]:5000/native/cb",
    "loopback_v4_decimal": "http://2130706433:5000/native/cb",
    "loopback_v4_dotless_zero": "http://127.1:5000/native/cb",
    "loopback_v6_zone_id": "http://[::1%25eth0]:5000/native/cb",
    "loopback_v6_mapped_v4": "http://[::ffff:127.0.0.1]:5000/native/cb",
    "localhost_port_change": "http://localhost:9999/cb",
    "empty": "",
}

ALLOWED: dict[str, str] = {
    "exact_https": GOOD,
    "exact_loopback": LOOPBACK_V4,
    "exact_localhost": LOCALHOST,
    "loopback_v4_other_port": "http://127.0.0.1:1/native/cb",
    "loopback_v4_highest_port": "http://127.0.0.1:65535/native/cb",
    "loopback_v4_without_port": "http://127.0.0.1/native/cb",
    "loopback_v6_with_port": "http://[::1]:61234/native/cb",
}


async def native_seed(ctx: Context) -> Seed:
    """A seeded app whose registered URIs are :data:`REGISTERED`."""
    s = await seed(ctx, redirect_uri=GOOD)
    secret = tokens.new_client_secret()
    app = await ctx.store.create_app(
        client_id=tokens.new_client_id(),
        client_secret_hash=ctx.hasher.hash_secret(secret),
        client_secret_key_id=ctx.hasher.key_id,
        name="native " + secrets.token_hex(3),
        redirect_uris=REGISTERED,
        scopes=s.scopes,
        optional_scopes=s.optional_scopes,
        now_ms=ctx.now_ms(),
    )
    s.app_id, s.client_id, s.client_secret = app.app_id, app.client_id, secret
    return s


@pytest.mark.parametrize("presented", ATTACKS.values(), ids=ATTACKS.keys())
async def test_redirect_uri_attack_is_refused_without_redirect(
    ctx: Context, presented: str
) -> None:
    s = await native_seed(ctx)
    with pytest.raises(AuthorizationError) as refused:
        await authorization.validate_request(
            ctx, client_id=s.client_id, redirect_uri=presented, scope=" ".join(s.scopes)
        )
    assert refused.value.redirectable is False
    assert refused.value.error == "invalid_request"


@pytest.mark.parametrize("presented", ALLOWED.values(), ids=ALLOWED.keys())
async def test_registered_or_loopback_port_variant_is_accepted(
    ctx: Context, presented: str
) -> None:
    s = await native_seed(ctx)
    request = await authorization.validate_request(
        ctx, client_id=s.client_id, redirect_uri=presented, scope=" ".join(s.scopes)
    )
    assert request.redirect_uri == presented


@pytest.mark.parametrize("presented", ATTACKS.values(), ids=ATTACKS.keys())
def test_redirect_uri_attack_never_matches_any_registered_uri(presented: str) -> None:
    """The pure rule, without storage: no registered URI admits any attack string."""
    assert not redirect_uris.allowed(presented, REGISTERED)


def test_loopback_rule_needs_a_loopback_registration() -> None:
    assert not redirect_uris.allowed("http://127.0.0.1:5000/cb", ["https://app.example.test/cb"])
    assert not redirect_uris.allowed("http://127.0.0.1:5000/cb", ["http://localhost:5000/cb"])
    assert redirect_uris.is_loopback("http://[::1]:80/cb")
    assert not redirect_uris.is_loopback("http://localhost/cb")


async def test_loopback_code_is_bound_to_the_port_it_was_issued_for(
    client: httpx.AsyncClient, ctx: Context
) -> None:
    """The token endpoint compares with the exact URI stored with the code, port included."""
    s = await native_seed(ctx)
    used = "http://127.0.0.1:40123/native/cb"
    code = await mint_code(ctx, s, redirect_uri=used)
    form = {"grant_type": "authorization_code", "code": code, **s.creds()}
    for other in (LOOPBACK_V4, "http://127.0.0.1:40124/native/cb", GOOD):
        wrong = await client.post(TOKEN, data={**form, "redirect_uri": other})
        assert wrong.status_code == 400
        assert wrong.json()["status"] == "MISMATCH_REDIRECT_URI_AUTH_CODE"
    ok = await client.post(TOKEN, data={**form, "redirect_uri": used})
    assert ok.status_code == 200, ok.text


# --- the same attacks through `hubauth authorize` ---------------------------------------------

CLI_ATTACKS = [
    "trailing_slash",
    "host_case_change",
    "extra_query",
    "fragment",
    "encoded_slash_before_at",
    "encoded_percent_before_at",
    "userinfo_double_at",
    "backslash_before_at",
    "dot_dot_segment",
    "tomcat_dot_dot_semicolon",
    "idn_homograph_cyrillic_a",
    "punycode_lookalike",
    "http_downgrade_non_loopback",
    "port_change",
    "loopback_userinfo_port",
    "loopback_as_localhost",
]


@pytest.fixture
def cli_app(database_url: str, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    monkeypatch.setenv("HUBAUTH_SECRET_KEY", TEST_KEY)
    # REGISTERED has loopback IP literals, which only the rfc8252 registration policy allows.
    monkeypatch.setenv("HUBAUTH_REDIRECT_URI_POLICY", "rfc8252")
    runner = CliRunner()
    db = ["--database", database_url]

    def run(*args: str) -> dict[str, object]:
        result = runner.invoke(cli, [*args, *db, "--json"])
        assert result.exit_code == 0, result.output
        return orjson.loads(result.output)

    uris = [arg for uri in REGISTERED for arg in ("--redirect-uri", uri)]
    app = run("apps", "create", "--name", "cli-attack", *uris, "--scopes", "oauth")
    hub = run("hubs", "create", "--domain", "cli-attack.example.test")
    user = run("users", "create", "--email", f"cli-{secrets.token_hex(4)}@example.test")
    return {
        "client_id": str(app["client_id"]),
        "hub_id": str(hub["hub_id"]),
        "user_id": str(user["user_id"]),
        "database": database_url,
    }


def cli_authorize(app: dict[str, str], redirect_uri: str) -> tuple[int, str]:
    result = CliRunner().invoke(
        cli,
        [
            "authorize",
            "--client-id",
            app["client_id"],
            "--hub-id",
            app["hub_id"],
            "--user-id",
            app["user_id"],
            "--scopes",
            "oauth",
            "--redirect-uri",
            redirect_uri,
            "--database",
            app["database"],
        ],
    )
    return result.exit_code, result.output


def test_cli_authorize_refuses_every_redirect_uri_attack(cli_app: dict[str, str]) -> None:
    for name in CLI_ATTACKS:
        code, output = cli_authorize(cli_app, ATTACKS[name])
        assert code == 1, (name, output)
        assert "redirect_uri is not registered" in output, (name, output)
        assert "na1-" not in output, (name, output)


def test_cli_authorize_accepts_loopback_port_variant(cli_app: dict[str, str]) -> None:
    code, output = cli_authorize(cli_app, "http://127.0.0.1:40999/native/cb")
    assert code == 0, output
    assert "redirect_url: http://127.0.0.1:40999/native/cb?code=na1-" in output
