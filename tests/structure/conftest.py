"""Shared helpers for the hubauth.structure tests."""

from __future__ import annotations

import os
import pathlib
from typing import Any

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]
CORE = "https://json-structure.org/meta/core/v0/#"
EXTENDED = "https://json-structure.org/meta/extended/v0/#"
VALIDATION = "https://json-structure.org/meta/validation/v0/#"


def document(root: dict[str, Any], *, meta: str = CORE, **extra: Any) -> dict[str, Any]:
    """Wrap a root schema into a complete schema document."""
    doc = {"$schema": meta, "$id": "https://example.com/test", "name": "Test"}
    doc.update(root)
    doc.update(extra)
    return doc


def validation_document(root: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return document(root, meta=EXTENDED, **{"$uses": ["JSONStructureValidation"], **extra})


def assets_dir() -> pathlib.Path | None:
    """The official conformance assets (never part of this repository)."""
    raw = os.environ.get("HUBAUTH_JSON_STRUCTURE_ASSETS")
    path = pathlib.Path(raw) if raw else REPO.parent / "shared" / "conformance" / "json-structure"
    return path if (path / "test-assets").is_dir() or (path / "schemas").is_dir() else None


@pytest.fixture(scope="session")
def assets() -> pathlib.Path:
    path = assets_dir()
    if path is None:
        pytest.skip(
            "official JSON Structure assets not found: set HUBAUTH_JSON_STRUCTURE_ASSETS "
            "to the json-structure conformance folder"
        )
    return path
