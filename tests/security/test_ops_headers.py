"""The smaller observations of issue 15, against ``hubauth serve``: ``/docs`` and ``/metrics``
had no framing protection and no ``Cache-Control``, although every answer is meant to be
no-store."""

from __future__ import annotations

from collections.abc import Callable

import httpx

from tests.support import METRICS_AUTH, LiveServer


async def test_docs_and_metrics_are_not_cached_and_docs_is_not_framed(
    live_server: Callable[..., LiveServer],
) -> None:
    server = live_server()
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as http:
        docs = await http.get("/docs")
        metrics = await http.get("/metrics", headers=METRICS_AUTH)
        openapi = await http.get("/openapi.json")
    for response in (docs, metrics, openapi):
        assert response.status_code == 200
        assert response.headers["cache-control"] == "no-store"
    assert docs.headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in docs.headers["content-security-policy"]
