"""The contracts themselves: valid JSON Structure documents, and the founding one verbatim."""

from __future__ import annotations

import copy

import pytest
from json_structure import SchemaValidator

from hubauth import contracts
from tests.support import ROOT

FOUNDING_SHA256 = "1021e4a048a123448a851f97b1aa60af8fb2320b9b00507107ac34d7a82dcd62"


@pytest.mark.parametrize("name", contracts.NAMES)
def test_contract_is_valid_json_structure(name: str) -> None:
    schema = contracts.load(name)
    # Core, or extended with the validation extension only (integral numbers in int64 range).
    if "$uses" in schema:
        assert schema["$schema"] == "https://json-structure.org/meta/extended/v0/#"
        assert schema["$uses"] == ["JSONStructureValidation"]
    else:
        assert schema["$schema"] == "https://json-structure.org/meta/core/v0/#"
    assert SchemaValidator(extended=True).validate(copy.deepcopy(schema)) == []


def test_founding_contract_ships_byte_for_byte() -> None:
    # The copy under src/ is the one the package ships; it must never be edited. Its digest is
    # pinned here so that an edit fails the suite even where ../shared is absent.
    import hashlib

    digest = hashlib.sha256(contracts.raw("refresh-token-metadata")).hexdigest()
    assert digest == FOUNDING_SHA256


def test_every_route_contract_exists() -> None:
    from hubauth.web.app import route_table
    from hubauth.web.routing import ApiRoute

    api_routes = [r for r in route_table() if isinstance(r, ApiRoute)]
    assert api_routes
    for route in api_routes:
        named = [c for c in route.responses.values() if c is not None]
        if route.request_contract:
            named.append(route.request_contract)
        for name in named:
            assert name in contracts.NAMES, (route.path, name)


def test_contracts_directory_is_the_package_data() -> None:
    files = sorted(p.name for p in (ROOT / "src/hubauth/contracts").glob("*.struct.json"))
    assert files == sorted(f"{n}.struct.json" for n in contracts.NAMES)
