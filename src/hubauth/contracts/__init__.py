"""hubauth's data contracts, written in JSON Structure (core meta-schema).

``refresh-token-metadata.struct.json`` is the founding document and ships byte-for-byte as
received; the siblings were written from the facts in HubSpot's specs. Every body the server
sends has one of these contracts (see :data:`RESPONSE_CONTRACTS` in the web layer).
"""

from __future__ import annotations

import functools
from importlib import resources
from typing import Any

import orjson

_SUFFIX = ".struct.json"
NAMES: tuple[str, ...] = tuple(
    sorted(
        entry.name.removesuffix(_SUFFIX)
        for entry in resources.files(__package__).iterdir()
        if entry.name.endswith(_SUFFIX)
    )
)


def path(name: str) -> Any:
    return resources.files(__package__).joinpath(name + _SUFFIX)


def raw(name: str) -> bytes:
    data: bytes = path(name).read_bytes()
    return data


@functools.cache
def load(name: str) -> dict[str, Any]:
    if name not in NAMES:
        raise KeyError(f"no contract named {name!r}")
    document: dict[str, Any] = orjson.loads(raw(name))
    return document
