#!/usr/bin/env python3
"""Per-instance validation time: hubauth.structure vs json-structure 0.8.0 vs msgspec.

Usage::

    PYTHONPATH=src python bench/structure.py [--repeat 7] [--json]

Two workloads, measured in the same run with ``timeit`` (best of ``--repeat``):

* ``refresh-token``: the RefreshTokenMetadata seed contract (6 properties).
* ``order``: a ~3 KB nested instance exercising objects, arrays, sets, maps,
  a tagged choice, decimals, uuids and datetimes.

For each workload it times hubauth ``is_valid`` and ``validate`` on the parsed
instance, hubauth ``json.loads`` (and untyped ``msgspec.json.decode``) +
``is_valid`` on the JSON bytes, the official
SDK's ``InstanceValidator.validate`` (extended mode, one validator reused, its
``validate`` isolates calls), and ``msgspec.json.Decoder(Struct).decode`` on
the same bytes into an equivalent ``msgspec.Struct``.  Ratios are printed
against hubauth ``is_valid``.  This is a measurement script, not a test.
"""

from __future__ import annotations

import argparse
import copy
import datetime
import decimal
import json
import pathlib
import sys
import timeit
import uuid
from typing import Annotated, Any

import msgspec

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from hubauth.structure import compile  # noqa: E402

CONTRACT_PATHS = (
    ROOT / "src/hubauth/contracts/refresh-token-metadata.struct.json",
    ROOT.parent / "shared/contracts/refresh-token-metadata.struct.json",
)
# Equivalent to the seed contract, used only if neither file exists.
FALLBACK_CONTRACT: dict[str, Any] = {
    "$schema": "https://json-structure.org/meta/core/v0/#",
    "$id": "https://example.com/refresh-token-metadata",
    "name": "RefreshTokenMetadata",
    "type": "object",
    "properties": {
        "token": {"type": "string"},
        "client_id": {"type": "string"},
        "hub_id": {"type": "int32"},
        "user_id": {"type": "int32"},
        "user": {"type": "string"},
        "scopes": {"type": "array", "items": {"type": "string"}},
    },
    "required": ["token", "client_id", "hub_id", "scopes"],
}

Int32 = Annotated[int, msgspec.Meta(ge=-(2**31), le=2**31 - 1)]
UInt16 = Annotated[int, msgspec.Meta(ge=0, le=2**16 - 1)]


class RefreshTokenMetadata(msgspec.Struct):
    token: str
    client_id: str
    hub_id: Int32
    scopes: list[str]
    user_id: Int32 | None = None
    user: str | None = None


def load_contract() -> dict[str, Any]:
    for path in CONTRACT_PATHS:
        if path.is_file():
            return json.loads(path.read_text(encoding="utf-8"))  # type: ignore[no-any-return]
    return FALLBACK_CONTRACT


REFRESH_INSTANCE = {
    "token": "6f18f26a-3e95-4d95-a6e5-3d5c6e5c9e5a",
    "client_id": "a1b2c3d4-e5f6-7890-abcd-ef1234567890",
    "hub_id": 62515,
    "user_id": 123456,
    "user": "user@example.com",
    "scopes": ["oauth", "crm.objects.contacts.read", "crm.objects.contacts.write"],
}

ORDER_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-structure.org/meta/core/v0/#",
    "$id": "https://example.com/bench/order",
    "name": "Order",
    "$root": "#/definitions/Order",
    "definitions": {
        "Address": {
            "type": "object",
            "properties": {
                "street": {"type": "string", "maxLength": 100},
                "city": {"type": "string"},
                "zip": {"type": "string"},
                "country": {"type": "string", "enum": ["US", "DE", "FR", "JP"]},
            },
            "required": ["street", "city", "country"],
            "additionalProperties": False,
        },
        "Line": {
            "type": "object",
            "properties": {
                "sku": {"type": "string"},
                "quantity": {"type": "uint16"},
                "price": {"type": "decimal", "precision": 12, "scale": 2},
                "tags": {"type": "set", "items": {"type": "string"}},
            },
            "required": ["sku", "quantity", "price"],
        },
        "Card": {
            "type": "object",
            "properties": {"last4": {"type": "string"}, "brand": {"type": "string"}},
            "required": ["last4", "brand"],
        },
        "Bank": {
            "type": "object",
            "properties": {"iban": {"type": "string"}},
            "required": ["iban"],
        },
        "Payment": {
            "type": "choice",
            "choices": {
                "card": {"type": {"$ref": "#/definitions/Card"}},
                "bank": {"type": {"$ref": "#/definitions/Bank"}},
            },
        },
        "Event": {
            "type": "object",
            "properties": {
                "at": {"type": "datetime"},
                "kind": {"type": "string"},
                "note": {"type": ["string", "null"]},
            },
            "required": ["at", "kind"],
        },
        "Order": {
            "type": "object",
            "properties": {
                "id": {"type": "uuid"},
                "created": {"type": "datetime"},
                "customer": {"type": "string"},
                "shipping": {"type": {"$ref": "#/definitions/Address"}},
                "lines": {"type": "array", "items": {"type": {"$ref": "#/definitions/Line"}}},
                "payment": {"type": {"$ref": "#/definitions/Payment"}},
                "attributes": {"type": "map", "values": {"type": "string"}},
                "events": {"type": "array", "items": {"type": {"$ref": "#/definitions/Event"}}},
                "total": {"type": "decimal"},
                "gift": {"type": "boolean"},
            },
            "required": ["id", "created", "customer", "lines", "payment", "total"],
        },
    },
}


class Address(msgspec.Struct, forbid_unknown_fields=True):
    street: Annotated[str, msgspec.Meta(max_length=100)]
    city: str
    country: str
    zip: str | None = None


class Line(msgspec.Struct):
    sku: str
    quantity: UInt16
    price: decimal.Decimal
    tags: set[str] | None = None


class Card(msgspec.Struct):
    last4: str
    brand: str


class Bank(msgspec.Struct):
    iban: str


class Payment(msgspec.Struct):
    # msgspec has no single-key tagged form; optional members approximate it.
    card: Card | None = None
    bank: Bank | None = None


class Event(msgspec.Struct):
    at: datetime.datetime
    kind: str
    note: str | None = None


class Order(msgspec.Struct):
    id: uuid.UUID
    created: datetime.datetime
    customer: str
    lines: list[Line]
    payment: Payment
    total: decimal.Decimal
    shipping: Address | None = None
    attributes: dict[str, str] | None = None
    events: list[Event] | None = None
    gift: bool | None = None


def order_instance() -> dict[str, Any]:
    lines = [
        {
            "sku": f"SKU-{i:05d}",
            "quantity": i + 1,
            "price": f"{(i + 1) * 3}.99",
            "tags": [f"tag{i}", f"tag{i + 1}", "sale"],
        }
        for i in range(18)
    ]
    events = [
        {"at": f"2024-05-{d:02d}T10:{d:02d}:00Z", "kind": "status", "note": None if d % 2 else "ok"}
        for d in range(1, 13)
    ]
    return {
        "id": "550e8400-e29b-41d4-a716-446655440000",
        "created": "2024-05-01T09:30:00+02:00",
        "customer": "customer-42@example.com",
        "shipping": {"street": "1 Main St", "city": "Springfield", "zip": "12345", "country": "US"},
        "lines": lines,
        "payment": {"card": {"last4": "4242", "brand": "visa"}},
        "attributes": {f"attr{i}": f"value {i}" for i in range(10)},
        "events": events,
        "total": "1234.56",
        "gift": False,
    }


def best(fn: Any, number: int, repeat: int) -> float:
    """Best-of-``repeat`` seconds per call."""
    return min(timeit.repeat(fn, number=number, repeat=repeat)) / number


def bench_workload(
    name: str, schema: dict[str, Any], instance: dict[str, Any], struct: type, repeat: int
) -> dict[str, Any]:
    from json_structure import InstanceValidator

    data = json.dumps(instance).encode()
    validator = compile(schema)
    assert validator.is_valid(instance), validator.validate(instance)
    official = InstanceValidator(copy.deepcopy(schema), extended=True)
    assert not official.validate(copy.deepcopy(instance)), "official SDK rejects the bench instance"
    decoder = msgspec.json.Decoder(struct)
    decoder.decode(data)
    loads = json.loads
    untyped = msgspec.json.decode
    is_valid = validator.is_valid
    validate = validator.validate
    n = 20000 if len(data) < 1000 else 2000
    timings = {
        "hubauth is_valid": best(lambda: is_valid(instance), n, repeat),
        "hubauth validate": best(lambda: validate(instance), n, repeat),
        "hubauth json.loads + is_valid": best(lambda: is_valid(loads(data)), n, repeat),
        "hubauth msgspec.json.decode + is_valid": best(lambda: is_valid(untyped(data)), n, repeat),
        "msgspec decode(bytes -> Struct)": best(lambda: decoder.decode(data), n, repeat),
        "json-structure 0.8.0 validate": best(
            lambda: official.validate(instance), max(n // 50, 20), repeat
        ),
    }
    base = timings["hubauth is_valid"]
    return {
        "workload": name,
        "bytes": len(data),
        "seconds_per_call": timings,
        "ratio_vs_hubauth_is_valid": {k: v / base for k, v in timings.items()},
        "official_over_hubauth_is_valid": timings["json-structure 0.8.0 validate"] / base,
        "official_over_hubauth_validate": timings["json-structure 0.8.0 validate"]
        / timings["hubauth validate"],
        "hubauth_is_valid_over_msgspec": base / timings["msgspec decode(bytes -> Struct)"],
        "hubauth_loads_is_valid_over_msgspec": timings["hubauth json.loads + is_valid"]
        / timings["msgspec decode(bytes -> Struct)"],
        "hubauth_untyped_decode_is_valid_over_msgspec": timings[
            "hubauth msgspec.json.decode + is_valid"
        ]
        / timings["msgspec decode(bytes -> Struct)"],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="hubauth.structure benchmark")
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    results = [
        bench_workload(
            "refresh-token", load_contract(), REFRESH_INSTANCE, RefreshTokenMetadata, args.repeat
        ),
        bench_workload("order (~3 KB)", ORDER_SCHEMA, order_instance(), Order, args.repeat),
    ]
    if args.json:
        print(json.dumps(results, indent=2))
        return 0
    for r in results:
        print(f"== {r['workload']}  ({r['bytes']} bytes of JSON)")
        for label, secs in r["seconds_per_call"].items():
            ratio = r["ratio_vs_hubauth_is_valid"][label]
            print(f"  {label:34s} {secs * 1e6:10.2f} us   x{ratio:7.2f}")
        print(f"  official / hubauth is_valid       {r['official_over_hubauth_is_valid']:8.1f}x")
        print(f"  official / hubauth validate       {r['official_over_hubauth_validate']:8.1f}x")
        print(f"  hubauth is_valid / msgspec        {r['hubauth_is_valid_over_msgspec']:8.2f}x")
        print(
            f"  hubauth loads+is_valid / msgspec  {r['hubauth_loads_is_valid_over_msgspec']:8.2f}x"
        )
        print(
            "  hubauth msgspec-decode+is_valid / msgspec "
            f"{r['hubauth_untyped_decode_is_valid_over_msgspec']:6.2f}x"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
