"""The thin HTTP layer: routes translate HTTP to core calls and back, nothing more."""
