"""Problem records and the exception raised for unusable schemas.

A :class:`Problem` is the single currency of this package: the schema checker
returns them, the instance validator returns them and :class:`InvalidSchema`
carries them.  Each problem names a JSON Pointer (RFC 6901) into the document
that was examined, a stable ``code`` from :mod:`hubauth.structure.codes` and a
human readable ``message``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True, slots=True)
class Problem:
    """One finding, immutable so it can be shared freely between threads."""

    pointer: str
    code: str
    message: str
    severity: Severity = "error"

    def __str__(self) -> str:
        return f"{self.pointer or '/'}: {self.code}: {self.message}"

    def as_dict(self) -> dict[str, str]:
        return {
            "pointer": self.pointer,
            "code": self.code,
            "message": self.message,
            "severity": self.severity,
        }


class InvalidSchema(ValueError):
    """Raised by :func:`hubauth.structure.compile` when the schema has errors.

    ``problems`` holds every error found (warnings are left out); the message
    shows the first few so that a traceback alone is useful.
    """

    def __init__(self, problems: list[Problem]) -> None:
        self.problems: tuple[Problem, ...] = tuple(problems)
        shown = "; ".join(str(p) for p in self.problems[:3])
        more = len(self.problems) - 3
        if more > 0:
            shown += f" (+{more} more)"
        super().__init__(f"invalid JSON Structure schema: {shown}")
