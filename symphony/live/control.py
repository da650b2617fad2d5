"""The live control process: sources -> features -> the room -> conductor -> engine.

The same path an offline render takes (`performance/plan.py`), run one
control frame at a time against the show clock: every `room_hop_frames`
frames the sources are polled, the features pulled and the room
(`collective/room.py`) updated with the very calls the render makes, so a
live show hears the room exactly as its render does; the conductor, the
scenes and the performer's commands run at every frame. It lives in its
own process, away from the engine: if it stalls or crashes, the engine
keeps playing its last values, and every change it does send is applied at
a block boundary and written to the session log by the engine side.

Privacy: the engine plays what everyone with `sound` consent shapes. What
the session log may keep is decided per change (`session/private.py`):
changes that carry someone's own data go with a tag naming whose, and the
public stand-in the log keeps instead when they did not consent to
`record` (the same conductor with every personally owned value unknown).
"""

from __future__ import annotations

import contextlib
import logging
import math
import queue
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

import numpy as np
import numpy.typing as npt

from symphony.collective.consent import Consent, ConsentBook
from symphony.collective.delay import feature_time
from symphony.collective.intake import ConsentChange, Leave, Message, Mood, RoomInbox
from symphony.collective.privacy import LaneOwners
from symphony.collective.room import INPUTS, Room, RoomFrame, Trigger, room_hop_frames
from symphony.collective.voicing import RoomVoices, stand_in
from symphony.features.group import GroupFeatures
from symphony.features.stream import load_filters
from symphony.features.track import FeatureTrack
from symphony.inputs.source import Source
from symphony.live.performer import Performer
from symphony.live.show_status import LiveState, Names, publish
from symphony.mapping.conductor import Conductor
from symphony.mapping.layout import ControlLayout
from symphony.performance.loader import Performance
from symphony.performance.schema import feature_options
from symphony.performance.sources import ParticipantConsent, named_participants

load_filters()  # scipy, now: the features' filters must not import it mid-show (stream.py)

Array = npt.NDArray[np.float64]
Send = Callable[..., bool]  # send(target, value[, tag]) -> accepted
log = logging.getLogger(__name__)
INTAKE_SIZE = 4096  # room messages between two control steps; more are dropped and counted


class LiveControl:
    """One control frame at a time: poll, extract, room, conduct, send."""

    def __init__(
        self,
        performance: Performance,
        sources: list[Source],
        send: Send,
        clock: Callable[[], float],
        *,
        rehearsal: bool | None = None,
    ) -> None:
        """`rehearsal`: simulated people (may be kept); default: no `[[sources]]`."""
        spec = performance.spec
        self.spec = spec
        self.rate = spec.output.control_rate
        self.sources = sources
        self.send = send
        self.clock = clock
        self.layout = ControlLayout(spec, performance.patches)
        self.initial = self.layout.initial_values(spec, spec.output)
        self.conductor = Conductor(spec, self.layout, self.initial, self.rate)
        self.public = Conductor(spec, self.layout, self.initial, self.rate)
        self.rows = [t.index for t in self.conductor.targets]
        self.last_sent = [self.initial[i] for i in self.rows]
        # What the session log last got for each row: its public stand-in, or NaN.
        self.last_public = [math.nan] * len(self.rows)
        self.row_of = {t: i for i, t in enumerate(self.rows)}
        self.params = [self.layout.targets[t].param for t in self.rows]
        self.defaults = ParticipantConsent(
            spec, rehearsal=not spec.sources if rehearsal is None else rehearsal
        )
        self.book = ConsentBook(self.defaults)
        self.room = Room(self.book, circular=spec.output.speaker_layout().is_ring)
        self.voices = RoomVoices(spec, self.layout)  # every person's own voice
        self.hop = room_hop_frames(self.rate)
        self._updates = 0  # room updates so far: the next is due at updates * hop / rate
        self.owners = LaneOwners(spec.mappings, [t.name for t in self.conductor.targets])
        self.features = GroupFeatures(self.rate, **feature_options(spec, spec.performance.duration))
        self.latest: dict[str, dict[str, float]] = {}  # for the console only: never written
        self.frame: RoomFrame | None = None
        self._values: dict[str, Array] = {}
        self._presence: dict[str, Array] = {}
        self._public_values: dict[str, Array] = {}
        self.performer = Performer(spec, self.layout, [self.conductor, self.public])
        self.performer.sent_elsewhere = self._sent_elsewhere
        self.state = LiveState()
        self.names = Names(named_participants(spec))
        self.commands: Any = None  # a queue of midi_router.Command, when a controller plays
        self.local: Any = queue.Queue(maxsize=256)  # the console's keys (a process queue)
        self.inbox: RoomInbox | None = None  # moods and consent from other processes
        # ... and from this process's own threads: every source that takes room
        # messages (an OSC port's /symphony/<id>/mood and /consent) puts them here.
        self.intake = RoomInbox(queue.Queue(maxsize=INTAKE_SIZE))
        for source in sources:
            if hasattr(source, "room"):
                source.room = self.intake
        self.positions: Any = None  # shared array: current position of every target
        self.recorder: Any = None  # session.signals.SignalRecorder: consenting raw signals
        self.ledger: Any = None  # session.private.PrivateLedger, when a session log is kept
        self.board: Any = None  # live.show_state.ShowBoard: scene and layers, for LEDs
        self.outputs: Any = None  # live.collective_out.CollectiveOut: the room sent out
        self._positioned = [math.nan] * len(self.rows)  # the values `positions` shows
        self._shown_in: Any = None  # the positions array they were written to
        self._explained = -1.0
        # Around each step: live.priority.GiveWay when the live command runs us.
        self.courtesy: AbstractContextManager[Any] = contextlib.nullcontext()
        # The master gain's ceiling (dB) over everything else: `symphony play`'s
        # fades, quiet hours and house limit. inf: none.
        self.master_cap = math.inf
        self._master_row = self.row_of.get(self.performer.master)

    # --- commands, moods and consent ---------------------------------------------------------

    def apply_command(self, command: Any, now: float) -> None:
        """A performer's action, from the MIDI process or the console (midi_router.Command);
        the console's consent key sends a ConsentChange naming the person as it shows them."""
        if isinstance(command, ConsentChange):
            participant = self.names.participant(command.participant)
            if participant is None:
                log.warning("consent key: nobody is shown as %s", command.participant)
                return
            self.set_consent(participant, sound=command.sound, record=command.record)
            return
        self.performer.apply(command, now)

    def receive(self, message: Message) -> None:
        """A mood or a consent change (the Python API behind OSC and the visitors' page)."""
        if isinstance(message, Mood):
            if self.book.get(message.device).sound:  # a withdrawn phone stays out
                self.room.mood(message.device, message.valence, message.arousal, self.clock())
        elif isinstance(message, Leave):
            self.room.leave_mood(message.device)
            self.book.forget(message.device)
        elif isinstance(message, ConsentChange):
            self.set_consent(message.participant, sound=message.sound, record=message.record)

    def set_consent(
        self, participant: str, *, sound: bool | None = None, record: bool | None = None
    ) -> Consent:
        """Change one person's consent now; withdrawing `sound` fades them out within 1 s,
        withdrawing `record` stops and deletes what this show kept of them (the book's
        listeners: the signal recorder and the session log).

        `record` can be withdrawn, and given back, but never granted beyond the
        performance file: anyone on the network can send an OSC message, and
        keeping someone's body data needs the consent the file records."""
        if sound is False:
            self.room.leave_mood(participant)  # a phone's mood goes with its sound consent
        if record and not self.defaults(participant).record:
            log.warning(
                "consent of %s: record cannot be granted during a show (the performance "
                "file does not grant it); sound changed only",
                participant,
            )
            record = None
        return self.book.set(participant, sound=sound, record=record)

    def _drain(self, now: float) -> None:
        for source in (self.local, self.commands):
            if source is None:
                continue
            for _ in range(1024):
                try:
                    command = source.get_nowait()
                except queue.Empty:
                    break
                self.apply_command(command, now)
        for inbox in (self.intake, self.inbox):
            if inbox is not None:
                for message in inbox.drain():
                    self.receive(message)

    # --- the room --------------------------------------------------------------------------

    def poll_sources(self) -> None:
        for source in self.sources:
            name = getattr(source, "name", "?")
            try:
                chunks = source.poll()
            except Exception as exc:  # a source must never stop the show
                log.warning("source %s failed: %s", name, exc)
                continue
            for chunk in chunks:
                self.defaults.seen(name, chunk.participant)
            if self.recorder is not None and chunks:
                self.recorder.write(name, chunks)
            for chunk in chunks:
                try:
                    if chunk.hints:  # headset off, electrode contact: EEG quality at once
                        self.features.hint(chunk.participant, chunk.hints, chunk.signal.start)
                    self.features.push(chunk.participant, chunk.signal)
                except ValueError as exc:  # e.g. a sensor that changed its rate: skip the chunk
                    log.warning("source %s, %s: %s", name, chunk.participant, exc)

    def _room_due(self, now: float) -> bool:
        return now >= self._updates * self.hop / self.rate - 1e-9

    def update_room(self, now: float) -> list[Trigger]:
        """Poll, pull, observe, update: the room at `now`; the beats it weighed."""
        self.poll_sources()
        # Frames up to FEATURE_LAG ago only, complete as the render's (collective/delay.py).
        for name, track in self.features.pull(feature_time(now, self.rate)).items():
            self._observe(name, track, now)
        frame = self.room.update(now)
        self.frame = frame
        if self.outputs is not None:
            self.outputs.send(frame)
        for target, value, who in self.voices.update(now, frame.people):
            self._send_own(target, value, who)
        self.owners.update(now, frame.owners)
        self._values = {k: np.array([v]) for k, v in frame.values.items()}
        self._presence = {k: np.array([v]) for k, v in frame.presence.items()}
        self._public_values = {
            k: (np.array([math.nan]) if k in frame.owners else v) for k, v in self._values.items()
        }
        for participant in frame.left:
            self.latest.pop(participant, None)
            self.owners.forget(participant)
        # The next update is due one hop on; a loop that fell behind skips to now.
        self._updates = max(self._updates + 1, math.floor(now * self.rate / self.hop + 1e-9) + 1)
        return [*frame.triggers, *frame.events]  # beats, and the room's own events

    def _observe(self, name: str, track: FeatureTrack, now: float) -> None:
        for t in track.events.get("heartbeat", ()):
            self.room.beat(name, float(t))
        if not track.n_frames:
            return
        latest = {k: float(v[-1]) for k, v in track.values.items()}
        self.latest[name] = latest
        row = np.array([latest.get(k, math.nan) for k in INPUTS], dtype=np.float64)
        self.room.observe_row(name, row, latest.get("stale", 0.0) >= 0.5, now)

    # --- one frame ---------------------------------------------------------------------------

    def step(self) -> None:
        """One control frame: everything from the sources to the engine queue."""
        now = self.clock()
        self._drain(now)
        fired: list[Trigger] = []
        if self._room_due(now):
            fired = self.update_room(now)
        times = np.array([now])
        values = self.conductor.step(times, self._values, self._presence)[:, 0]
        public = self.public.step(times, self._public_values, self._presence)[:, 0]
        self.performer.apply_to(values)
        self.performer.apply_to(public, keep_body=False)
        row = self._master_row
        if row is not None and self.master_cap < values[row]:
            values[row] = public[row] = self.master_cap
        self._send_values(values, public, now)
        self._fire(fired)
        publish(self, now, values)

    def _send_values(self, values: Array, public: Array, now: float) -> None:
        """Send the rows that changed; personal rows carry whose they are (module docstring)."""
        positions = self.positions
        shown = self._positioned
        personal = self.owners.of_rows(now) if self.ledger is not None else {}
        overrides = self.performer.state.overrides
        for row, (target, v) in enumerate(zip(self.rows, values.tolist(), strict=True)):
            # A position is a pure function of the value: recomputed only when it changes.
            if positions is not None and (v != shown[row] or positions is not self._shown_in):
                positions[target] = self.params[row].to_position(v)
                shown[row] = v
            whose = personal.get(row) if target not in overrides else None
            stand_in = float(public[row])
            # The log must see every change of what it keeps: the value, or while the
            # row is personal its stand-in; and the value again when it stops being so.
            logged = self.last_public[row]
            moved = v != self.last_sent[row]
            if whose:
                moved = moved or stand_in != logged
            elif logged == logged:  # was personal (not NaN): the log gets the value back
                moved = True
            if moved and math.isfinite(v):
                self._send(target, v, whose, stand_in)
                self.last_sent[row] = v
                self.last_public[row] = stand_in if whose else math.nan
        self._shown_in = positions

    def _fire(self, fired: list[Trigger]) -> None:
        """Each event fires the performance's triggers of its source (heartbeat, convergence)."""
        for event in fired:
            for trig in self.spec.triggers:
                if trig.source != event.source:
                    continue
                velocity = trig.velocity * event.gain
                if event.source == "convergence":  # the room's: nobody's own data
                    for target, value, _who in self.voices.room_event(trig.target, velocity):
                        self._send(target, value, None, None)
                    continue
                for target, value, who in self.voices.beat(
                    trig.target, event.participant, velocity
                ):
                    self._send_own(target, value, who)
                self.state.beats += 1

    def _send_own(self, target: int, value: float, who: str) -> None:
        """A change of one person's own voice: theirs, with its stand-in for the log."""
        whose = frozenset({who}) if self.ledger is not None else None
        self._send(target, value, whose, stand_in(self.layout, target))

    def _send(
        self, target: int, value: float, whose: frozenset[str] | None, public: float | None
    ) -> None:
        if whose:
            accepted = self.send(target, value, self.ledger.tag(whose, value, public))
        else:
            accepted = self.send(target, value)
        if accepted:
            self.state.sent += 1
        else:
            self.state.dropped += 1

    def _sent_elsewhere(self, target: int, value: float) -> None:
        row = self.row_of.get(target)
        if row is not None:
            self.last_sent[row] = value

    def resync(self) -> None:
        """Send every value again at the next step (a restarted engine knows nothing)."""
        self.last_sent = [math.nan] * len(self.rows)
        self.last_public = [math.nan] * len(self.rows)

    def run(self, until: float | None = None, stop: Callable[[], bool] | None = None) -> None:
        """Step at the control rate until `until` (show seconds) or `stop()`."""
        period = 1.0 / self.rate
        next_tick = time.monotonic()
        while True:
            if stop is not None and stop():
                return
            if until is not None and self.clock() >= until:
                return
            with self.courtesy:
                self.step()
            next_tick += period
            delay = next_tick - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            else:
                next_tick = time.monotonic()  # fell behind: skip, never burst
