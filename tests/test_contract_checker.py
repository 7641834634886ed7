"""hubauth's own contract checker (hubauth.structure) as the server uses it."""

from __future__ import annotations

import pytest

from hubauth import contracts
from hubauth.contracts.checker import ContractViolation, check_response, request_problems, validator


@pytest.mark.parametrize("name", contracts.NAMES)
def test_every_contract_compiles(name: str) -> None:
    assert validator(name) is validator(name)


def test_strict_mode_refuses_a_body_that_breaks_its_contract() -> None:
    with pytest.raises(ContractViolation, match="/hub_id"):
        check_response(
            "refresh-token-metadata",
            {"token": "t", "client_id": "c", "hub_id": "62515", "scopes": []},
        )


def test_booleans_are_not_int32_unlike_the_official_package() -> None:
    body = {"token": "t", "client_id": "c", "hub_id": True, "scopes": []}
    with pytest.raises(ContractViolation):
        check_response("refresh-token-metadata", body)


def test_request_problems_point_at_the_parameter() -> None:
    problems = request_problems("token-request", {"grant_type": "g" * 65})
    assert [p.pointer for p in problems] == ["/grant_type"]
    assert request_problems("token-request", {"grant_type": "refresh_token", "extra": "ok"}) == []
