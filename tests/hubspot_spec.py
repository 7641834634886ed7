"""HubSpot's published OpenAPI specs of the OAuth API, and the check of a response body against
them with OAS 3.0 semantics (``openapi-schema-validator``: int32/int64 bounds, uuid and enums
enforced by its OAS 3.0 format checker).

The specs are reference material outside the repository
(``../shared/spec/hubspot-openapi/oauth-{v1,v3,2026-03,2026-09}.json``, or
``HUBAUTH_HUBSPOT_SPECS``): where they are missing the checks fail when ``CI`` is set and are
skipped with a reason otherwise.

The suite-wide recorder (``tests/conftest.py``) hands every response that hubauth sends for one
of these operations to :func:`problems`; what it reports is a divergence from HubSpot's
published API unless it is listed in :data:`KEPT_DIVERGENCES` (each with its reason, and the
matching row of docs/decisions.md, "HubSpot's published spec vs hubauth").
"""

from __future__ import annotations

import functools
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
from openapi_schema_validator import OAS30Validator, oas30_format_checker

from tests.support import ROOT

SPEC_VERSIONS = ("v1", "v3", "2026-03", "2026-09")


def spec_dir() -> Path:
    raw = os.environ.get("HUBAUTH_HUBSPOT_SPECS")
    return Path(raw) if raw else ROOT.parent / "shared" / "spec" / "hubspot-openapi"


def missing_reason() -> str | None:
    """Why the specs cannot be read here, or None."""
    folder = spec_dir()
    absent = [v for v in SPEC_VERSIONS if not (folder / f"oauth-{v}.json").is_file()]
    if absent:
        return (
            f"HubSpot's OpenAPI specs not found in {folder} (missing oauth-{absent[0]}.json); "
            "set HUBAUTH_HUBSPOT_SPECS to the hubspot-openapi folder"
        )
    return None


@functools.cache
def load(version: str) -> dict[str, Any]:
    data: dict[str, Any] = orjson.loads((spec_dir() / f"oauth-{version}.json").read_bytes())
    return data


@dataclass(frozen=True)
class Operation:
    """One operation of one published spec."""

    version: str
    method: str
    template: str
    pattern: re.Pattern[str]
    responses: dict[str, Any]

    @property
    def is_token_family(self) -> bool:
        """The OAuth endpoints proper (token, introspect, revoke): their errors are the RFC 6749
        section 5.2 + HubSpot hybrid (HubSpot changelog "New OAuth v3 API Endpoints and
        Standardized Error Responses"), which the specs do not model."""
        return self.method == "POST"

    def schema(self, status: int) -> dict[str, Any] | None:
        """The published JSON schema of this status' body (None: no body is described)."""
        response = self.responses.get(str(status))
        if response is None:
            return None
        if "$ref" in response:
            response = _resolve(load(self.version), response["$ref"])
        content = response.get("content") or {}
        for media in content.values():
            if "schema" in media:
                schema: dict[str, Any] = media["schema"]
                return schema
        return None


def _resolve(doc: dict[str, Any], ref: str) -> Any:
    node: Any = doc
    for part in ref.removeprefix("#/").split("/"):
        node = node[part]
    return node


def _pattern(template: str) -> re.Pattern[str]:
    # HubSpot's path parameters ({token}) are one URL segment.
    parts = re.split(r"(\{[^}]+\})", template)
    body = "".join("[^/]+" if p.startswith("{") else re.escape(p) for p in parts)
    return re.compile(f"^{body}$")


@functools.cache
def operations() -> tuple[Operation, ...]:
    found = []
    for version in SPEC_VERSIONS:
        for template, item in load(version)["paths"].items():
            for method, op in item.items():
                if method == "parameters":
                    continue
                found.append(
                    Operation(
                        version, method.upper(), template, _pattern(template), op["responses"]
                    )
                )
    return tuple(found)


def find(method: str, path: str) -> Operation | None:
    for op in operations():
        if op.method == method.upper() and op.pattern.match(path):
            return op
    return None


def validate(version: str, schema: dict[str, Any], body: Any) -> list[str]:
    """Errors of ``body`` against ``schema`` (a fragment of ``version``'s spec, whose
    ``#/components`` references it may use), OAS 3.0 semantics."""
    root = {**schema, "components": load(version)["components"]}
    validator = OAS30Validator(root, format_checker=oas30_format_checker)
    return [
        f"{'/'.join(map(str, e.absolute_path)) or '(root)'}: {e.message[:200]}"
        for e in validator.iter_errors(body)
    ]


def error_schema() -> dict[str, Any]:
    return {"$ref": "#/components/schemas/Error"}


@dataclass(frozen=True)
class Divergence:
    """A difference from the published spec that hubauth keeps on purpose."""

    name: str
    reason: str


#: Each one is a row of docs/decisions.md ("HubSpot's published spec vs hubauth").
INACTIVE_INTROSPECTION = Divergence(
    "inactive-introspection",
    'RFC 7662 section 2.2: an inactive token is answered with {"active": false} alone. v3 and '
    "2026-03 publish only the two active shapes; 2026-09's TokenInfoResponseBaseIF requires "
    "just active, so the newest spec admits this body.",
)
KEPT_DIVERGENCES = (INACTIVE_INTROSPECTION,)


def exemption(op: Operation, status: int, body: Any) -> Divergence | None:
    if (
        status == 200
        and op.template.endswith("/token/introspect")
        and isinstance(body, dict)
        and body == {"active": False}
    ):
        return INACTIVE_INTROSPECTION
    return None


def problems(op: Operation, status: int, content_type: str, raw: bytes) -> list[str]:
    """What is wrong with one response of ``op`` measured against its published spec.

    * 200 bodies: the operation's 200 schema, where the spec declares one;
    * error bodies (4xx/5xx) outside the token family: the spec's ``Error`` (the ``default``
      response of every operation);
    * token-family errors with ``error`` (RFC 6749 section 5.2): not modelled by the spec, and
      checked against hubauth's own token-error contract by the server's strict mode instead.
    """
    if status == 200:
        schema = op.schema(200)
        if schema is None or not raw:
            return []
    elif status >= 400:
        schema = error_schema()
    else:
        return []
    if "json" not in content_type:
        return [f"{status} body is {content_type!r}, not JSON"]
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        return [f"{status} body is not JSON: {exc}"]
    if status >= 400 and op.is_token_family and isinstance(body, dict) and "error" in body:
        return []
    if exemption(op, status, body) is not None:
        return []
    return validate(op.version, schema, body)
