"""What a simulated audience does as a room: how coupled it is, and who comes and goes.

A performer rehearses a convergence without people: `coupling` (0..1)
sets how much the simulated bodies share (`simulated.py`: a shared slow
heart-rate drive, the breathing rate drawn toward the room's, and a pull of
every breath toward a shared rhythm), scripted over the show like the
states; a join/leave script says when people arrive and leave. A person
who is not there has no samples at all, which the room sees as a sensor
not connected: the room lets them join when their signals start and
fades them out once they have been gone for a few seconds.

In a render the features of someone away are stale and unknown
(`blank_tracks`); live, their samples are simply not sent (`present_chunk`).
Pure and seeded through the simulator: the same script gives the same room.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from symphony.features.track import FeatureTrack
from symphony.inputs.recording import Signal
from symphony.inputs.source import SignalChunk

Array = npt.NDArray[np.float64]


@dataclass(frozen=True)
class CouplingChange:
    """From time `at` (s) on, glide to `coupling` (0..1) over `ramp` seconds."""

    at: float
    coupling: float
    ramp: float = 10.0


def coupling_curve(t: Array, base: float, changes: Sequence[CouplingChange]) -> Array:
    """Coupling over time (0..1), starting at `base`; each change glides (smoothstep)."""
    c = np.full(t.size, float(base))
    for change in sorted(changes, key=lambda ch: ch.at):
        start = float(np.interp(change.at, t, c)) if t.size else base
        u = np.clip((t - change.at) / max(change.ramp, 1e-9), 0.0, 1.0)
        u = u * u * (3.0 - 2.0 * u)
        after = t >= change.at
        c[after] = (start * (1.0 - u) + change.coupling * u)[after]
    out: Array = np.clip(c, 0.0, 1.0)
    return out


@dataclass(frozen=True)
class Move:
    """At `at` (s): `join` newcomers (a count) or returning people (names) arrive;
    `leave` people leave (names, or a count: the latest arrivals still there)."""

    at: float
    join: int | tuple[str, ...] = 0
    leave: int | tuple[str, ...] = 0


def name_of(index: int) -> str:
    """The simulator's name of its participant `index` (0-based): p01, p02, ..."""
    return f"p{index + 1:02d}"


def presence_windows(
    count: int, moves: Sequence[Move], duration: float
) -> tuple[int, dict[str, list[tuple[float, float]]]]:
    """(people simulated in all, each one's [start, end) spans of presence).

    `count` people are there from the start; newcomers are named after
    them in order of arrival. Raises ValueError naming the move that asks
    for someone absent to leave or someone present to join again.
    """
    spans = {name_of(i): [(0.0, duration)] for i in range(count)}
    arrived = [name_of(i) for i in range(count)]
    here = list(arrived)
    for k, move in enumerate(sorted(moves, key=lambda m: m.at)):
        if isinstance(move.join, int):
            newcomers = [name_of(len(arrived) + i) for i in range(move.join)]
            arrived.extend(newcomers)
        else:
            newcomers = list(move.join)
            for who in newcomers:
                if who in here or who not in spans:
                    raise ValueError(f"move {k}: '{who}' cannot join again (present or unknown)")
        for who in newcomers:
            spans.setdefault(who, []).append((move.at, duration))
            here.append(who)
        if isinstance(move.leave, int):
            if move.leave > len(here):
                raise ValueError(f"move {k}: {move.leave} cannot leave, {len(here)} are there")
            leaving = here[len(here) - move.leave :] if move.leave else []
        else:
            leaving = list(move.leave)
        for who in leaving:
            if who not in here:
                raise ValueError(f"move {k}: '{who}' is not there to leave")
            here.remove(who)
            start, _ = spans[who][-1]
            spans[who][-1] = (start, move.at)
    return len(arrived), spans


def absent_spans(spans: list[tuple[float, float]], duration: float) -> list[tuple[float, float]]:
    """The complement of presence spans within 0..duration."""
    out, t = [], 0.0
    for start, end in sorted(spans):
        if start > t:
            out.append((t, start))
        t = max(t, end)
    if t < duration:
        out.append((t, duration))
    return out


def _present(times: Array, spans: list[tuple[float, float]]) -> npt.NDArray[np.bool_]:
    here = np.zeros(times.size, dtype=bool)
    for start, end in spans:
        here |= (times >= start) & (times < end)
    return here


def blank_tracks(tracks: list[FeatureTrack], spans: dict[str, list[tuple[float, float]]]) -> None:
    """A render's features of people while away: stale, every value unknown; in place.

    What the room then sees is what it sees of a sensor that stopped: it
    fades them out and lets them go, and hears them join when they return.
    Their heartbeats while away are dropped.
    """
    for track in tracks:
        presence = spans.get(track.participant)
        if presence is None or not track.n_frames:
            continue
        away = ~_present(track.times(), presence)
        for name, values in track.values.items():
            values[away] = 1.0 if name == "stale" else np.nan
        beats = track.events.get("heartbeat")
        if beats is not None:
            track.events["heartbeat"] = beats[_present(beats, presence)]


def present_chunk(chunk: SignalChunk, spans: list[tuple[float, float]]) -> SignalChunk | None:
    """The part of a live chunk its person is there for (None: away for all of it).

    Samples while away are not sent at all, as from a sensor not connected.
    A chunk (about 1 s) crossing an arrival or a departure keeps its longest
    run of present samples.
    """
    signal = chunk.signal
    times = signal.start + np.arange(signal.n_samples) / signal.rate
    here = _present(times, spans)
    if here.all():
        return chunk
    if not here.any():
        return None
    edges = np.flatnonzero(np.diff(np.concatenate(([0], here.astype(np.int8), [0]))))
    runs = edges.reshape(-1, 2)
    a, b = runs[int(np.argmax(runs[:, 1] - runs[:, 0]))].tolist()
    part = Signal(signal.kind, signal.rate, signal.data[..., a:b], signal.unit, float(times[a]))
    return SignalChunk(chunk.participant, part, chunk.hints)


@dataclass(frozen=True)
class SharedDrive:
    """What coupled bodies share, at the simulator's control rate.

    `coupling` (0..1) per sample; `heart` a unit-variance slow drive of the
    heart rate; `breath_rate` the room's breathing rate (Hz) and
    `breath_phase` (cycles) its rhythm, which coupled breaths are drawn to.
    """

    coupling: Array
    heart: Array
    breath_rate: Array
    breath_phase: Array


COUPLED_PULL = 1.2  # 1/s: pull of a fully coupled breath toward the room's rhythm
SHARED_HR_BPM = 4.0  # bpm: amplitude of the shared heart-rate drive


def shared_drive(
    coupling: Array, free_rate: Array, start: float, heart: Array, breath: Array, fs: float
) -> SharedDrive:
    """The room's shared drive from its noises (`heart`, `breath`: unit, slow).

    `free_rate` is the state's usual breathing rate (Hz) for a typical
    person; the room's rate wanders around it and its rhythm integrates it
    from phase `start`.
    """
    rate = free_rate * np.exp(0.08 * breath)
    phase = start + np.concatenate(([0.0], np.cumsum(rate[:-1]) / fs))
    return SharedDrive(coupling, heart, rate, phase)
