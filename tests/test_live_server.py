"""The whole v1 lifecycle over real HTTP against `hubauth serve` (granian), on both databases,
every body checked against its contract with the official json-structure package."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator

import httpx
import orjson
import pytest

from tests.support import LiveServer, hubauth_cmd, official_check


def cli_json(env: dict[str, str], *args: str) -> dict[str, object]:
    out = subprocess.run(hubauth_cmd(*args, "--json"), env=env, capture_output=True, check=True)
    return orjson.loads(out.stdout)


@pytest.fixture
def live(database_url: str, server_env: dict[str, str]) -> Iterator[LiveServer]:
    server = LiveServer(database_url, server_env)
    yield server
    server.stop()


def test_full_v1_lifecycle_over_http(
    live: LiveServer, database_url: str, server_env: dict[str, str]
) -> None:
    env, db = server_env, ["--database", database_url]
    redirect = "https://integration.example.test/oauth/callback"
    app = cli_json(
        env,
        "apps",
        "create",
        "--name",
        "Live",
        "--redirect-uri",
        redirect,
        "--scopes",
        "oauth crm.objects.contacts.read",
        *db,
    )
    hub = cli_json(env, "hubs", "create", "--domain", "live.example.test", *db)
    user = cli_json(env, "users", "create", "--email", f"live-{hub['hub_id']}@example.test", *db)
    minted = cli_json(
        env,
        "authorize",
        "--client-id",
        str(app["client_id"]),
        "--hub-id",
        str(hub["hub_id"]),
        "--user-id",
        str(user["user_id"]),
        "--scopes",
        "oauth crm.objects.contacts.read",
        "--redirect-uri",
        redirect,
        "--state",
        "s 1&2",
        *db,
    )
    assert str(minted["redirect_url"]).startswith(redirect + "?code=na1-")
    assert str(minted["redirect_url"]).endswith("&state=s%201%262")
    creds = {"client_id": str(app["client_id"]), "client_secret": str(app["client_secret"])}

    with httpx.Client(base_url=live.url, timeout=10) as http:
        r = http.post(
            "/oauth/v1/token",
            data={
                "grant_type": "authorization_code",
                "code": str(minted["code"]),
                "redirect_uri": redirect,
                **creds,
            },
        )
        assert r.status_code == 200, r.text
        official_check("token-response", r.json())
        rt, at = r.json()["refresh_token"], r.json()["access_token"]

        r = http.post(
            "/oauth/v1/token", data={"grant_type": "refresh_token", "refresh_token": rt, **creds}
        )
        assert r.status_code == 200
        official_check("token-response", r.json())
        assert r.json()["refresh_token"] == rt

        r = http.get(f"/oauth/v1/access-tokens/{at}")
        assert r.status_code == 200
        official_check("access-token-metadata", r.json())
        assert r.json()["hub_id"] == hub["hub_id"]

        r = http.get(f"/oauth/v1/refresh-tokens/{rt}")
        assert r.status_code == 200
        official_check("refresh-token-metadata", r.json())
        assert r.json()["user"] == user["email"]

        assert http.delete(f"/oauth/v1/refresh-tokens/{rt}").status_code == 204
        r = http.get(f"/oauth/v1/refresh-tokens/{rt}")
        assert r.status_code == 404
        official_check("error", r.json())
        r = http.post(
            "/oauth/v1/token", data={"grant_type": "refresh_token", "refresh_token": rt, **creds}
        )
        assert r.status_code == 400
        official_check("token-error", r.json())
        assert r.json()["status"] == "BAD_REFRESH_TOKEN"
