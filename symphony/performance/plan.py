"""The control side of a render: from bodies to an engine schedule.

Sources -> features -> the room (`collective/room.py`) -> mappings, all in
numpy, before the engine starts. It is the path a live show runs frame by
frame (`live/control.py`), with the same room calls in the same order, so
the collective values and every parameter lane are the same numbers; here
it runs once over the whole performance, which is why an offline render
spends almost all its time in pyo.

A render writes a file, so it plays the room as it may be kept: lanes that
followed a value carried by fewer than 3 people, one of whom did not
consent to `record`, play their public version (`collective/privacy.py`),
and the heartbeats of people without `record` consent are not in it.
That is also exactly what a live show's session log keeps.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from symphony.collective.consent import ConsentBook
from symphony.collective.equity import EquityReport, equity_report
from symphony.collective.privacy import public_features, unkept_lanes
from symphony.collective.room import Room, RoomFrame
from symphony.collective.voicing import Change, RoomVoices, stand_in
from symphony.features.track import FeatureTrack
from symphony.inputs.faults import Fault
from symphony.mapping.conductor import Conductor
from symphony.mapping.layout import ControlLayout
from symphony.mapping.schedule import Schedule, changes_to_schedule, frames_to_schedule
from symphony.performance.loader import Performance
from symphony.performance.recorded import recorded_tracks
from symphony.performance.room_plan import RoomTimeline, run_room
from symphony.performance.schema import PerformanceSpec
from symphony.performance.simulation import participant_tracks
from symphony.performance.sources import ParticipantConsent

Array = npt.NDArray[np.float64]


@dataclass
class ControlPlan:
    """Everything the engine needs, plus what the plot and report show."""

    layout: ControlLayout
    initial: list[float]
    schedule: Schedule
    times: Array
    tracks: list[FeatureTrack]  # only people whose data may be kept (the plot draws them)
    collective: dict[str, Array]
    presence: dict[str, Array]
    automation: dict[str, Array]
    scenes: list[tuple[float, str]]
    faults: list[Fault]
    duration: float
    seed: int
    equity: EquityReport
    room: RoomTimeline


def _inputs(
    performance: Performance, duration: float, seed: int, participants: int | None, rate: float
) -> tuple[list[FeatureTrack], list[Fault], ParticipantConsent]:
    """Everyone's features: the performance's sources at full speed, or simulated people."""
    spec = performance.spec
    if spec.sources and participants is None:
        consent = ParticipantConsent(spec, rehearsal=False)
        tracks = recorded_tracks(spec, performance.path, duration, rate, seen=consent.seen)
        return tracks, [], consent
    count = int(participants if participants is not None else spec.participants.count)
    tracks, faults = participant_tracks(spec, duration, seed, count, rate)
    return tracks, faults, ParticipantConsent(spec, rehearsal=True)


def conduct(
    spec: PerformanceSpec,
    layout: ControlLayout,
    initial: list[float],
    times: Array,
    room: RoomTimeline,
) -> tuple[Conductor, Array]:
    """Every continuous lane at every frame, as it may be kept (module docstring)."""
    rate = spec.output.control_rate
    conductor = Conductor(spec, layout, initial, rate)
    values = conductor.step(times, room.values, room.presence)
    names = [t.name for t in conductor.targets]
    private = unkept_lanes(spec.mappings, names, room.unkept, times)
    if private.any():
        public = Conductor(spec, layout, initial, rate)
        open_values = public.step(times, public_features(room.values, room.owned), room.presence)
        values = np.where(private, open_values, values)
    return conductor, values


def plan_control(
    performance: Performance,
    duration: float | None = None,
    seed: int | None = None,
    participants: int | None = None,
) -> ControlPlan:
    spec = performance.spec
    duration = float(duration if duration is not None else spec.performance.duration)
    seed = int(seed if seed is not None else spec.performance.seed)
    out = spec.output
    rate = out.control_rate
    tracks, faults, defaults = _inputs(performance, duration, seed, participants, rate)
    n = int(np.floor(duration * rate))
    times = np.arange(n) / rate
    book = ConsentBook(defaults)
    room = Room(book, circular=out.speaker_layout().is_ring)
    layout = ControlLayout(spec, performance.patches)
    voices = PersonVoices(spec, layout, book)
    timeline = run_room(room, tracks, rate, n, on_frame=voices.follow)
    initial = layout.initial_values(spec, out)
    conductor, automation_values = conduct(spec, layout, initial, times, timeline)
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
    parts.append(voices.schedule(out.sample_rate, out.block_size, duration))
    return ControlPlan(
        layout=layout,
        initial=initial,
        schedule=Schedule.merge(parts),
        times=times,
        tracks=[t for t in tracks if book.get(t.participant).record],
        collective=timeline.values,
        presence=timeline.presence,
        automation={t.name: automation_values[i] for i, t in enumerate(conductor.targets)},
        scenes=[(cue.at, cue.scene) for cue in spec.timeline],
        faults=faults,
        duration=duration,
        seed=seed,
        equity=equity_report(room.totals, lambda p: book.get(p).record),
        room=timeline,
    )


class PersonVoices:
    """Every person's own voice through a render, as it may be kept (module docstring).

    Follows each room update with the same `RoomVoices` calls a live show
    makes; a change that belongs to someone without `record` consent is
    replaced by its stand-in (a silent level) or left out (seats, triggers).
    """

    def __init__(self, spec: PerformanceSpec, layout: ControlLayout, book: ConsentBook) -> None:
        self.spec = spec
        self.layout = layout
        self.book = book
        self.voices = RoomVoices(spec, layout)
        self.timed: list[tuple[float, list[tuple[int, float]]]] = []

    def _kept(self, changes: list[Change]) -> list[tuple[int, float]]:
        out = []
        for target, value, who in changes:
            if self.book.get(who).record:
                out.append((target, value))
            else:
                public = stand_in(self.layout, target)
                if public is not None:
                    out.append((target, public))
        return out

    def follow(self, frame: RoomFrame) -> None:
        self.timed.append((frame.time, self._kept(self.voices.update(frame.time, frame.people))))
        for beat in frame.triggers:
            for trig in self.spec.triggers:
                velocity = trig.velocity * beat.gain
                changes = self.voices.beat(trig.target, beat.participant, velocity)
                self.timed.append((beat.time, self._kept(changes)))

    def schedule(self, sample_rate: float, block_size: int, duration: float) -> Schedule:
        timed = [(t, c) for t, c in self.timed if 0.0 <= t < duration and c]
        return changes_to_schedule(timed, sample_rate, block_size)
