"""Helpers shared by the attack-suite modules."""

from __future__ import annotations

import logging
from typing import Any

import httpx
import orjson

from hubauth.core.context import Context
from hubauth.logs import JsonFormatter
from hubauth.web.app import route_table
from tests.support import Seed, mint_code

TOKEN = "/oauth/v1/token"


class LogCapture(logging.Handler):
    """Keeps records and their JSON-line rendering (the production formatter)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []
        self.lines: list[str] = []
        self._formatter = JsonFormatter()

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)
        self.lines.append(self._formatter.format(record))

    def events(self, name: str | None = None) -> list[dict[str, Any]]:
        """Audit events (the JSON ``audit`` object of each audit line), optionally by name."""
        out = []
        for line in self.lines:
            entry = orjson.loads(line)
            audit = entry.get("audit")
            if audit and (name is None or audit["event"] == name):
                out.append(audit)
        return out

    def text(self) -> str:
        return "\n".join(self.lines)


def code_form(s: Seed, code: str, **extra: str) -> dict[str, str]:
    return {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": s.redirect_uri,
        **s.creds(),
        **extra,
    }


def refresh_form(s: Seed, refresh_token: str, **extra: str) -> dict[str, str]:
    return {"grant_type": "refresh_token", "refresh_token": refresh_token, **s.creds(), **extra}


async def exchange(client: httpx.AsyncClient, s: Seed, code: str, **extra: str) -> httpx.Response:
    return await client.post(TOKEN, data=code_form(s, code, **extra))


async def issue(client: httpx.AsyncClient, ctx: Context, s: Seed, **mint: Any) -> dict[str, Any]:
    """A fresh token pair for ``s`` (asserts success)."""
    response = await exchange(client, s, await mint_code(ctx, s, **mint))
    assert response.status_code == 200, response.text
    return response.json()


async def refresh(client: httpx.AsyncClient, s: Seed, rt: str, **extra: str) -> httpx.Response:
    return await client.post(TOKEN, data=refresh_form(s, rt, **extra))


async def access_alive(client: httpx.AsyncClient, token: str) -> bool:
    response = await client.get(f"/oauth/v1/access-tokens/{token}")
    assert response.status_code in (200, 401), response.text
    return response.status_code == 200


async def refresh_alive(client: httpx.AsyncClient, token: str) -> bool:
    response = await client.get(f"/oauth/v1/refresh-tokens/{token}")
    assert response.status_code in (200, 404), response.text
    return response.status_code == 200


def has_route(path: str, method: str = "POST") -> bool:
    """Is ``method path`` in the route table? (Checks on endpoints other branches add run
    once those endpoints exist.)"""
    return any(
        getattr(r, "path", None) == path and method in (getattr(r, "methods", None) or ())
        for r in route_table()
    )
