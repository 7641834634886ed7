"""``GET /docs``: a readable API reference rendered on the server from the OpenAPI description.

One self-contained HTML page: inline CSS, no scripts, no fonts or assets from anywhere else
(its Content-Security-Policy forbids them), so it works offline and leaks nothing to a CDN.
Every value taken from the description is HTML-escaped.
"""

from __future__ import annotations

import re
from html import escape
from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from hubauth.contracts.openapi import INT32_MAX, INT32_MIN
from hubauth.web.openapi import SCHEMAS_REF, document_of

HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    # No framing (clickjacking) and no caching, like every other answer (docs/security.md).
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
}
_METHOD_ORDER = ("get", "post", "put", "patch", "delete")
_STYLE = """
body{font:15px/1.5 system-ui,sans-serif;margin:0 auto;max-width:60rem;padding:1rem 2rem;color:#222}
h1{margin-bottom:0}h2{border-bottom:1px solid #ccc;margin-top:2.5rem}
h3{font-size:1.05rem;margin:2rem 0 .3rem}code{font:13px ui-monospace,monospace}
.m{display:inline-block;min-width:4.5rem;padding:.1rem .4rem;border-radius:3px;color:#fff;
font:bold 12px ui-monospace,monospace;text-align:center;margin-right:.4rem}
.get{background:#2b6cb0}.post{background:#2f855a}.delete{background:#c53030}
.put,.patch{background:#b7791f}
table{border-collapse:collapse;margin:.4rem 0 1rem;width:100%}
th,td{border:1px solid #ddd;padding:.25rem .5rem;text-align:left;vertical-align:top}
th{background:#f5f5f5}.muted{color:#666}nav ul{columns:2}
"""


_INLINE_CODE = re.compile(r"``(.+?)``|`([^`]+?)`")


def _prose(text: object) -> str:
    """Escaped description text with Markdown/RST inline code (`x`, ``x``) as <code>: the
    descriptions come from docstrings and contracts, which use both (issue 17: the page
    showed raw backticks)."""
    return _INLINE_CODE.sub(
        lambda m: f"<code>{m[1] or m[2]}</code>", escape(str(text), quote=False)
    )


def _anchor(name: str) -> str:
    return "schema-" + "".join(c if c.isalnum() or c in "-_." else "-" for c in name)


def type_text(schema: dict[str, Any]) -> str:
    """A short, escaped, human reading of a translated schema (links for references)."""
    if "$ref" in schema:
        name = str(schema["$ref"]).removeprefix(SCHEMAS_REF)
        return f'<a href="#{_anchor(name)}">{escape(name)}</a>'
    kind = schema.get("type")
    if kind == "integer" and (schema.get("minimum"), schema.get("maximum")) == (
        INT32_MIN,
        INT32_MAX,
    ):
        text = "int32"
    elif kind == "string" and schema.get("format"):
        text = escape(str(schema["format"]))
    elif kind == "array":
        text = "array of " + type_text(schema.get("items", {}))
    elif kind == "object" and isinstance(schema.get("additionalProperties"), dict):
        text = "map of " + type_text(schema["additionalProperties"])
    elif kind is None:
        text = "any"
    else:
        text = escape(str(kind))
    if "maxLength" in schema:
        text += f" (≤ {int(schema['maxLength'])} chars)"
    if "const" in schema:
        text += f" = <code>{escape(repr(schema['const']))}</code>"
    if "enum" in schema:
        text += ", one of " + ", ".join(f"<code>{escape(str(v))}</code>" for v in schema["enum"])
    return text


def _properties_table(schema: dict[str, Any]) -> str:
    props = schema.get("properties", {})
    if not props:
        return f"<p>{type_text(schema)}</p>"
    required = set(schema.get("required", ()))
    rows = "".join(
        f"<tr><td><code>{escape(name)}</code></td><td>{type_text(prop)}</td>"
        f"<td>{'yes' if name in required else ''}</td>"
        f"<td>{_prose(prop.get('description', ''))}</td></tr>"
        for name, prop in props.items()
    )
    return (
        "<table><tr><th>Field</th><th>Type</th><th>Required</th><th>Description</th></tr>"
        f"{rows}</table>"
    )


def _parameters(op: dict[str, Any]) -> str:
    params = op.get("parameters", [])
    if not params:
        return ""
    rows = "".join(
        f"<tr><td><code>{escape(p['name'])}</code></td><td>{escape(p['in'])}</td>"
        f"<td>{type_text(p.get('schema', {}))}</td><td>{'yes' if p.get('required') else ''}</td>"
        f"<td>{_prose(p.get('description', ''))}</td></tr>"
        for p in params
    )
    return (
        "<h4>Parameters</h4><table><tr><th>Name</th><th>In</th><th>Type</th><th>Required</th>"
        f"<th>Description</th></tr>{rows}</table>"
    )


def _body_and_responses(op: dict[str, Any]) -> str:
    out = []
    body = op.get("requestBody")
    if body:
        for media, content in body.get("content", {}).items():
            out.append(
                f"<h4>Request body</h4><p><code>{escape(media)}</code>: "
                f"{type_text(content.get('schema', {}))}</p>"
            )
    rows = []
    for status, response in op.get("responses", {}).items():
        content = response.get("content") or {}
        what = "; ".join(
            f"<code>{escape(media)}</code>"
            + (f" {type_text(c['schema'])}" if c.get("schema") else "")
            for media, c in content.items()
        )
        rows.append(
            f"<tr><td>{escape(status)}</td><td>{_prose(response.get('description', ''))}</td>"
            f"<td>{what or '<span class=muted>empty</span>'}</td></tr>"
        )
    out.append(
        "<h4>Responses</h4><table><tr><th>Status</th><th>Meaning</th><th>Body</th></tr>"
        + "".join(rows)
        + "</table>"
    )
    return "".join(out)


def _method_rank(method: str) -> tuple[int, str]:
    order = _METHOD_ORDER.index(method) if method in _METHOD_ORDER else len(_METHOD_ORDER)
    return order, method


def render(document: dict[str, Any]) -> str:
    info = document["info"]
    nav, sections = [], []
    for path, item in document["paths"].items():
        for method in sorted(item, key=_method_rank):
            op = item[method]
            anchor = escape(op["operationId"])
            label = f'<span class="m {method}">{method.upper()}</span><code>{escape(path)}</code>'
            nav.append(f'<li><a href="#{anchor}">{label}</a></li>')
            sections.append(
                f'<section id="{anchor}"><h3>{label}</h3><p>{_prose(op.get("summary", ""))}</p>'
                f"{_parameters(op)}{_body_and_responses(op)}</section>"
            )
    schemas = "".join(
        f'<section id="{_anchor(name)}"><h3>{escape(name)}</h3>'
        f"<p>{_prose(schema.get('description', ''))}</p>{_properties_table(schema)}</section>"
        for name, schema in document["components"]["schemas"].items()
    )
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>{escape(info['title'])} API reference</title><style>{_STYLE}</style></head>"
        f"<body><h1>{escape(info['title'])} API reference</h1>"
        f'<p class="muted">Version {escape(info["version"])}'
        f" · OpenAPI {escape(document['openapi'])}"
        ' · machine-readable: <a href="/openapi.json">/openapi.json</a></p>'
        f"<p>{_prose(info.get('description', ''))}</p>"
        f"<nav><h2>Endpoints</h2><ul>{''.join(nav)}</ul></nav>"
        f"<main>{''.join(sections)}<h2>Schemas</h2>{schemas}</main></body></html>"
    )


async def docs_page(request: Request) -> Response:
    state = request.app.state
    page = getattr(state, "reference_page", None)
    if page is None:
        page = state.reference_page = render(document_of(request))
    return HTMLResponse(page, headers=HEADERS)
