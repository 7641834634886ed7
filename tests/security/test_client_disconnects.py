"""Aborted uploads are not server errors (issue 15, problem 6), against ``hubauth serve``:
before, 20 uploads closed mid-body were counted as 20 answers with status 500 and wrote about
140 kB of ERROR tracebacks."""

from __future__ import annotations

import socket
from collections.abc import Callable
from urllib.parse import urlsplit

import httpx
from prometheus_client.parser import text_string_to_metric_families

from tests.support import METRICS_AUTH, LiveServer

PATHS = ("/oauth/v1/token", "/oauth/v3/token/introspect", "/oauth/authorize/sign-in")


def _abort_upload(url: str, path: str) -> None:
    """Announce 5000 bytes of form, send half, hang up."""
    parts = urlsplit(url)
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as sock:
        head = (
            f"POST {path} HTTP/1.1\r\nHost: {parts.netloc}\r\n"
            "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 5000\r\n\r\n"
        )
        sock.sendall(head.encode() + b"grant_type=refresh_token&refresh_token=" + b"a" * 2460)


def test_aborted_uploads_are_no_server_errors(
    live_server: Callable[..., LiveServer], server_env: dict[str, str]
) -> None:
    server = live_server(log_level="info")
    for i in range(21):
        _abort_upload(server.url, PATHS[i % len(PATHS)])
    # the server is fine and answers the next request normally
    assert httpx.get(server.url + "/healthz", timeout=10).status_code == 200
    text = httpx.get(server.url + "/metrics", headers=METRICS_AUTH, timeout=10).text
    statuses = {
        s.labels["status"]
        for family in text_string_to_metric_families(text)
        for s in family.samples
        if s.name == "hubauth_http_requests_total"
    }
    assert not any(status.startswith("5") for status in statuses), statuses
    output = server.stop()
    assert "Traceback" not in output
    assert '"level":"error"' not in output.replace(" ", "").lower()
    disconnects = [line for line in output.splitlines() if "client disconnected" in line]
    assert 0 < len(disconnects) <= 21, output[-2000:]
