"""One engine assembly for render, live and play: server, graph, master, applier, level tap.

In the spirit of supriya's one API over a realtime server and an offline
score, every driver builds the same thing from the same `EngineSpec`:
`open_server` makes the pyo server (offline to a file, or realtime on JACK or
PortAudio) with the same settings, and `assemble` builds the whole graph on
it (layers, buses, the master safety chain routed to the outputs), the
`ControlApplier` with its gain slew, and, when asked, the output level tap.
A driver then only chooses its hook: `ScheduledHook` plays a precomputed
schedule (render), `LaneHook` applies what arrives (live, play).

The master gain's rise limit is the largest of the output's and every cue's
`max_gain_rise_db_per_s`: the conductor already limits each cue's rise, and
a tighter limit here would clip a cue that is allowed to rise faster, so a
live show would differ from its render.

A rebuild (the JACK server came back) calls `assemble` again with the
applier that the lost graph had: the new graph is built at the values the
old one was playing (`ControlApplier.resume_values`) and the applier, with
its state, drives the new setters.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from symphony.engine.graph import EngineGraph, build_graph
from symphony.engine.hook import ControlApplier
from symphony.engine.levels import LevelTap, build_level_tap
from symphony.engine.patch import PatchSpec
from symphony.mapping.layout import ControlLayout
from symphony.performance.schema import PerformanceSpec


def master_rise_db_per_s(spec: PerformanceSpec) -> float:
    """The engine's limit on the master gain's rise (see the module docstring)."""
    cues = [c.max_gain_rise_db_per_s or 0.0 for c in spec.timeline]
    return max([spec.output.max_gain_rise_db_per_s, *cues])


@dataclass(frozen=True)
class EngineSpec:
    """Everything an engine is built from; the same for every driver."""

    spec: PerformanceSpec
    patches: dict[str, PatchSpec]
    layout: ControlLayout
    initial: list[float]
    block: int  # frames per audio block (the server's buffer size)
    seed: int

    @classmethod
    def of(
        cls,
        spec: PerformanceSpec,
        patches: dict[str, PatchSpec],
        seed: int,
        block: int | None = None,
    ) -> EngineSpec:
        """The engine of a performance, at its initial values."""
        layout = ControlLayout(spec, patches)
        initial = layout.initial_values(spec, spec.output)
        return cls(spec, patches, layout, initial, block or spec.output.block_size, seed)

    @property
    def sample_rate(self) -> int:
        return self.spec.output.sample_rate

    @property
    def channels(self) -> int:
        return self.spec.output.channels

    @property
    def block_seconds(self) -> float:
        return self.block / self.sample_rate

    def events(self) -> frozenset[int]:
        """Targets that fire a voice rather than hold a value."""
        return frozenset(t.index for t in self.layout.targets if t.kind == "fire")


def server_settings(es: EngineSpec, audio: str, client_name: str = "symphony") -> dict[str, Any]:
    """The keyword arguments of `pyo.Server` (and `Server.reinit`) for this engine."""
    settings: dict[str, Any] = {
        "sr": es.sample_rate,
        "nchnls": es.channels,
        "buffersize": es.block,
        "duplex": 0,
        "audio": audio,
    }
    if audio == "offline":
        settings["winhost"] = ""
    elif audio == "jack":
        settings["jackname"] = client_name
    return settings


def open_server(pyo: Any, es: EngineSpec, audio: str, client_name: str = "symphony") -> Any:
    """A pyo server for this engine, not booted yet, quiet."""
    server = pyo.Server(**server_settings(es, audio, client_name))
    server.setVerbosity(1)
    return server


@dataclass
class Engine:
    """An assembled engine: keep it referenced while it plays (pyo stops what Python drops)."""

    graph: EngineGraph
    applier: ControlApplier
    tap: LevelTap | None


def assemble(
    pyo: Any,
    server: Any,
    es: EngineSpec,
    levels: Any = None,
    applier: ControlApplier | None = None,
) -> Engine:
    """Build the graph on a booted `server` and route the master to its outputs.

    `levels`: a shared array for the output level tap (engine.levels), or None.
    `applier`: the previous graph's applier, to rebuild with its state.
    """
    server.setGlobalSeed(es.seed)
    initial = es.initial if applier is None else applier.resume_values()
    graph = build_graph(pyo, es.spec, es.patches, es.layout, initial, es.sample_rate, es.seed)
    for channel, signal in enumerate(graph.master.outputs):
        signal.out(chnl=channel)
    if applier is None:
        targets = es.layout.targets
        applier = ControlApplier(
            graph.setters,
            [t.param.low for t in targets],
            [t.param.high for t in targets],
            es.initial,
            [t.name for t in targets],
            graph.master_gain_index,
            master_rise_db_per_s(es.spec) * es.block_seconds,
        )
    else:
        applier.rebind(graph.setters)
    tap = None
    if levels is not None:
        tap = build_level_tap(pyo, graph.master.outputs, es.sample_rate, es.block, levels)
    return Engine(graph, applier, tap)
