"""From the control loop's published state to one console frame (pure).

`build_view` is what makes the console answer "why does it sound like
this?": for every continuous parameter it gathers the mappings that target
it, the scene's own value and the mapping depths now, and what the
performer does to it (held, arbitrated, muted), and `explain` words it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from symphony.console.explain import Performer, explain, in_charge
from symphony.console.history import History
from symphony.console.screen import ConsoleView, ParamRow
from symphony.engine.levels import PEAK, POWER, UPDATES, peak_dbfs, power_lufs
from symphony.performance.schema import PerformanceSpec

MASTER = "master.gain_db"


@dataclass
class Gauges:
    """Where the console reads the show's health; None where there is nothing to read."""

    engine_pid: int
    control_pid: int = 0
    midi_pid: int | None = None
    levels: Any = None  # the engine's shared level array (symphony.engine.levels)
    xruns: Any = None  # an XrunCounter on JACK
    midi_timing: Any = None  # LearnTap.timing of the MIDI process
    period_ms: float = 0.0  # one audio period: what the engine adds after the queue


def history_sample(state: Any) -> dict[str, float]:
    sample = {f"collective.{k}": float(v) for k, v in state.collective.items()}
    for person, features in state.participants.items():
        sample.update({f"{person}.{k}": float(v) for k, v in features.items()})
    return sample


def performer_of(state: Any, name: str) -> Performer:
    mode, position, mix = state.arbitration.get(name, ("", None, None))
    layer, _, param = name.partition(".")
    return Performer(
        held=state.held.get(name),
        held_by=state.held_by.get(name, ""),
        mode=mode,
        position=position,
        mix=mix if mode == "crossfade" else None,
        muted=param == "gain_db" and layer in state.muted,
    )


def param_rows(state: Any, spec: PerformanceSpec) -> list[ParamRow]:
    names = list(state.values)
    if MASTER in names:  # the master first: it is the one everyone asks about
        names.remove(MASTER)
        names.insert(0, MASTER)
    rows = []
    for name in names:
        mappings = [m for m in spec.mappings if m.target == name]
        performer = performer_of(state, name)
        value = state.held.get(name, state.values.get(name, math.nan))
        scene = state.scene_values.get(name, math.nan)
        why = explain(value, scene, mappings, state.collective, state.depths, performer)
        if name == MASTER and state.panic:
            why += " | PANIC"
        rows.append(ParamRow(name, value, in_charge(mappings, state.depths, performer), why))
    return rows


def _levels(levels: Any) -> tuple[float, float]:
    if levels is None or levels[UPDATES] <= 0:
        return math.nan, math.nan
    return peak_dbfs(levels[PEAK]), power_lufs(levels[POWER])


def build_view(
    state: Any,
    spec: PerformanceSpec,
    title: str,
    duration: float,
    history: History,
    gauges: Gauges,
    cpu: Mapping[str, float | None],
) -> ConsoleView:
    peak, lufs = _levels(gauges.levels)
    midi_ms = None
    if gauges.midi_timing is not None:
        midi_ms = 1000.0 * gauges.midi_timing[0] if gauges.midi_timing[2] > 0 else math.nan
    return ConsoleView(
        title=title,
        time=state.time,
        duration=duration,
        scene=state.scene,
        next_scene=state.next_scene,
        calibrating=state.calibrating,
        people=int(state.collective.get("count", 0) or 0),
        collective=dict(state.collective),
        participants={p: dict(f) for p, f in state.participants.items()},
        roster=list(state.roster),
        history=history,
        params=param_rows(state, spec),
        peak_dbfs=peak,
        lufs=lufs,
        master_db=state.held.get(MASTER, state.values.get(MASTER, math.nan)),
        panic=state.panic,
        cpu=dict(cpu),
        xruns=None if gauges.xruns is None else gauges.xruns.count,
        midi_ms=midi_ms,
        period_ms=gauges.period_ms,
        muted=list(state.muted),
        sent=state.sent,
        dropped=state.dropped,
    )
