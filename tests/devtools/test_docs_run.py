"""Every code block of README.md, docs/testing.md and docs/operations.md is run or checked
against the real thing, so a doc that no longer works fails ``make test`` (issue 17).

Each block is claimed by exactly one check below; a new block that nothing claims fails
``test_every_block_is_claimed`` until a check is added. The ``<!-- example: … -->`` blocks
and the ``pytest.ini`` block of docs/testing.md run in a fresh pytest project
(``test_fresh_project.py``).
"""

from __future__ import annotations

import inspect
import json
import re
import shlex
import subprocess
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from hubauth.cli.main import cli
from hubauth.client import TokenManager
from hubauth.client.base import ManagerBase
from hubauth.config import load_settings

ROOT = Path(__file__).resolve().parents[2]
DOCS = ("README.md", "docs/testing.md", "docs/operations.md")
FENCE = re.compile(r"(?:<!-- ([^>]+) -->\n)?```(\w*)\n(.*?)```", re.DOTALL)


@dataclass(frozen=True)
class Block:
    doc: str
    marker: str | None
    lang: str
    text: str

    @property
    def first(self) -> str:
        return self.text.splitlines()[0] if self.text else ""


def blocks() -> list[Block]:
    found = []
    for doc in DOCS:
        for marker, lang, text in FENCE.findall((ROOT / doc).read_text()):
            found.append(Block(doc, marker or None, lang, text))
    return found


def _command(words: list[str]) -> tuple[click.Command, list[str]]:
    """The hubauth (sub)command a synopsis names, and the words after it."""
    command: click.Command = cli
    rest = list(words)
    while rest and isinstance(command, click.Group) and rest[0] in command.commands:
        command = command.commands[rest.pop(0)]
    return command, rest


def check_synopsis(block: Block) -> None:
    """README's command list: every command exists and takes every option shown."""
    text = block.text.replace("\\\n", " ")
    for line in text.splitlines():
        line = line.split("#")[0].strip()
        if not line.startswith("hubauth "):
            continue
        words = line.split()[1:]
        command, rest = _command(words)
        alternatives = [rest]
        if "|" in rest:  # "apps list | show APP | delete APP": each alternative is a command
            group_words = words[: len(words) - len(rest) - 1]
            alternatives = []
            for alt in " ".join(words[len(group_words) :]).split("|"):
                command, tail = _command([*group_words, *alt.split()])
                alternatives.append(tail)
                _options_exist(command, tail, line)
            continue
        for tail in alternatives:
            _options_exist(command, tail, line)


def _options_exist(command: click.Command, words: list[str], line: str) -> None:
    assert not isinstance(command, click.Group), f"{line!r} names no command"
    known = {o for p in command.params for o in (*p.opts, *p.secondary_opts)}
    for word in words:
        for option in re.findall(r"--[a-z][a-z-]*", word):
            assert option in known, f"{line!r}: {command.name} has no {option}"
    help_run = CliRunner().invoke(command, ["--help"])
    assert help_run.exit_code == 0, help_run.output


def check_make(block: Block) -> None:
    """The quick start's make targets exist and resolve (``make -n`` prints, runs nothing)."""
    for line in block.text.splitlines():
        argv = shlex.split(line.split("#")[0])
        if argv[:1] == ["make"]:
            dry = subprocess.run(
                ["make", "-n", *argv[1:]], cwd=ROOT, capture_output=True, text=True
            )
            assert dry.returncode == 0, dry.stderr
            assert "hubauth" in dry.stdout or "pytest" in dry.stdout, dry.stdout


def check_layout(block: Block) -> None:
    """Every file the layout names exists under the folder it is listed in."""
    package = ROOT / "src" / "hubauth"
    for name in re.findall(r"\b([a-z_]+\.py)\b", block.text):
        assert list(package.rglob(name)) or list(ROOT.glob(f"*/{name}")), f"no {name}"


def check_install(block: Block) -> None:
    """``pip install 'hubauth[server]' pytest pytest-asyncio``: the extra exists and every
    package named is one this suite runs with (installing for real is test_light_install's)."""
    argv = shlex.split(block.text.strip())
    assert argv[:2] == ["pip", "install"]
    extras = metadata.metadata("hubauth").get_all("Provides-Extra") or []
    for requirement in argv[2:]:
        name, _, extra = requirement.partition("[")
        if extra:
            assert extra.rstrip("]") in extras
        metadata.version(name)  # installed: raises PackageNotFoundError otherwise


def check_pytest_ini(block: Block) -> None:
    assert "asyncio_mode = auto" in block.text  # run by test_fresh_project


def check_example(block: Block) -> None:
    assert block.marker is not None and block.marker.startswith("example: ")


def check_manager_signature(block: Block) -> None:
    """The reference block lists TokenManager's parameters, in order, with their defaults."""
    code = "\n".join(line.split("#")[0] for line in block.text.splitlines())
    shown = re.findall(r"(\w+)(?:=([^,)\s]+))?[,)]", code.split("(", 1)[1])
    # TokenManager passes **options on to the shared base class: both make the signature
    real = {
        **{k: v for k, v in inspect.signature(ManagerBase).parameters.items()},
        **{
            k: v
            for k, v in inspect.signature(TokenManager).parameters.items()
            if v.kind is not inspect.Parameter.VAR_KEYWORD
        },
    }
    assert {name for name, _ in shown} == set(real)
    for name, default in shown:
        if default:
            assert eval(default) == real[name].default, name  # noqa: S307 - our own doc's literals


def check_schema_error(block: Block, tmp: Path) -> None:
    """The start-up refusal on a schema that is behind, as serve really prints it."""
    result = CliRunner().invoke(
        cli, ["serve", "--port", "1", "--database", f"sqlite:///{tmp / 'empty.db'}"]
    )
    shown = re.sub(r"needs \S+:", "needs HEAD:", block.text.strip())
    assert re.sub(r"needs \S+:", "needs HEAD:", result.output.strip()) == shown


def check_toml(block: Block, tmp: Path) -> None:
    """The deployment's configuration file is valid as written."""
    path = tmp / "hubauth.toml"
    path.write_text(block.text)
    tomllib.loads(block.text)
    settings = load_settings(path)
    assert settings.public_url == "https://auth.example.com"


def check_systemd(block: Block) -> None:
    """Units: each ExecStart runs a hubauth command that takes the options it is given."""
    starts = [
        line.strip() for line in block.text.splitlines() if line.strip().startswith("ExecStart=")
    ]
    assert starts
    for start in starts:
        command, rest = _command(start.split()[1:])
        _options_exist(command, rest, start)
    assert "Environment=HUBAUTH_CONFIG=" in block.text


def check_resource_guard(block: Block) -> None:
    """The resource-guard example builds, and its route refuses a request without a token in
    HubSpot's shape (tests/resource/ drives it against a real server)."""
    from starlette.testclient import TestClient

    namespace: dict[str, object] = {"RS_CLIENT_ID": "rs-id", "RS_CLIENT_SECRET": "rs-secret"}
    exec(block.text, namespace)  # noqa: S102 - our own doc's example
    with TestClient(namespace["app"]) as client:  # type: ignore[arg-type]
        response = client.get("/deals")
    assert response.status_code == 401
    assert response.json()["category"] == "INVALID_AUTHENTICATION"


def check_registration_request(block: Block) -> None:
    """The registration example is a request the registration API accepts: its metadata passes
    the same parse (tests/registration/ sends such requests to a real app)."""
    from hubauth.core import registration as core_registration
    from hubauth.web import registration

    head, _, body = block.text.partition("\n\n")
    assert head.splitlines()[0] == f"POST {registration.REGISTER_PATH}"
    assert "Authorization: Bearer $HUBAUTH_ADMIN_TOKEN" in head
    metadata = core_registration.parse_metadata(json.loads(body), registration.auth_methods())
    assert metadata.refresh_policy is not None


def check_diagram(block: Block) -> None:
    assert "load balancer" in block.text and "PostgreSQL" in block.text  # a picture, no code


CHECKS: list[tuple[Callable[[Block], bool], str]] = [
    (lambda b: b.doc == "README.md" and b.first.startswith("make "), "make"),
    (lambda b: b.doc == "README.md" and b.first.startswith("hubauth "), "synopsis"),
    (lambda b: b.doc == "README.md" and b.first == "src/hubauth/", "layout"),
    (lambda b: b.marker == "install", "install"),
    (lambda b: b.marker == "pytest.ini", "pytest_ini"),
    (lambda b: (b.marker or "").startswith("example: "), "example"),
    (lambda b: b.first.startswith("TokenManager("), "manager_signature"),
    (lambda b: b.first.startswith("Error: database schema is at"), "schema_error"),
    (lambda b: b.lang == "toml", "toml"),
    (lambda b: b.lang == "ini" and "ExecStart=" in b.text, "systemd"),
    (lambda b: "load balancer" in b.text, "diagram"),
    (lambda b: b.marker == "resource-guard", "resource_guard"),
    (lambda b: b.marker == "registration-request", "registration_request"),
]


def claim(block: Block) -> str:
    names = [name for test, name in CHECKS if test(block)]
    assert len(names) == 1, f"{block.doc}: block {block.first!r} claimed by {names or 'nothing'}"
    return names[0]


def test_every_block_is_claimed() -> None:
    found = blocks()
    assert len(found) >= 14
    for block in found:
        claim(block)


@pytest.mark.parametrize(
    "block", blocks(), ids=lambda b: f"{b.doc}:{b.first[:30]}".replace(" ", "_")
)
def test_doc_block_runs(block: Block, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    name = claim(block)
    check = globals()[f"check_{name}"]
    if "tmp" in inspect.signature(check).parameters:
        monkeypatch.chdir(tmp_path)
        for var in ("HUBAUTH_DATABASE_URL", "HUBAUTH_HOST", "HUBAUTH_PORT", "HUBAUTH_CONFIG"):
            monkeypatch.setenv(var, "x")  # serve sets these; restored after the test
            monkeypatch.delenv(var)
        monkeypatch.setenv("HUBAUTH_SECRET_KEY", "k" * 40)
        check(block, tmp_path)
    else:
        check(block)


@pytest.mark.parametrize("doc", DOCS)
def test_no_table_is_cut_by_a_blank_line(doc: str) -> None:
    """Markdown ends a table at a blank line: rows after it render as a stray paragraph
    (issue 17: the README's configuration table lost its last rows that way)."""
    lines = (ROOT / doc).read_text().splitlines()
    for i in range(1, len(lines) - 1):
        if not lines[i].strip():
            before, after = lines[i - 1], lines[i + 1]
            assert not (before.startswith("|") and after.startswith("|")), f"{doc}:{i + 1}"
