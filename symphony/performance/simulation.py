"""Simulated bodies for a render: scripted states, planned sensor faults, in parallel.

The simulator follows the scenes' `participants` states and their
`dropouts`; each participant is simulated from its own seed, so splitting
the group across processes gives exactly the tracks a single process would.
"""

from __future__ import annotations

import multiprocessing as mp
import os
from concurrent.futures import ProcessPoolExecutor

from symphony.features.simple import extract_features
from symphony.features.track import FeatureTrack
from symphony.inputs.faults import Fault, inject, plan_dropouts
from symphony.inputs.recording import ParticipantRecording
from symphony.inputs.simulated import StateChange, simulate_group
from symphony.performance.schema import PerformanceSpec, feature_options

# s: the simulator's shortest recording; a shorter render uses the start of one.
MIN_SIMULATED = 1.0


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
    seconds = max(duration, MIN_SIMULATED)
    recordings = simulate_group(participants, seconds, seed, participant_script(spec))
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
    seconds = max(duration, MIN_SIMULATED)  # a render shorter than that uses its start
    recordings = simulate_group(count, seconds, seed, participant_script(spec), indices=indices)
    inject(recordings, faults)
    options = feature_options(spec, duration)
    return [extract_features(rec, rate=rate, **options) for rec in recordings]


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
