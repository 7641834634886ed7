"""Keyword and type-name tables from the specifications.

Everything here is data: which type names exist (core 3.2), which keyword may
sit on which type (core 3.7-3.10, validation 3.x), and which keywords belong to
which add-in.  Keeping the tables apart from the logic lets the checker and
the compiler agree by construction.
"""

from __future__ import annotations

import re
from typing import Final

# Core 3.2.1 / 3.2.2: the 27 primitive type names ("integer" is the int32
# alias added in core -01).
JSON_NUMBER_INTS: Final = frozenset(
    {"integer", "int8", "uint8", "int16", "uint16", "int32", "uint32"}
)
STRING_INTS: Final = frozenset({"int64", "uint64", "int128", "uint128"})
FLOATS: Final = frozenset({"number", "float8", "float", "double"})
NUMERIC: Final = JSON_NUMBER_INTS | STRING_INTS | FLOATS | {"decimal"}
STRING_ENCODED_NUMERIC: Final = STRING_INTS | {"decimal"}
PRIMITIVES: Final = NUMERIC | frozenset(
    {
        "string",
        "boolean",
        "null",
        "binary",
        "date",
        "datetime",
        "time",
        "duration",
        "uuid",
        "uri",
        "jsonpointer",
    }
)
# Core 3.2.3: compound types.
COMPOUNDS: Final = frozenset({"object", "array", "set", "map", "tuple", "choice", "any"})
ALL_TYPES: Final = PRIMITIVES | COMPOUNDS

# Core 3.6: identifiers for property names and type names.
IDENTIFIER: Final = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")

# Core 3.3: keywords that may appear only in the root object.
ROOT_ONLY: Final = frozenset({"$schema", "$id", "$root", "definitions", "$offers", "$uses"})

ANY_TYPE: Final = ALL_TYPES | {"union"}

# Core structural and annotation keywords -> types they may be used with.
# "union" stands for a type union (core 3.5.1).
CORE_PLACEMENT: Final[dict[str, frozenset[str]]] = {
    "properties": frozenset({"object", "tuple"}),
    "required": frozenset({"object"}),
    "additionalProperties": frozenset({"object"}),
    "items": frozenset({"array", "set"}),
    "values": frozenset({"map"}),
    "tuple": frozenset({"tuple"}),
    "choices": frozenset({"choice"}),
    "selector": frozenset({"choice"}),
    "abstract": frozenset({"object", "tuple"}),
    # Core 3.10.2 says object and tuple; 3.2.3.7.2 adds choice for inline unions.
    "$extends": frozenset({"object", "tuple", "choice"}),
    "enum": PRIMITIVES,
    "const": PRIMITIVES,
    "maxLength": frozenset({"string"}),
    "precision": frozenset({"number", "decimal"}),
    "scale": frozenset({"number", "decimal"}),
}
# Core 3.8.4-3.8.6: annotations "for binary types" without a MUST, so a
# misplaced one is only a warning.
CONTENT_ANNOTATIONS: Final = frozenset(
    {"contentEncoding", "contentCompression", "contentMediaType"}
)
CONTENT_ENCODINGS: Final = frozenset({"base64", "base64url", "base16", "base32", "base32hex"})
CONTENT_COMPRESSIONS: Final = frozenset({"gzip", "deflate", "zlib", "brotli"})

# Validation extension (JSONStructureValidation) keywords -> types.
NUMERIC_KEYWORDS: Final = (
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "multipleOf",
)
VALIDATION_PLACEMENT: Final[dict[str, frozenset[str]]] = {
    **{k: NUMERIC for k in NUMERIC_KEYWORDS},
    "minLength": frozenset({"string"}),
    "pattern": frozenset({"string"}),
    "format": frozenset({"string"}),
    "minItems": frozenset({"array", "set"}),
    "maxItems": frozenset({"array", "set"}),
    # Validation 3.3.3 says array only "as this constraint is inherent to set";
    # on a set it is redundant, not wrong (the official assets use it so).
    "uniqueItems": frozenset({"array", "set"}),
    "contains": frozenset({"array", "set"}),
    "minContains": frozenset({"array", "set"}),
    "maxContains": frozenset({"array", "set"}),
    "minProperties": frozenset({"object"}),
    "maxProperties": frozenset({"object"}),
    "dependentRequired": frozenset({"object"}),
    "patternProperties": frozenset({"object"}),
    "propertyNames": frozenset({"object"}),
    "minEntries": frozenset({"map"}),
    "maxEntries": frozenset({"map"}),
    "patternKeys": frozenset({"map"}),
    "keyNames": frozenset({"map"}),
    "has": frozenset({"object", "map"}),
    "default": ANY_TYPE,
}
VALIDATION_KEYWORDS: Final = frozenset(VALIDATION_PLACEMENT)

# Conditional composition extension (JSONStructureConditionalComposition).
COMPOSITION_ARRAYS: Final = ("allOf", "anyOf", "oneOf")
COMPOSITION_SINGLE: Final = ("not", "if", "then", "else")
COMPOSITION_KEYWORDS: Final = frozenset(COMPOSITION_ARRAYS + COMPOSITION_SINGLE)

# Validation 3.2.3: the format names the extension defines.
FORMATS: Final = frozenset(
    {
        "ipv4",
        "ipv6",
        "email",
        "idn-email",
        "hostname",
        "idn-hostname",
        "iri",
        "iri-reference",
        "uri-template",
        "relative-json-pointer",
        "regex",
    }
)

VALIDATION_ADDIN: Final = "JSONStructureValidation"
COMPOSITION_ADDIN: Final = "JSONStructureConditionalComposition"
IMPORT_ADDIN: Final = "JSONStructureImport"
KNOWN_ADDINS: Final = frozenset(
    {
        VALIDATION_ADDIN,
        COMPOSITION_ADDIN,
        IMPORT_ADDIN,
        "JSONStructureAlternateNames",
        "JSONStructureUnits",
        "JSONStructureRelations",
    }
)
# The "Enabling" sections of the extension drafts spell the names JSONSchema*.
ADDIN_ALIASES: Final = {
    "JSONSchemaValidation": VALIDATION_ADDIN,
    "JSONSchemaConditionalComposition": COMPOSITION_ADDIN,
}
