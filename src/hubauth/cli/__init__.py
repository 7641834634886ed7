"""The ``hubauth`` command."""
