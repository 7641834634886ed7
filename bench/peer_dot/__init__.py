"""The peer: a minimal Django project serving django-oauth-toolkit's token and introspection
endpoints, for side-by-side numbers with hubauth (see ``bench/peer.py``).

It runs only in its own virtualenv (``bench/.venv-dot``), never in hubauth's.
"""
