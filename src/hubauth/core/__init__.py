"""The framework-free core: tokens, grants, scopes, clock. No Starlette, no SQL here."""
