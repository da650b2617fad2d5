"""Backends of the `Source` contract, imported only when a spec names them.

`open_source({"kind": "lsl", ...})` imports `lsl_source` on first use, so a
show that only uses OSC never loads BrainFlow or liblsl, and a broken driver
breaks only the performances that ask for it. Each backend module offers
`from_spec(spec, clock)`; its docstring lists its spec keys.
"""

from __future__ import annotations

import difflib
import importlib
from collections.abc import Mapping
from typing import Any

from symphony.errors import SymphonyError
from symphony.inputs.source import Source
from symphony.inputs.sources.common import Clock

BACKENDS: dict[str, str] = {
    "brainflow": "symphony.inputs.sources.brainflow_source",
    "lsl": "symphony.inputs.sources.lsl_source",
    "osc": "symphony.inputs.sources.osc_source",
    "recording": "symphony.inputs.sources.recording_source",
    "simulated": "symphony.inputs.sources.simulated_source",
}


def _backend(spec: Mapping[str, Any]) -> Any:
    """The backend module a spec's `kind` names, imported now."""
    kind = spec.get("kind")
    module_name = BACKENDS.get(str(kind))
    if module_name is None:
        close = difflib.get_close_matches(str(kind), list(BACKENDS), n=1)
        hint = f"did you mean '{close[0]}'? " if close else ""
        raise SymphonyError(
            f"unknown source kind {kind!r}",
            where=f"source '{spec.get('name', kind)}'",
            key="kind",
            expected=f"{hint}one of: {', '.join(BACKENDS)}",
        )
    return importlib.import_module(module_name)


def make_source(spec: Mapping[str, Any], clock: Clock | None = None) -> Source:
    """Build (not open) the source a spec describes; `clock` returns show seconds."""
    source: Source = _backend(spec).from_spec(dict(spec), clock)
    return source


def check_source(spec: Mapping[str, Any]) -> None:
    """Validate a spec the way `make_source` would, without opening any device.

    Backends whose construction is cheap and touches no device (BrainFlow,
    LSL, OSC, the simulator) are simply built and dropped; a backend with a
    `validate_spec` function (recordings: the file is found and its format
    known, its samples are not read) is asked instead. `symphony check`
    relies on this to catch a mistyped key before the show.
    """
    module = _backend(spec)
    validate = getattr(module, "validate_spec", None)
    if callable(validate):
        validate(dict(spec))
    else:
        module.from_spec(dict(spec), None)


def open_source(spec: Mapping[str, Any], clock: Clock | None = None) -> Source:
    """Build and open a source; opening never blocks on a device (threads connect)."""
    source = make_source(spec, clock)
    source.open()
    return source
