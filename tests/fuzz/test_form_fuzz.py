"""Hypothesis fuzzing of the form and path endpoints, independent of any OpenAPI description:
random form bodies (any names, any values, any bytes), random token path segments and random
methods against the real server must never produce a 5xx, and every error body is one of the
declared contracts."""

from __future__ import annotations

import os
from urllib.parse import quote, urlencode

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support import LiveServer, official_check

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]

EXAMPLES = int(os.environ.get("HUBAUTH_FUZZ_EXAMPLES", "150"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=bool(os.environ.get("CI")),
    database=None,
)

NAMES = st.sampled_from(
    [
        "grant_type",
        "client_id",
        "client_secret",
        "code",
        "redirect_uri",
        "refresh_token",
        "code_verifier",
        "scope",
        "token",
    ]
) | st.text(max_size=20)
VALUES = (
    st.sampled_from(
        ["authorization_code", "refresh_token", "client_credentials", "oauth", "na1-x", ""]
    )
    | st.text(max_size=200)
    | st.text(alphabet="'\";--%\\/\x00 ", max_size=40)
)
FORM_TYPES = st.sampled_from(
    [
        "application/x-www-form-urlencoded",
        "application/x-www-form-urlencoded; charset=utf-8",
        "application/json",
        "text/plain",
        "",
    ]
)


def check(response: httpx.Response) -> None:
    assert response.status_code < 500, (response.status_code, response.text[:500])
    if response.status_code >= 400 and response.content:
        body = response.json()
        if response.status_code == 429:
            official_check("rate-limit", body)
        elif "error" in body:
            official_check("token-error", body)
        else:
            official_check("error", body)


@pytest.fixture(scope="module")
def http(fuzz_server: LiveServer) -> httpx.Client:
    with httpx.Client(base_url=fuzz_server.url, timeout=30) as client:
        yield client


@FUZZ
@given(
    pairs=st.lists(st.tuples(NAMES, VALUES), max_size=12),
    content_type=FORM_TYPES,
    query=st.lists(st.tuples(NAMES, VALUES), max_size=3),
)
def test_random_token_forms_never_get_a_5xx(
    http: httpx.Client,
    pairs: list[tuple[str, str]],
    content_type: str,
    query: list[tuple[str, str]],
) -> None:
    body = urlencode(pairs, errors="surrogatepass").encode()
    url = "/oauth/v1/token" + ("?" + urlencode(query, errors="surrogatepass") if query else "")
    headers = {"content-type": content_type} if content_type else {}
    check(http.post(url, content=body, headers=headers))


@FUZZ
@given(raw=st.binary(max_size=2048), content_type=FORM_TYPES)
def test_random_token_body_bytes_never_get_a_5xx(
    http: httpx.Client, raw: bytes, content_type: str
) -> None:
    headers = {"content-type": content_type} if content_type else {}
    check(http.post("/oauth/v1/token", content=raw, headers=headers))


@FUZZ
@given(
    segment=st.text(min_size=0, max_size=600) | st.binary(max_size=300).map(lambda b: b.hex()),
    method=st.sampled_from(["GET", "DELETE", "POST", "PUT", "PATCH", "HEAD", "OPTIONS"]),
    prefix=st.sampled_from(
        ["/oauth/v1/access-tokens/", "/oauth/v1/refresh-tokens/", "/oauth/v1/", "/oauth/", "/"]
    ),
)
def test_random_paths_and_methods_never_get_a_5xx(
    http: httpx.Client, segment: str, method: str, prefix: str
) -> None:
    path = prefix + quote(segment.encode("utf-8", "surrogatepass"), safe="/")
    check(http.request(method, path))
