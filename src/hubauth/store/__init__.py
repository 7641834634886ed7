"""Persistence: one small async interface (:mod:`hubauth.core.ports`) and its SQL implementation."""
