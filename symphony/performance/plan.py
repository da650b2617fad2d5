"""The control side of a render: from simulated bodies to an engine schedule.

Sources -> features -> collective -> mappings, all in numpy, before the
engine starts. This is the same code path a live show runs frame by frame;
here it runs once over the whole performance, which is why an offline render
spends almost all its time in pyo.
"""

from __future__ import annotations

import multiprocessing as mp
import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from symphony.collective.aggregate import beat_phase, collective_features, quality_weight
from symphony.collective.voices import allocate
from symphony.features.simple import extract_features
from symphony.features.track import FeatureTrack
from symphony.inputs.faults import Fault, inject, plan_dropouts
from symphony.inputs.recording import ParticipantRecording
from symphony.inputs.simulated import StateChange, simulate_group
from symphony.mapping.conductor import Conductor
from symphony.mapping.layout import ControlLayout
from symphony.mapping.schedule import Schedule, events_to_schedule, frames_to_schedule
from symphony.performance.loader import Performance
from symphony.performance.schema import PerformanceSpec

Array = npt.NDArray[np.float64]


@dataclass
class ControlPlan:
    """Everything the engine needs, plus what the plot and report show."""

    layout: ControlLayout
    initial: list[float]
    schedule: Schedule
    times: Array
    tracks: list[FeatureTrack]
    collective: dict[str, Array]
    automation: dict[str, Array]
    scenes: list[tuple[float, str]]
    faults: list[Fault]
    duration: float
    seed: int


def participant_script(spec: PerformanceSpec) -> list[StateChange]:
    """Scripted simulated states, from the scenes that name one."""
    script = []
    for cue in spec.timeline:
        state = spec.scenes[cue.scene].participants
        if state is not None:
            script.append(StateChange(at=cue.at, state=state, ramp=max(cue.crossfade, 1.0)))
    return script


def dropout_windows(spec: PerformanceSpec, duration: float) -> list[tuple[float, float, int]]:
    windows = []
    for k, cue in enumerate(spec.timeline):
        end = spec.timeline[k + 1].at if k + 1 < len(spec.timeline) else duration
        windows.append((cue.at, min(end, duration), spec.scenes[cue.scene].dropouts))
    return windows


def simulate(
    spec: PerformanceSpec, duration: float, seed: int, participants: int
) -> tuple[list[ParticipantRecording], list[Fault]]:
    recordings = simulate_group(participants, duration, seed, participant_script(spec))
    faults = plan_faults(spec, duration, seed, participants)
    inject(recordings, faults)
    return recordings, faults


def plan_faults(spec: PerformanceSpec, duration: float, seed: int, count: int) -> list[Fault]:
    names = [f"p{i + 1:02d}" for i in range(count)]
    return plan_dropouts(names, dropout_windows(spec, duration), seed)


def _bodies(
    job: tuple[PerformanceSpec, float, int, int, list[int], list[Fault], float],
) -> list[FeatureTrack]:
    """Simulate some participants, corrupt them as planned, extract their features."""
    spec, duration, seed, count, indices, faults, rate = job
    recordings = simulate_group(count, duration, seed, participant_script(spec), indices=indices)
    inject(recordings, faults)
    return [extract_features(rec, rate=rate) for rec in recordings]


def participant_tracks(
    spec: PerformanceSpec, duration: float, seed: int, count: int, rate: float
) -> tuple[list[FeatureTrack], list[Fault]]:
    """Every participant's features, in parallel on the machine's cores.

    Each participant is simulated from its own seed, so splitting the group
    across processes gives exactly the tracks a single process would.
    """
    faults = plan_faults(spec, duration, seed, count)
    workers = max(1, min(os.cpu_count() or 1, count, 4))
    jobs = [
        (spec, duration, seed, count, list(range(w, count, workers)), faults, rate)
        for w in range(workers)
    ]
    if workers == 1 or "fork" not in mp.get_all_start_methods():
        pieces = [_bodies(job) for job in jobs]
    else:
        # fork: the workers start with everything already imported.
        with ProcessPoolExecutor(workers, mp_context=mp.get_context("fork")) as pool:
            pieces = list(pool.map(_bodies, jobs))
    by_name = {t.participant: t for piece in pieces for t in piece}
    return [by_name[f"p{i + 1:02d}"] for i in range(count)], faults


def _stack(tracks: list[FeatureTrack], name: str, n: int) -> Array:
    rows = []
    for tr in tracks:
        v = tr.values.get(name)
        rows.append(np.full(n, np.nan) if v is None else v[:n])
    return np.vstack(rows)


def plan_control(
    performance: Performance,
    duration: float | None = None,
    seed: int | None = None,
    participants: int | None = None,
) -> ControlPlan:
    spec = performance.spec
    duration = float(duration if duration is not None else spec.performance.duration)
    seed = int(seed if seed is not None else spec.performance.seed)
    count = int(participants if participants is not None else spec.participants.count)
    out = spec.output
    rate = out.control_rate

    if spec.sources and participants is None:
        # The performance names its sources: read them at full speed.
        from symphony.performance.recorded import recorded_tracks

        tracks = recorded_tracks(spec, performance.path, duration, rate)
        faults: list[Fault] = []
    else:
        tracks, faults = participant_tracks(spec, duration, seed, count, rate)
    n = min(min(t.n_frames for t in tracks), int(np.floor(duration * rate)))
    times = np.arange(n) / rate
    names = sorted({k for t in tracks for k in t.values})
    values = {name: _stack(tracks, name, n) for name in names}
    quality = values.get("quality", np.ones((len(tracks), n)))
    beats = [t.events.get("heartbeat", np.zeros(0)) for t in tracks]
    phases = np.vstack([beat_phase(times, b) for b in beats])
    collective = collective_features(values, quality, phases)

    layout = ControlLayout(spec, performance.patches)
    initial = layout.initial_values(spec, out)
    conductor = Conductor(spec, layout, initial, rate)
    automation_values = conductor.step(times, collective)
    rows = [t.index for t in conductor.targets]
    parts = [
        frames_to_schedule(
            automation_values,
            rows,
            times,
            out.sample_rate,
            out.block_size,
            [initial[i] for i in rows],
        )
    ]
    weights = quality_weight(quality)
    placements = allocate(len(tracks), spec.participants.voices)
    for trig in spec.triggers:
        event_times, velocities = [], []
        for p, track in enumerate(tracks):
            ev = np.asarray(track.events.get(trig.source, np.zeros(0)), dtype=np.float64)
            ev = ev[(ev >= 0) & (ev < duration)]
            frame = np.clip(np.floor(ev * rate).astype(np.int64), 0, max(n - 1, 0))
            w = weights[p, frame] if n else np.zeros(ev.size)
            keep = w > 0.0
            event_times.append(ev[keep])
            velocities.append(trig.velocity * w[keep])
        parts.append(
            events_to_schedule(
                event_times,
                velocities,
                placements,
                layout.voices[trig.target],
                out.sample_rate,
                out.block_size,
            )
        )
    automation = {t.name: automation_values[i] for i, t in enumerate(conductor.targets)}
    scenes = [(cue.at, cue.scene) for cue in spec.timeline]
    return ControlPlan(
        layout=layout,
        initial=initial,
        schedule=Schedule.merge(parts),
        times=times,
        tracks=tracks,
        collective=collective,
        automation=automation,
        scenes=scenes,
        faults=faults,
        duration=duration,
        seed=seed,
    )
