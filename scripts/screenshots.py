"""Screenshots of the install pages at laptop and phone widths, and of the developer
dashboard (``hubauth serve --dev``), for docs/screenshots/.

Runs a real ``hubauth serve`` on a throw-away SQLite database, seeds an app and a user in two
accounts, and drives Debian's Chromium through Playwright (the browser tests' set-up):

    .venv/bin/python scripts/screenshots.py [--out docs/screenshots] [--only install|dashboard]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "src")]

from playwright.sync_api import Page, sync_playwright  # noqa: E402
from tests.browser.chromium import CHROMIUM, LAUNCH_ARGS, missing_reason  # noqa: E402
from tests.support import TEST_KEY, LiveServer  # noqa: E402

from hubauth.core.audit import null_audit  # noqa: E402
from hubauth.core.clock import SystemClock  # noqa: E402
from hubauth.core.context import Context  # noqa: E402
from hubauth.core.passwords import hash_password  # noqa: E402
from hubauth.core.tokens import TokenHasher, new_client_id, new_client_secret  # noqa: E402
from hubauth.store import migrate  # noqa: E402
from hubauth.store.sql import SqlStore  # noqa: E402

VIEWPORTS = {
    "laptop": {"viewport": {"width": 1366, "height": 820}, "device_scale_factor": 1},
    "phone": {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2},
}
EMAIL = "alex.morgan@example.com"
PASSWORD = "screenshot-password"
REDIRECT_URI = "https://sync.acme.example/oauth/callback"


async def _seed(url: str) -> str:
    store = SqlStore.from_url(url, pool_size=1)
    try:
        await migrate.upgrade(store.engine)
        ctx = Context(
            store=store,
            clock=SystemClock(),
            hasher=TokenHasher(TEST_KEY.encode()),
            audit=null_audit,
        )
        now = ctx.now_ms()
        app = await store.create_app(
            client_id=new_client_id(),
            client_secret_hash=ctx.hasher.hash_secret(new_client_secret()),
            client_secret_key_id=ctx.hasher.key_id,
            name="Acme Contact Sync",
            redirect_uris=[REDIRECT_URI],
            scopes=("oauth", "crm.objects.contacts.read", "crm.objects.companies.read"),
            optional_scopes=("crm.objects.contacts.write", "crm.objects.deals.read"),
            now_ms=now,
        )
        user = await store.create_user(EMAIL, hash_password(PASSWORD), now_ms=now)
        for domain in ("acme-marketing.example", "acme-sales-emea.example"):
            hub = await store.create_hub(domain, now_ms=now)
            await store.add_hub_member(hub.hub_id, user.user_id)
        return app.client_id
    finally:
        await store.close()


def _install_url(base: str, client_id: str, **extra: str) -> str:
    params = {
        "client_id": client_id,
        "redirect_uri": REDIRECT_URI,
        "scope": "oauth crm.objects.contacts.read crm.objects.companies.read",
        "optional_scope": "crm.objects.contacts.write crm.objects.deals.read",
        "state": "screenshot",
        **extra,
    }
    return f"{base}/oauth/authorize?" + urlencode(params)


def _shoot(page: Page, out: Path, name: str, width: str) -> None:
    path = out / f"{name}-{width}.png"
    # A phone shows what fits its screen (the consent decision must be there without
    # scrolling, issue 17); a full-page capture would strand the sticky actions mid-page.
    page.screenshot(path=str(path), full_page=width != "phone")
    print(f"wrote {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUBAUTH_")}
    env.update(
        HUBAUTH_SECRET_KEY=TEST_KEY, HUBAUTH_LOG_LEVEL="warning", PYTHONPATH=str(ROOT / "src")
    )
    return env


def dashboard(out: Path) -> None:
    """The developer dashboard after an install, a clock advance and a queued failure."""
    import httpx

    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/dashboard.db"
        asyncio.run(_migrate(url))
        server = LiveServer(url, _env(), extra_args=["--dev"])
        try:
            with httpx.Client(base_url=server.url + "/_hubauth", timeout=10) as c:
                app = c.post(
                    "/apps",
                    json={
                        "name": "Acme Contact Sync",
                        "redirect_uris": [REDIRECT_URI],
                        "scopes": "oauth crm.objects.contacts.read",
                        "optional_scopes": "crm.objects.deals.read",
                    },
                ).json()
                hub = c.post("/hubs", json={"domain": "acme-marketing.example"}).json()
                user = c.post("/users", json={"email": EMAIL, "hubs": [hub["hub_id"]]}).json()
                install = {"client_id": app["client_id"], "hub_id": hub["hub_id"]}
                c.post("/installs/tokens", json={**install, "user_id": user["user_id"]})
                c.post("/clock/advance", json={"seconds": 600})
                c.post("/installs/tokens", json={**install, "user_id": user["user_id"]})
                c.post("/faults", json={"kind": "refresh", "count": 2})
                c.post(
                    "/faults",
                    json={
                        "kind": "request",
                        "status": 429,
                        "retry_after": 10,
                        "path_prefix": "/oauth/v1/token",
                    },
                )
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
                page = browser.new_page(viewport={"width": 1366, "height": 820})
                page.goto(server.url + "/_hubauth/")
                _shoot(page, out, "dev-dashboard", "laptop")
                browser.close()
        finally:
            server.stop()


async def _migrate(url: str) -> None:
    store = SqlStore.from_url(url, pool_size=1)
    try:
        await migrate.upgrade(store.engine)
    finally:
        await store.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument("--only", choices=["install", "dashboard"], default=None)
    args = parser.parse_args()
    reason = missing_reason()
    if reason:
        print(reason, file=sys.stderr)
        return 1
    args.out.mkdir(parents=True, exist_ok=True)
    if args.only != "install":
        dashboard(args.out)
    if args.only == "dashboard":
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/screens.db"
        client_id = asyncio.run(_seed(url))
        server = LiveServer(url, _env())
        try:
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
                for width, options in VIEWPORTS.items():
                    context = browser.new_context(**options)  # type: ignore[arg-type]
                    page = context.new_page()
                    page.goto(_install_url(server.url, client_id))
                    _shoot(page, args.out, "sign-in", width)
                    page.get_by_label("E-mail address").fill(EMAIL)
                    page.get_by_label("Password").fill("wrong")
                    page.get_by_role("button", name="Sign in").click()
                    page.get_by_role("alert").wait_for()
                    _shoot(page, args.out, "sign-in-error", width)
                    page.get_by_label("Password").fill(PASSWORD)
                    page.get_by_role("button", name="Sign in").click()
                    page.get_by_role("heading", name="Choose an account").wait_for()
                    _shoot(page, args.out, "account-chooser", width)
                    page.get_by_role("button", name="Continue").click()
                    page.get_by_role("button", name="Connect app").wait_for()
                    page.get_by_label("View deals in the CRM").check()
                    _shoot(page, args.out, "consent", width)
                    page.goto(
                        _install_url(server.url, client_id, redirect_uri="https://evil.example/")
                    )
                    _shoot(page, args.out, "error", width)
                    context.close()
                browser.close()
        finally:
            server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
