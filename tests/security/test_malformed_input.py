"""Malformed and oversized input (RFC 6749 §3.1, §3.2):
every request is answered with a 4xx HubSpot-format error, changes nothing, finishes within a
generous pytest-timeout guard and allocates a bounded amount of memory (tracemalloc peak)."""

from __future__ import annotations

import tracemalloc
from collections.abc import AsyncIterator

import httpx
import pytest

from hubauth.store.sql import SqlStore
from tests.security.helpers import TOKEN
from tests.support import Seed, db_snapshot

pytestmark = pytest.mark.timeout(120)

MB = 1024 * 1024
PEAK_BOUND = 16 * MB
"""Generous: the largest legitimate body is 16 KiB; a handler that buffers an attack body
several times over (or parses 10k scopes into objects) would still blow through this."""

URL_PARAM = 60 * 1024
FORM = {"content-type": "application/x-www-form-urlencoded"}


async def measured(
    client: httpx.AsyncClient, method: str, url: str, **kw: object
) -> httpx.Response:
    tracemalloc.start()
    try:
        response = await client.request(method, url, **kw)  # type: ignore[arg-type]
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < PEAK_BOUND, f"{method} {url[:60]} peaked at {peak} bytes"
    return response


def assert_client_error(response: httpx.Response) -> None:
    assert 400 <= response.status_code < 500, (response.status_code, response.text[:300])
    body = response.json()
    assert body.get("correlationId") == response.headers["x-request-id"]
    assert "message" in body


def bodies(seeded: Seed) -> dict[str, bytes]:
    creds = f"client_id={seeded.client_id}&client_secret={seeded.client_secret}"
    rt = "grant_type=refresh_token&refresh_token=na1-x&" + creds
    return {
        "one_megabyte_body": b"grant_type=refresh_token&x=" + b"a" * MB,
        "sixty_four_kb_parameter": f"{rt}&scope=".encode() + b"a" * (64 * 1024),
        "ten_thousand_scopes_oversized": f"{rt}&scope=".encode() + b"s%20" * 10_000,
        "ten_thousand_scopes_within_limit": f"{rt}&scope=".encode() + b"s " * 7_000,
        "duplicate_parameters": (rt + "&grant_type=authorization_code").encode(),
        "duplicate_client_secret": (rt + "&client_secret=other").encode(),
        "invalid_utf8_raw": b"grant_type=refresh_token&refresh_token=\xff\xfe&" + creds.encode(),
        "invalid_utf8_escaped": f"grant_type=refresh_token&refresh_token=%FF%FE&{creds}".encode(),
        "nul_byte_value": f"grant_type=refresh_token&refresh_token=na1%00x&{creds}".encode(),
        "nul_byte_name": f"grant%00type=refresh_token&{creds}".encode(),
        "sql_meta_client_id": b"grant_type=refresh_token&refresh_token=x&client_id='%20OR%201=1--"
        b"&client_secret=x",
        "sql_meta_refresh_token": (
            "grant_type=refresh_token&refresh_token=na1-'%20OR%20'1'='1';DROP%20TABLE%20apps;--&"
            + creds
        ).encode(),
        "sql_meta_scope": f"{rt}&scope=oauth');DELETE%20FROM%20apps;--".encode(),
        "too_many_parameters": "&".join(f"p{i}=1" for i in range(100)).encode(),
        "lone_surrogate_escaped": (
            f"grant_type=refresh_token&refresh_token=%ED%A0%80&{creds}".encode()
        ),
        "empty_body": b"",
        "only_separators": b"&&&&====&&&&",
        "semicolon_separated": f"grant_type=refresh_token;{creds}".encode(),
        "json_body_as_form": b'{"grant_type":"refresh_token"}',
    }


async def chunks(payload: bytes, size: int = 64 * 1024) -> AsyncIterator[bytes]:
    for i in range(0, len(payload), size):
        yield payload[i : i + size]


@pytest.mark.parametrize(
    "name",
    list(bodies(Seed(0, "c", "s", 0, "d", 0, "e", "p", "r", (), ())).keys()),
)
async def test_malformed_token_body_is_a_bounded_client_error(
    client: httpx.AsyncClient, store: SqlStore, seeded: Seed, name: str
) -> None:
    payload = bodies(seeded)[name]
    before = await db_snapshot(store)
    assert_client_error(await measured(client, "POST", TOKEN, content=payload, headers=FORM))
    assert await db_snapshot(store) == before


async def test_one_megabyte_chunked_body_without_length_is_refused_early(
    client: httpx.AsyncClient,
) -> None:
    payload = b"grant_type=refresh_token&x=" + b"a" * MB
    response = await measured(client, "POST", TOKEN, content=chunks(payload), headers=FORM)
    assert response.status_code == 413


@pytest.mark.parametrize(
    "headers",
    [
        {"content-type": "application/json"},
        {"content-type": "multipart/form-data; boundary=x"},
        {"content-type": "text/plain"},
        {},
        {**FORM, "content-length": "12abc"},
        {**FORM, "content-length": "-1"},
        {**FORM, "content-length": "99999999999999999999"},
    ],
    ids=["json", "multipart", "text", "none", "length-garbage", "length-negative", "length-huge"],
)
async def test_wrong_or_lying_headers_are_client_errors(
    client: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    response = await measured(
        client, "POST", TOKEN, content=b"grant_type=refresh_token", headers=headers
    )
    assert_client_error(response)


PATHS = {
    # httpx refuses URLs over 64 KiB, so URL-borne "64 KB" inputs stop just short of that
    "sixty_kb_segment": "C" * URL_PARAM,
    "ten_thousand_segments": "/".join(["a"] * 10_000),
    "dot_dot": "../../../../etc/passwd",
    "encoded_dot_dot": "..%2F..%2F..%2Fetc%2Fpasswd",
    "nul": "na1-%00",
    "invalid_utf8": "%FF%FE%FD",
    "overlong_utf8": "%C0%AF",
    "sql_meta": "'%20OR%201=1--",
    "sql_union": "x'%20UNION%20SELECT%20token_hash%20FROM%20refresh_tokens--",
    "crlf": "na1-x%0D%0ASet-Cookie:%20a=b",
    "format_string": "%25s%25s%25n%25x",
    "unicode_bidi": "%E2%80%AEna1-x",
    "empty_looking": "%20",
}


@pytest.mark.parametrize("path", PATHS.values(), ids=PATHS.keys())
@pytest.mark.parametrize(
    ("method", "prefix"),
    [
        ("GET", "/oauth/v1/access-tokens/"),
        ("GET", "/oauth/v1/refresh-tokens/"),
        ("DELETE", "/oauth/v1/refresh-tokens/"),
    ],
    ids=["access-metadata", "refresh-metadata", "refresh-delete"],
)
async def test_absurd_token_path_segment_is_a_bounded_client_error(
    client: httpx.AsyncClient, store: SqlStore, method: str, prefix: str, path: str
) -> None:
    before = await db_snapshot(store)
    response = await measured(client, method, prefix + path)
    assert_client_error(response)
    assert "crlf" not in path or "set-cookie" not in response.headers
    assert await db_snapshot(store) == before


async def test_oversized_query_string_is_a_bounded_client_error(
    client: httpx.AsyncClient, seeded: Seed
) -> None:
    response = await measured(
        client,
        "POST",
        TOKEN,
        params={"client_secret": "s" * URL_PARAM},
        data={"grant_type": "refresh_token", "refresh_token": "na1-x", "client_id": "x"},
    )
    assert_client_error(response)
