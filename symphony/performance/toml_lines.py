"""Find the line of a key in a TOML file, so errors can point at it.

`tomllib` gives values without positions. A performer who mistyped a key
wants "demo.toml:42", so this module scans the text once and records, for
every table header and every ``key = value`` line, the key path it defines,
following TOML's rules for arrays of tables (``[[layers]]``) and dotted or
quoted keys. It is a locator, not a parser: the values still come from
tomllib.
"""

from __future__ import annotations

import re

KeyPath = tuple[str | int, ...]

_HEADER = re.compile(r"^\s*(\[\[?)\s*(.+?)\s*\]\]?\s*(#.*)?$")
_KEY = re.compile(
    r"""^\s*((?:"[^"]*"|'[^']*'|[A-Za-z0-9_\-]+)(?:\s*\.\s*(?:"[^"]*"|'[^']*'|[A-Za-z0-9_\-]+))*)\s*="""
)
_PART = re.compile(r""""([^"]*)"|'([^']*)'|([A-Za-z0-9_\-]+)""")


def _split_key(text: str) -> list[str]:
    return [m.group(1) or m.group(2) or m.group(3) or "" for m in _PART.finditer(text)]


class TomlLines:
    """Key path to 1-based line number for one TOML document."""

    def __init__(self, text: str) -> None:
        self.lines: dict[KeyPath, int] = {}
        array_counts: dict[KeyPath, int] = {}
        current: KeyPath = ()
        in_multiline = False
        for number, raw in enumerate(text.splitlines(), start=1):
            line = raw.strip()
            if in_multiline:
                if line.count('"""') % 2 == 1 or line.count("'''") % 2 == 1:
                    in_multiline = False
                continue
            if not line or line.startswith("#"):
                continue
            header = _HEADER.match(raw)
            if header and not _KEY.match(raw):
                parts = _split_key(header.group(2))
                if header.group(1) == "[[":
                    base = (*self._resolve(parts[:-1], array_counts), parts[-1])
                    index = array_counts.get(base, 0)
                    array_counts[base] = index + 1
                    current = (*base, index)
                else:
                    current = self._resolve(parts, array_counts)
                self.lines.setdefault(current, number)
                continue
            key = _KEY.match(raw)
            if key:
                path = (*current, *_split_key(key.group(1)))
                self.lines.setdefault(path, number)
                if line.count('"""') % 2 == 1 or line.count("'''") % 2 == 1:
                    in_multiline = True

    @staticmethod
    def _resolve(parts: list[str], array_counts: dict[KeyPath, int]) -> KeyPath:
        """Header path with the latest index inserted after each array of tables."""
        path: KeyPath = ()
        for part in parts:
            path = (*path, part)
            if path in array_counts:
                path = (*path, array_counts[path] - 1)
        return path

    def line_of(self, path: KeyPath) -> int | None:
        """The line of `path`, or of its nearest enclosing key or table."""
        probe = tuple(path)
        while probe:
            if probe in self.lines:
                return self.lines[probe]
            probe = probe[:-1]
        return None
