"""The redirect-URI registration policy (``HUBAUTH_REDIRECT_URI_POLICY``): HubSpot's rules by
default, RFC 8252 loopback IP literals as a setting; applied by ``hubauth apps create`` and by
the seeding of the pytest plugin's server; one message per problem."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from hubauth.core.redirect_uris import (
    RedirectUriRefused,
    RegistrationPolicy,
    check_registration,
    registration_problems,
)
from hubauth.testing.server import HubAuthServer, ServerConfig
from tests.support import hubauth_cmd

HUBSPOT = RegistrationPolicy.HUBSPOT
RFC8252 = RegistrationPolicy.RFC8252

ACCEPTED_BY_BOTH = [
    "https://app.example.com/oauth/callback",
    "https://app.example.com:8443/cb?tenant=a",
    "http://localhost:3000/oauth-callback",
    "http://localhost/cb",
]

#: Each breaks exactly one rule, under both policies; the expected words name that rule.
REFUSED_BY_BOTH = {
    "fragment": ("http://localhost:3000/cb#frag", "fragment"),
    "userinfo": ("https://user:pw@app.example.com/cb", "userinfo"),
    "space": ("https://app.example.com/my cb", "whitespace"),
    "crlf": ("https://app.example.com/cb\r\nLocation: https://evil.test", "control character"),
    "tab": ("https://app.example.com/\tcb", "whitespace"),
    "nul": ("https://app.example.com/cb\x00", "control character"),
    "bare_scheme": ("http://", "no host"),
    "relative": ("/oauth/callback", "absolute http(s)"),
    "other_scheme": ("ftp://app.example.com/cb", "absolute http(s)"),
    "custom_scheme": ("com.example.app:/cb", "absolute http(s)"),
    "plain_http_public": ("http://app.example.com/cb", "plain http"),
    "public_ipv4": ("https://203.0.113.7/cb", "IP address"),
    "public_ipv6": ("https://[2001:db8::1]/cb", "IP address"),
    "backslash": ("https://app.example.com/a\\b", "backslash"),
    "bad_port": ("https://app.example.com:99999/cb", "invalid port"),
}

LOOPBACK = ["http://127.0.0.1/cb", "http://127.0.0.1:51004/native/cb", "http://[::1]:8080/cb"]


@pytest.mark.parametrize("policy", [HUBSPOT, RFC8252])
@pytest.mark.parametrize("uri", ACCEPTED_BY_BOTH)
def test_https_and_http_localhost_uris_are_registrable(
    uri: str, policy: RegistrationPolicy
) -> None:
    assert registration_problems(uri, policy) == []


@pytest.mark.parametrize("policy", [HUBSPOT, RFC8252])
@pytest.mark.parametrize("case", sorted(REFUSED_BY_BOTH))
def test_each_broken_rule_is_refused_with_one_message_naming_it(
    case: str, policy: RegistrationPolicy
) -> None:
    uri, words = REFUSED_BY_BOTH[case]
    problems = registration_problems(uri, policy)
    assert len(problems) == 1, problems
    assert words in problems[0]


@pytest.mark.parametrize("uri", LOOPBACK)
def test_loopback_ip_literals_are_refused_by_hubspot_policy_and_allowed_by_rfc8252(
    uri: str,
) -> None:
    (problem,) = registration_problems(uri, HUBSPOT)
    assert "IP address" in problem and "rfc8252" in problem
    assert registration_problems(uri, RFC8252) == []


def test_several_problems_are_each_reported() -> None:
    with pytest.raises(RedirectUriRefused) as refused:
        check_registration(
            ["https://ok.example.com/cb", "http://user@app.example.com/cb#x"], HUBSPOT
        )
    problems = refused.value.problems
    assert len(problems) == 3
    assert all(p.startswith("'http://user@app.example.com/cb#x'") for p in problems)
    assert {"fragment", "userinfo", "plain http"} == {
        word for word in ("fragment", "userinfo", "plain http") for p in problems if word in p
    }


def _apps_create(
    database_url: str, env: dict[str, str], *uris: str
) -> subprocess.CompletedProcess[str]:
    args = ["apps", "create", "--name", "x", "--scopes", "oauth", "--json"]
    for uri in uris:
        args += ["--redirect-uri", uri]
    return subprocess.run(
        hubauth_cmd(*args, "--database", database_url),
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_cli_apps_create_applies_the_policy(database_url: str, server_env: dict[str, str]) -> None:
    refused = _apps_create(database_url, server_env, "http://localhost:3000/cb#frag")
    loopback = _apps_create(database_url, server_env, "http://127.0.0.1:4000/cb")
    native_env = {**server_env, "HUBAUTH_REDIRECT_URI_POLICY": "rfc8252"}
    native = _apps_create(database_url, native_env, "http://127.0.0.1:4000/cb")
    created = _apps_create(database_url, server_env, "https://app.example.com/cb")

    assert refused.returncode == 2 and "fragment" in refused.stderr
    assert loopback.returncode == 2 and "IP address" in loopback.stderr
    assert native.returncode == 0, native.stderr
    assert created.returncode == 0, created.stderr
    assert set(json.loads(created.stdout)) == {"app_id", "client_id", "client_secret"}


def test_pytest_plugin_server_refuses_an_unregistrable_redirect_uri(tmp_path: Path) -> None:
    server = HubAuthServer(tmp_path, ServerConfig(redirect_uri="http://127.0.0.1:8765/cb"))
    with pytest.raises(RuntimeError, match="IP address") as failed:
        server.start()
    assert isinstance(failed.value.__cause__, RedirectUriRefused)
    (tmp_path / "native").mkdir()
    native = HubAuthServer(
        tmp_path / "native",
        ServerConfig(
            redirect_uri="http://127.0.0.1:8765/cb",
            settings={"redirect_uri_policy": "rfc8252"},
        ),
    )
    native.start()
    try:
        assert native.mint_code()
    finally:
        native.stop()
