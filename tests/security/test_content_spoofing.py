"""Error pages do not echo attacker-chosen text (issue 15, problem 8), against ``hubauth
serve``: ``/oauth/authorize?<text>=1&<text>=2`` used to print "parameter '<text>' is repeated"
on hubauth's own page (escaped, so no XSS, but in words the link's author chose)."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import quote

import httpx
import pytest

from tests.support import LiveServer, Seed

SPOOF = "Your account is locked. Call +1 555 0100 to unlock it"


@pytest.mark.parametrize(
    "query",
    [
        f"{quote(SPOOF)}=1&{quote(SPOOF)}=2",
        "client_id={cid}&" + f"{quote(SPOOF)}=1&{quote(SPOOF)}=2",
        "client_id={cid}&client_id=" + quote(SPOOF),
        "client_id={cid}&state=" + quote(SPOOF) + "&state=x",
    ],
    ids=["name-only", "with-client", "repeated-client-id", "repeated-state"],
)
async def test_malformed_install_links_do_not_print_the_links_words(
    live_server: Callable[..., LiveServer], seeded: Seed, query: str
) -> None:
    server = live_server()
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as http:
        page = await http.get("/oauth/authorize?" + query.format(cid=seeded.client_id))
    assert page.status_code == 400
    assert "malformed" in page.text
    assert "Your account is locked" not in page.text
    assert "555 0100" not in page.text
