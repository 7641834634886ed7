"""``python -m peer_dot.manage migrate`` / ``bench_seed`` (run from bench/, in .venv-dot)."""

import os
import sys

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "peer_dot.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
