"""HTML pages: Jinja2 rendering (autoescaped) and the headers every page and redirect carries.

* ``X-Frame-Options: DENY`` and CSP ``frame-ancestors 'none'`` stop framing (clickjacking of
  the consent button; RFC 6749 §10.13, RFC 9700 §4.16).
* ``default-src 'self'``: only the self-hosted stylesheet loads; there is no script at all.
  ``form-action`` lists our own origin plus, on pages that can send the user back to the
  app, the redirect URI's origin (Chromium applies ``form-action`` to the redirect that
  follows a form post).
* ``Referrer-Policy: no-referrer``: the page URL never leaks to the app or anyone else.
* ``Cache-Control: no-store``: pages carry a CSRF token and personal data.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from starlette.responses import HTMLResponse, Response

_HERE = Path(__file__).resolve().parent
TEMPLATES = _HERE / "templates"
STATIC = _HERE / "static"

_env = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(default=True, default_for_string=True),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


def csp_source(uri: str | None) -> str | None:
    """The CSP source expression (CSP3 §2.3.1) naming ``uri``'s origin, or its scheme for
    private-use schemes (``com.example.app:/cb``, RFC 8252 §7.1)."""
    if not uri:
        return None
    parts = urlsplit(uri)
    if not parts.scheme or any(c in uri for c in " ;,'\"\r\n"):
        return None
    if parts.scheme in ("http", "https"):
        return f"{parts.scheme}://{parts.netloc}" if parts.netloc else None
    return f"{parts.scheme}:"


def security_headers(form_target: str | None = None) -> dict[str, str]:
    form_action = "'self'"
    extra = csp_source(form_target)
    if extra:
        form_action += " " + extra
    csp = (
        "default-src 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'; "
        f"form-action {form_action}"
    )
    return {
        "Content-Security-Policy": csp,
        "X-Frame-Options": "DENY",
        "Referrer-Policy": "no-referrer",
        "Cache-Control": "no-store",
        "Pragma": "no-cache",
        "X-Content-Type-Options": "nosniff",
    }


def render(
    template: str,
    status_code: int = 200,
    *,
    form_target: str | None = None,
    headers: dict[str, str] | None = None,
    **context: Any,
) -> HTMLResponse:
    html = _env.get_template(template).render(**context)
    merged = security_headers(form_target)
    if headers:
        merged.update(headers)
    return HTMLResponse(html, status_code=status_code, headers=merged)


def redirect(url: str, status_code: int) -> Response:
    """A bare redirect with the page headers (no body to frame, but no cache either)."""
    return Response(status_code=status_code, headers={"Location": url, **security_headers()})
