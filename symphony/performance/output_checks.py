"""Cross-reference checks for `[[outputs]]`: features that exist, one output per address.

Like `semantics.py`, the first problem is reported with the file's line and
key (through the `Fail` callable it is given), before the show starts: a
misspelt feature would otherwise be silently never sent.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable

from symphony.collective.names import COLLECTIVE_FEATURES
from symphony.errors import PerformanceError
from symphony.performance.schema import PerformanceSpec
from symphony.performance.toml_lines import KeyPath

Fail = Callable[[str, KeyPath, "str | None"], PerformanceError]


def _suggest(name: str, known: list[str]) -> str:
    close = difflib.get_close_matches(name, known, n=1)
    if close:
        return f"did you mean '{close[0]}'?"
    return "one of: " + ", ".join(known[:12]) + (" ..." if len(known) > 12 else "")


def check_outputs(spec: PerformanceSpec, fail: Fail) -> None:
    """Every output's features are collective features; no two outputs share a name or address."""
    known = sorted(COLLECTIVE_FEATURES)
    seen: dict[tuple[str, int], int] = {}
    names: set[str] = set()
    for i, out in enumerate(spec.outputs):
        for j, feature in enumerate(out.features or ()):
            name = feature.removeprefix("collective.")
            if name not in COLLECTIVE_FEATURES:
                raise fail(
                    f"unknown collective feature '{feature}'",
                    ("outputs", i, "features", j),
                    _suggest(name, known),
                )
        where = (out.host.lower(), out.port)
        if where in seen:
            raise fail(
                f"outputs {seen[where] + 1} and {i + 1} both send to {out.host}:{out.port}",
                ("outputs", i, "port"),
                "one output per host and port",
            )
        seen[where] = i
        if out.name is not None:
            if out.name in names:
                raise fail(f"two outputs are named '{out.name}'", ("outputs", i, "name"), None)
            names.add(out.name)
