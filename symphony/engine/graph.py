"""Build the whole pyo graph of a performance on a booted server.

Layers (one patch each) feed per-channel buses through their layer gains;
the buses feed the master safety chain; only the master chain calls
``.out()``. Every control target of the `ControlLayout` gets a *setter*: a
plain callable taking one float, which is all the per-block hook calls.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from symphony.engine.master import MasterChain, build_master, db_to_amp
from symphony.engine.patch import PatchContext, PatchSpec, PersonVoice, Voice, run_build
from symphony.errors import PatchError
from symphony.mapping.layout import ControlLayout
from symphony.performance.schema import PerformanceSpec

Pyo = Any
Setter = Callable[[float], None]


@dataclass
class EngineGraph:
    """Everything that must stay referenced while the server runs."""

    setters: list[Setter]
    master: MasterChain
    master_gain_index: int
    kept: list[Pyo] = field(default_factory=list)


@contextlib.contextmanager
def _no_direct_output(pyo: Any, patch: PatchSpec) -> Iterator[None]:
    """Make ``.out()`` fail while a patch builds: the master chain must not be bypassed."""
    original = pyo.PyoObject.out

    def refuse(self: Pyo, *args: Any, **kwargs: Any) -> Pyo:
        raise PatchError(
            f"patch '{patch.name}' called .out(); patches return their output so it "
            "passes the master safety chain",
            where=patch.path,
            expected="return the signal from build(ctx)",
        )

    pyo.PyoObject.out = refuse
    try:
        yield
    finally:
        pyo.PyoObject.out = original


def _smoothed(pyo: Any, value: float, time: float) -> Pyo:
    return pyo.SigTo(value, time=time, init=value)


def build_graph(
    pyo: Any,
    spec: PerformanceSpec,
    patches: dict[str, PatchSpec],
    layout: ControlLayout,
    initial: list[float],
    sample_rate: float,
    seed: int,
) -> EngineGraph:
    """Build layers, buses and master; return setters aligned with `layout`."""
    n_out = spec.output.channels
    speakers = spec.output.speaker_layout()
    kept: list[Pyo] = []
    setters: list[Setter | None] = [None] * len(layout)
    bus_inputs: list[list[Pyo]] = [[] for _ in range(n_out)]
    whole_layers: list[Pyo] = []

    for layer in spec.layers:
        patch = patches[layer.name]
        channels = [c - 1 for c in (layer.channels or range(1, n_out + 1))]
        params: dict[str, Pyo] = {}
        for p in patch.params:
            t = layout.by_name[f"{layer.name}.{p.name}"]
            sig = _smoothed(pyo, initial[t.index], p.smoothing)
            params[p.name] = sig
            setters[t.index] = sig.setValue
        voices: dict[str, list[Voice]] = {}
        for event in patch.events:
            family = layout.voices.get(f"{layer.name}.{event.name}", [])
            voice_list = []
            for v in family:
                trig = pyo.Trig()
                velocity = pyo.Sig(0.0)
                pan = _smoothed(pyo, initial[v.pan], 0.005)
                voice_list.append(Voice(trig=trig, velocity=velocity, pan=pan))
                setters[v.pan] = pan.setValue
                setters[v.velocity] = velocity.setValue
                setters[v.fire] = _fire(trig)
            voices[event.name] = voice_list
        people = _person_voices(pyo, layer.name, patch, layout, initial, setters)
        ctx = PatchContext(
            pyo=pyo,
            channels=len(channels),
            sample_rate=sample_rate,
            params=params,
            voices=voices,
            seed=seed,
            people=people,
            speakers=speakers if len(channels) == n_out else speakers.subset(channels),
        )
        with _no_direct_output(pyo, patch):
            out = run_build(patch, ctx)
        gain_t = layout.by_name[f"{layer.name}.gain_db"]
        gain = _smoothed(pyo, db_to_amp(initial[gain_t.index]), gain_t.param.smoothing)
        setters[gain_t.index] = _db_setter(gain)
        scaled = pyo.Mix(out, voices=len(channels), mul=gain)
        if channels == list(range(n_out)):
            whole_layers.append(scaled)  # all outputs in order: no per-stream routing
        else:
            for stream_index, channel in enumerate(channels):
                # A single stream of a multichannel object, as a PyoObject of its own.
                stream = pyo.Sig(scaled[stream_index])
                bus_inputs[channel].append(stream)
                kept.append(stream)
        kept.extend([ctx, params, voices, people, out, gain, scaled])

    buses = []
    if whole_layers:
        # Mix deals the streams of full-width layers round-robin: stream i to bus i.
        full = pyo.Mix(whole_layers, voices=n_out)
        kept.append(full)
        for i in range(n_out):
            if bus_inputs[i]:
                bus = pyo.Mix([pyo.Sig(full[i]), *bus_inputs[i]], voices=1)
            else:
                bus = pyo.Sig(full[i])
            buses.append(bus)
    else:
        buses = [pyo.Mix(x, voices=1) if x else pyo.Sig(0.0) for x in bus_inputs]
    kept.extend(buses)
    master_index = layout.index("master.gain_db")
    master = build_master(
        pyo,
        buses,
        spec.output.ceiling_dbtp,
        initial[master_index],
        lookahead_s=spec.output.limiter_lookahead_ms / 1000.0,
    )
    setters[master_index] = _db_setter(master.gain)
    missing = [layout.targets[i].name for i, s in enumerate(setters) if s is None]
    if missing:
        raise RuntimeError(f"no engine setter for targets: {', '.join(missing)}")
    return EngineGraph(
        setters=[s for s in setters if s is not None],
        master=master,
        master_gain_index=master_index,
        kept=kept,
    )


def _person_voices(
    pyo: Any,
    layer: str,
    patch: PatchSpec,
    layout: ControlLayout,
    initial: list[float],
    setters: list[Setter | None],
) -> dict[str, list[PersonVoice]]:
    """Level, seat and parameter signals of every person-voice of a layer; their setters."""
    people: dict[str, list[PersonVoice]] = {}
    for family in patch.voice_families:
        voice_list = []
        for v in layout.person_voices.get(f"{layer}.{family.name}", []):
            signals = {}
            for index in (v.level, v.seat, *v.params.values()):
                t = layout.targets[index]
                sig = _smoothed(pyo, initial[index], t.param.smoothing)
                signals[t.param.name] = sig
                setters[index] = sig.setValue
            params = {name: signals[name] for name in v.params}
            voice_list.append(PersonVoice(signals["level"], signals["seat"], params))
        people[family.name] = voice_list
    return people


def _db_setter(sig: Pyo) -> Setter:
    set_value = sig.setValue

    def set_db(db: float) -> None:
        set_value(10.0 ** (db / 20.0))

    return set_db


def _fire(trig: Pyo) -> Setter:
    play = trig.play

    def fire(_value: float) -> None:
        play()

    return fire
