"""Citations in the code and docs resolve: HubSpot claims cite docs/sources.md (which maps each
key to a public URL), RFC sections or docs in the repo, never the unpublished "spec §N" notes."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
UNRESOLVABLE = re.compile(r"spec §", re.IGNORECASE)
SOURCE_KEY = re.compile(r"^\| ([A-Z0-9-]+) \|", re.MULTILINE)


def _text_files() -> list[Path]:
    files = [*(ROOT / "src").rglob("*.py"), *(ROOT / "src").rglob("*.md")]
    files += [*(ROOT / "docs").rglob("*.md"), ROOT / "README.md", *(ROOT / "tests").rglob("*.py")]
    return [p for p in files if p.name != Path(__file__).name]


def test_no_reference_points_to_the_unpublished_spec_notes() -> None:
    offenders = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in _text_files()
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if UNRESOLVABLE.search(line)
    ]
    assert offenders == [], "cite docs/sources.md, an RFC section or a repo doc instead"


def test_every_cited_source_key_is_listed_with_a_public_url() -> None:
    table = (ROOT / "docs" / "sources.md").read_text(encoding="utf-8")
    keys = set(SOURCE_KEY.findall(table)) - {"Key"}
    for line in table.splitlines():
        if SOURCE_KEY.match(line) and not line.startswith("| Key"):
            assert "https://" in line, line
    cited: set[str] = set()
    for path in _text_files():
        for match in re.finditer(
            r"sources(?:\.md|\]\(sources\.md\))[: ]+\(?([^):;\n]*)",
            path.read_text(encoding="utf-8"),
        ):
            cited.update(re.findall(r"\b[A-Z][A-Z0-9]*(?:-[A-Z0-9]+)*\b", match.group(1)))
    unknown = {k for k in cited if k not in keys and k not in {"UNCONFIRMED", "RFC"}}
    assert unknown == set(), f"cited but not in docs/sources.md: {sorted(unknown)}"
