"""Persistence: one small async interface (:mod:`hubauth.store.base`) and its SQL implementation."""
