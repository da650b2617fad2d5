"""Simulated bodies for a render: scripted states, planned sensor faults, in parallel.

The simulator follows the scenes' `participants` states, `coupling` and
`dropouts`, and the `[participants]` coupling and join/leave script (who is
there when: `inputs/simulated_room.py`); each participant is simulated from
its own seed, so splitting the group across processes gives exactly the
tracks a single process would.
"""

from __future__ import annotations

import multiprocessing as mp
import os
from concurrent.futures import ProcessPoolExecutor

from symphony.errors import SymphonyError
from symphony.features.simple import extract_features
from symphony.features.track import FeatureTrack
from symphony.inputs.faults import Fault, inject, plan_dropouts
from symphony.inputs.recording import ParticipantRecording
from symphony.inputs.simulated import StateChange, simulate_group
from symphony.inputs.simulated_room import (
    CouplingChange,
    Move,
    blank_tracks,
    name_of,
    presence_windows,
)
from symphony.performance.schema import PerformanceSpec, feature_options

# s: the simulator's shortest recording; a shorter render uses the start of one.
MIN_SIMULATED = 1.0

Spans = dict[str, list[tuple[float, float]]]


def participant_script(spec: PerformanceSpec) -> list[StateChange]:
    """Scripted simulated states, from the scenes that name one."""
    script = []
    for cue in spec.timeline:
        state = spec.scenes[cue.scene].participants
        if state is not None:
            script.append(StateChange(at=cue.at, state=state, ramp=max(cue.crossfade, 1.0)))
    return script


def coupling_script(spec: PerformanceSpec) -> list[CouplingChange]:
    """Scripted coupling of the simulated audience, from the scenes that set one."""
    out = []
    for cue in spec.timeline:
        coupling = spec.scenes[cue.scene].coupling
        if coupling is not None:
            out.append(CouplingChange(at=cue.at, coupling=coupling, ramp=max(cue.crossfade, 1.0)))
    return out


def moves(spec: PerformanceSpec) -> list[Move]:
    """The `[[participants.script]]` joins and leaves."""
    return [
        Move(
            m.at,
            m.join if isinstance(m.join, int) else tuple(m.join),
            m.leave if isinstance(m.leave, int) else tuple(m.leave),
        )
        for m in spec.participants.script
    ]


def roster_plan(spec: PerformanceSpec, duration: float, count: int) -> tuple[int, Spans]:
    """(people simulated in all, when each is there) for `count` present at the start.

    A script that does not fit this count (`--participants` fewer than it
    expects) is one clear error naming the key.
    """
    try:
        return presence_windows(count, moves(spec), duration)
    except ValueError as exc:
        raise SymphonyError(
            f"{exc} with {count} participants at the start",
            key="participants.script",
            expected="leaves of people who are there, joins of people who are not",
        ) from exc


def dropout_windows(spec: PerformanceSpec, duration: float) -> list[tuple[float, float, int]]:
    windows = []
    for k, cue in enumerate(spec.timeline):
        end = spec.timeline[k + 1].at if k + 1 < len(spec.timeline) else duration
        windows.append((cue.at, min(end, duration), spec.scenes[cue.scene].dropouts))
    return windows


def _group(
    spec: PerformanceSpec, duration: float, seed: int, count: int, indices: list[int] | None
) -> list[ParticipantRecording]:
    """The simulated bodies of the whole script (`count` people in all), or some of them."""
    return simulate_group(
        count,
        max(duration, MIN_SIMULATED),  # a render shorter than that uses its start
        seed,
        participant_script(spec),
        indices=indices,
        coupling=spec.participants.coupling,
        coupling_script=coupling_script(spec),
    )


def simulate(
    spec: PerformanceSpec, duration: float, seed: int, participants: int
) -> tuple[list[ParticipantRecording], list[Fault]]:
    """Raw signals of everyone the script brings (absences are for the features to mark)."""
    total, _ = roster_plan(spec, duration, participants)
    recordings = _group(spec, duration, seed, total, None)
    faults = plan_faults(spec, duration, seed, total)
    inject(recordings, faults)
    return recordings, faults


def plan_faults(spec: PerformanceSpec, duration: float, seed: int, count: int) -> list[Fault]:
    names = [name_of(i) for i in range(count)]
    return plan_dropouts(names, dropout_windows(spec, duration), seed)


def _bodies(
    job: tuple[PerformanceSpec, float, int, int, list[int], list[Fault], float, Spans],
) -> list[FeatureTrack]:
    """Simulate some participants, corrupt them as planned, extract their features."""
    spec, duration, seed, count, indices, faults, rate, spans = job
    recordings = _group(spec, duration, seed, count, indices)
    inject(recordings, faults)
    options = feature_options(spec, duration)
    tracks = [extract_features(rec, rate=rate, **options) for rec in recordings]
    blank_tracks(tracks, spans)
    return tracks


def participant_tracks(
    spec: PerformanceSpec, duration: float, seed: int, count: int, rate: float
) -> tuple[list[FeatureTrack], list[Fault]]:
    """Every participant's features, in parallel on the machine's cores.

    Each participant is simulated from its own seed, so splitting the group
    across processes gives exactly the tracks a single process would.
    `count` are there at the start; the join/leave script may bring more.
    """
    count, spans = roster_plan(spec, duration, count)
    faults = plan_faults(spec, duration, seed, count)
    workers = max(1, min(os.cpu_count() or 1, count, 4))
    jobs = [
        (spec, duration, seed, count, list(range(w, count, workers)), faults, rate, spans)
        for w in range(workers)
    ]
    if workers == 1 or "fork" not in mp.get_all_start_methods():
        pieces = [_bodies(job) for job in jobs]
    else:
        # fork: the workers start with everything already imported.
        with ProcessPoolExecutor(workers, mp_context=mp.get_context("fork")) as pool:
            pieces = list(pool.map(_bodies, jobs))
    by_name = {t.participant: t for piece in pieces for t in piece}
    return [by_name[name_of(i)] for i in range(count)], faults
