"""One error type for everything a user can get wrong.

A show must never die with a traceback because of a typo, so every problem a
user can cause (a malformed performance file, a broken patch, a missing
device) is raised as a `SymphonyError` that knows *where* it happened. The CLI
prints `str(error)` as a single line and exits with status 2.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass
class SymphonyError(Exception):
    """A user-facing error: what went wrong and where.

    `where` is the file (or port, device, ...), `line` the 1-based line in that
    file when known, `key` the dotted key inside it, and `expected` what would
    have been accepted.
    """

    message: str
    where: str | Path | None = None
    line: int | None = None
    key: str | None = None
    expected: str | None = None

    def __post_init__(self) -> None:
        super().__init__(self.message)

    def __str__(self) -> str:
        location = ""
        if self.where is not None:
            location = str(self.where)
            if self.line is not None:
                location += f":{self.line}"
        parts = [location] if location else []
        if self.key:
            parts.append(f"key '{self.key}'")
        head = ": ".join(parts)
        text = f"{head}: {self.message}" if head else self.message
        if self.expected:
            text += f" (expected {self.expected})"
        return text


class PatchError(SymphonyError):
    """A patch file failed to load or to build its pyo graph."""


class PerformanceError(SymphonyError):
    """A performance file is malformed or inconsistent."""
