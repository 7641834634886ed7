"""``pip install hubauth`` (no extra) into a fresh virtualenv gives the token manager and the
JSON Structure validator with httpx as the only dependency, and the ``hubauth`` command says
how to get the server; the installed TokenManager refreshes against a real hubauth.

The wheel is built from a copy of the working tree (no build files land in it); pip resolves
httpx from its cache.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from hubauth.testing.server import HubAuthServer

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow

USE_THE_MANAGER = """
import json, sys
import hubauth
from hubauth.client import TokenManager

given = json.loads(sys.argv[1])
manager = TokenManager(
    given["client_id"], given["client_secret"], base_url=given["base_url"], tokens=given["tokens"]
)
first = manager.get_access_token()
manager.token_rejected(first)  # as after an API's 401: the next call refreshes
second = manager.get_access_token()
print(json.dumps({"first": first, "second": second, "module": hubauth.__file__}))
"""


@pytest.fixture(scope="module")
def light_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("light")
    tree = work / "tree"
    tree.mkdir()
    shutil.copy(ROOT / "pyproject.toml", tree)
    shutil.copy(ROOT / "README.md", tree)
    shutil.copytree(
        ROOT / "src", tree / "src", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info")
    )
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
    subprocess.run([*pip, "wheel", "--no-deps", "-w", str(work / "dist"), str(tree)], check=True)
    venv = work / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    wheel = next((work / "dist").glob("hubauth-*.whl"))
    subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pip", "--disable-pip-version-check", "-q",
         "install", str(wheel)],
        check=True,
    )  # fmt: skip
    return venv


def in_venv(venv: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    return subprocess.run(
        [str(venv / "bin" / args[0]), *args[1:]],
        capture_output=True,
        text=True,
        env=env,
        cwd=venv,  # not the working tree: only the installed package is importable
        timeout=120,
    )


def test_the_light_install_has_only_the_client_dependencies(light_venv: Path) -> None:
    listed = in_venv(light_venv, "python", "-m", "pip", "list", "--format", "json")
    names = {p["name"].lower().replace("_", "-") for p in json.loads(listed.stdout)}
    httpx_and_its_own = {"httpx", "httpcore", "h11", "anyio", "idna", "certifi", "sniffio"}
    allowed = {"hubauth", "pip", "setuptools", "wheel", "typing-extensions", *httpx_and_its_own}
    assert names <= allowed, names - allowed
    for server_part in ("starlette", "sqlalchemy", "granian", "asyncpg", "click", "orjson"):
        assert server_part not in names
    imported = in_venv(
        light_venv,
        "python",
        "-c",
        "import hubauth.client, hubauth.resource, hubauth.structure; print('ok')",
    )
    assert imported.stdout.strip() == "ok", imported.stderr


def test_the_command_says_how_to_install_the_server(light_venv: Path) -> None:
    result = in_venv(light_venv, "hubauth", "serve")
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        "hubauth: the server is not installed; run: pip install 'hubauth[server]' (missing click)"
    ]


def test_the_installed_token_manager_refreshes_against_a_real_server(
    light_venv: Path, hubauth_server: HubAuthServer
) -> None:
    given = {
        "client_id": hubauth_server.client_id,
        "client_secret": hubauth_server.client_secret,
        "base_url": hubauth_server.base_url,
        "tokens": hubauth_server.mint_tokens(),
    }
    result = in_venv(light_venv, "python", "-c", USE_THE_MANAGER, json.dumps(given))
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["module"].startswith(str(light_venv))
    assert out["first"] == given["tokens"]["access_token"]
    assert out["second"] != out["first"]
    assert hubauth_server.refresh_count == 1
