"""JSON Structure contracts translated to JSON Schema 2020-12, the schema dialect of OpenAPI 3.1
(OpenAPI 3.1.0 §4.8.24, "Schema Object").

Only the constructs hubauth's contracts use are translated; anything else raises
:class:`UnsupportedConstruct` naming the keyword and where it is, so a contract that grows a new
construct fails the OpenAPI test instead of being documented wrongly.

==============================  ===============================================================
JSON Structure (core v0)        JSON Schema 2020-12
==============================  ===============================================================
``object`` + ``properties``,    ``type: object``, ``properties``, ``required``,
``required``,                   ``additionalProperties`` (both default to allowing extras,
``additionalProperties``        JSON Structure core §3.7.8)
``string`` + ``maxLength``      ``type: string`` + ``maxLength``
``boolean``, ``number``,        ``boolean``, ``number``, ``null``
``null``
``int32``                       ``type: integer`` bounded to [-2^31, 2^31-1] (core §3.2.1)
``number`` + ``multipleOf``,    ``type: number`` + the same keywords (JSON Structure validation
``minimum``, ``maximum``        extension, ``$uses: [JSONStructureValidation]``)
``uuid``                        ``type: string, format: uuid`` (RFC 9562 text form)
``array`` + ``items``           ``type: array`` + ``items``
``map`` + ``values``            ``type: object`` + ``additionalProperties`` (core §3.2.3.4)
``any``                         ``{}`` (every instance)
``const``, ``enum``             ``const``, ``enum``
``{"$ref": "#/definitions/X"}`` ``{"$ref": <where the caller put X>}``
``name``, ``description``,      ``title``, ``description``, ``examples: [example]``
``example``
==============================  ===============================================================
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
INT32_MIN = -(2**31)
INT32_MAX = 2**31 - 1

#: Keywords of a type declaration that carry no validation and are dropped or renamed.
_ANNOTATIONS = frozenset(
    {"description", "example", "name", "$schema", "$id", "$uses", "definitions"}
)
_PRIMITIVES: dict[str, dict[str, Any]] = {
    "string": {"type": "string"},
    "boolean": {"type": "boolean"},
    "number": {"type": "number"},
    "null": {"type": "null"},
    "int32": {"type": "integer", "minimum": INT32_MIN, "maximum": INT32_MAX},
    "uuid": {"type": "string", "format": "uuid"},
    # JSON Structure `uri` is an RFC 3986 URI-reference (core §2), not only an absolute URI.
    "uri": {"type": "string", "format": "uri-reference"},
    "any": {},
}
#: Which keywords each type accepts besides the annotations, ``const`` and ``enum``.
_KEYWORDS: dict[str, frozenset[str]] = {
    "string": frozenset({"maxLength"}),
    "number": frozenset({"multipleOf", "minimum", "maximum"}),
    "object": frozenset({"properties", "required", "additionalProperties"}),
    "array": frozenset({"items"}),
    "map": frozenset({"values"}),
}
_DEFINITIONS_PREFIX = "#/definitions/"

RefTarget = Callable[[str], str]


class UnsupportedConstruct(ValueError):
    """A contract uses a JSON Structure construct this translation does not cover."""

    def __init__(self, where: str, what: str) -> None:
        super().__init__(f"{where or '/'}: {what} is not translated to JSON Schema")


def definition_names(struct: Mapping[str, Any]) -> list[str]:
    """Names of the contract's (flat) ``definitions``; namespaces are not used by hubauth."""
    names = []
    for name, decl in struct.get("definitions", {}).items():
        if not isinstance(decl, Mapping) or "type" not in decl:
            raise UnsupportedConstruct(f"/definitions/{name}", "a definitions namespace")
        names.append(name)
    return names


class _Translator:
    def __init__(self, ref_target: RefTarget, definitions: frozenset[str]) -> None:
        self._ref_target = ref_target
        self._definitions = definitions

    def declaration(self, decl: Any, where: str) -> dict[str, Any]:
        if not isinstance(decl, Mapping):
            raise UnsupportedConstruct(where, f"a type declaration of JSON type {type(decl)}")
        kind = decl.get("type")
        if isinstance(kind, Mapping):
            out = self._reference(kind, where)
            extra = set(decl) - _ANNOTATIONS - {"type"}
            if extra:
                raise UnsupportedConstruct(where, f"keywords {sorted(extra)} beside a $ref")
        elif isinstance(kind, str):
            out = self._typed(kind, decl, where)
        elif isinstance(kind, list) and kind:
            out = self._union(kind, decl, where)
        else:
            raise UnsupportedConstruct(where, f"type {kind!r}")
        if "description" in decl:
            out["description"] = decl["description"]
        if "example" in decl:
            out["examples"] = [decl["example"]]
        return out

    def _union(self, members: list[Any], decl: Mapping[str, Any], where: str) -> dict[str, Any]:
        """JSON Structure unions take the first member that matches (core §3.x "Unions"):
        JSON Schema's ``anyOf`` accepts the same instances."""
        extra = set(decl) - _ANNOTATIONS - {"type"}
        if extra:
            raise UnsupportedConstruct(where, f"keywords {sorted(extra)} beside a union")
        branches = []
        for i, member in enumerate(members):
            at = f"{where}/type/{i}"
            if isinstance(member, Mapping):
                branches.append(self._reference(member, at))
            elif isinstance(member, str):
                branches.append(self._typed(member, {"type": member}, at))
            else:
                raise UnsupportedConstruct(at, f"union member {member!r}")
        return {"anyOf": branches}

    def _reference(self, kind: Mapping[str, Any], where: str) -> dict[str, Any]:
        target = kind.get("$ref")
        if set(kind) != {"$ref"} or not isinstance(target, str):
            raise UnsupportedConstruct(where, f"type {dict(kind)!r}")
        name = target.removeprefix(_DEFINITIONS_PREFIX)
        if not target.startswith(_DEFINITIONS_PREFIX) or name not in self._definitions:
            raise UnsupportedConstruct(where, f"the reference {target!r}")
        return {"$ref": self._ref_target(name)}

    def _typed(self, kind: str, decl: Mapping[str, Any], where: str) -> dict[str, Any]:
        allowed = _KEYWORDS.get(kind, frozenset()) | _ANNOTATIONS | {"type", "const", "enum"}
        if kind not in _PRIMITIVES and kind not in _KEYWORDS:
            raise UnsupportedConstruct(where, f"the type {kind!r}")
        extra = set(decl) - allowed
        if extra:
            raise UnsupportedConstruct(where, f"keywords {sorted(extra)} on {kind!r}")
        out: dict[str, Any] = dict(_PRIMITIVES.get(kind, {}))
        if kind == "string" and "maxLength" in decl:
            out["maxLength"] = decl["maxLength"]
        elif kind == "number":
            out.update({k: decl[k] for k in ("multipleOf", "minimum", "maximum") if k in decl})
        elif kind == "object":
            out.update(self._object(decl, where))
        elif kind == "array":
            out["type"] = "array"
            out["items"] = self.declaration(decl.get("items"), f"{where}/items")
        elif kind == "map":
            out["type"] = "object"
            out["additionalProperties"] = self.declaration(decl.get("values"), f"{where}/values")
        for keyword in ("const", "enum"):
            if keyword in decl:
                out[keyword] = decl[keyword]
        return out

    def _object(self, decl: Mapping[str, Any], where: str) -> dict[str, Any]:
        out: dict[str, Any] = {"type": "object"}
        properties = decl.get("properties", {})
        out["properties"] = {
            name: self.declaration(prop, f"{where}/properties/{name}")
            for name, prop in properties.items()
        }
        required = decl.get("required")
        if required is not None:
            if not all(isinstance(r, str) for r in required):
                raise UnsupportedConstruct(f"{where}/required", "alternative required sets")
            out["required"] = list(required)
        extra = decl.get("additionalProperties")
        if isinstance(extra, bool):
            out["additionalProperties"] = extra
        elif extra is not None:
            out["additionalProperties"] = self.declaration(extra, f"{where}/additionalProperties")
        return out


def to_json_schema(struct: Mapping[str, Any]) -> dict[str, Any]:
    """A standalone JSON Schema 2020-12 document: definitions become ``$defs``."""
    names = definition_names(struct)
    translate = _Translator(lambda name: f"#/$defs/{name}", frozenset(names))
    schema: dict[str, Any] = {"$schema": JSON_SCHEMA_DIALECT}
    if "name" in struct:
        schema["title"] = struct["name"]
    schema.update(translate.declaration(struct, ""))
    if names:
        schema["$defs"] = {
            name: translate.declaration(struct["definitions"][name], f"/definitions/{name}")
            for name in names
        }
    return schema


def component_name(struct: Mapping[str, Any], fallback: str) -> str:
    """The contract's ``name`` (e.g. ``TokenResponse``), else its file name in CamelCase."""
    name = struct.get("name")
    if isinstance(name, str) and name:
        return name
    return "".join(part.capitalize() for part in fallback.split("-"))


def to_components(
    struct: Mapping[str, Any], fallback_name: str, ref_base: str = "#/components/schemas/"
) -> dict[str, dict[str, Any]]:
    """OpenAPI component schemas for one contract: ``Name`` and ``Name.Definition`` for each
    definition, cross-referenced through ``ref_base`` (OpenAPI 3.1.0 §4.8.7.1)."""
    root = component_name(struct, fallback_name)
    names = definition_names(struct)
    translate = _Translator(lambda name: f"{ref_base}{root}.{name}", frozenset(names))
    out = {root: {"title": root, **translate.declaration(struct, "")}}
    for name in names:
        decl = translate.declaration(struct["definitions"][name], f"/definitions/{name}")
        out[f"{root}.{name}"] = {"title": name, **decl}
    return out
