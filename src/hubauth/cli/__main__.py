"""``python -m hubauth.cli``: the ``hubauth`` command."""

from hubauth.cli.entry import main

main()
