"""The ``hubauth`` console script. ``pip install hubauth`` installs only the client and the
JSON Structure validator, so this module imports nothing beyond the standard library until it
knows the server's packages are there; without them it prints one line saying what to install.
"""

from __future__ import annotations

import sys

HINT = "hubauth: the server is not installed; run: pip install 'hubauth[server]'"


def main() -> None:
    try:
        from hubauth.cli.main import cli
    except ModuleNotFoundError as exc:
        # Any third-party module the command imports comes from the server extra.
        if not (exc.name or "hubauth").startswith("hubauth"):
            print(f"{HINT} (missing {exc.name})", file=sys.stderr)
            sys.exit(1)
        raise
    cli()
