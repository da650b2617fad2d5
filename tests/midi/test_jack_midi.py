"""Real JACK MIDI: a virtual controller (a separate JACK client) drives symphony's ports.

A jackd dummy server runs for the module; the "controller" is a python-rtmidi
JACK client with a virtual output port named like a nanoKONTROL2. Waits are
bounded by generous deadlines that only turn a hang into a failure; no test
asserts on how long anything took.
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from symphony.errors import SymphonyError
from symphony.midi.feedback import LedFeedback
from symphony.midi.intake import Intake
from symphony.midi.messages import (
    ControlChange,
    ControlChange14,
    ControlEvent,
    HeldNotes,
    MidiParser,
    NoteOff,
    NoteOn,
    NrpnChange,
    NrpnStep,
    ParserConfig,
    RelativeChange,
    classify,
)
from symphony.midi.ports import POLL_INTERVAL, HotPlugWatcher, MidiInput, MidiOutput
from symphony.midi.profiles import parse_profile
from tests.jack_server import jack_server

rtmidi = pytest.importorskip("rtmidi")

DEVICE = "nanoKONTROL2"
PORT = "nanoKONTROL2 MIDI 1"
SENTINEL = [0xBF, 119, 127]  # CC 119 on channel 16: "everything before me was sent"
DEADLINE = 10.0  # seconds; a guard against hangs, not a measurement


def wait_for(condition: Callable[[], bool], what: str) -> None:
    end = time.monotonic() + DEADLINE
    while not condition():
        if time.monotonic() > end:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(0.01)


class Controller:
    """A stand-in for the physical device: one JACK client, one virtual output port."""

    def __init__(self) -> None:
        self.out: Any = rtmidi.MidiOut(rtmidi.API_UNIX_JACK, name=DEVICE)
        self.out.open_virtual_port(PORT)

    def send(self, *messages: list[int]) -> None:
        for message in messages:
            self.out.send_message(message)

    def unplug(self) -> None:
        self.out.close_port()
        self.out.delete()


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    with jack_server(period=256) as name:
        yield name


@pytest.fixture
def controller(server: str) -> Iterator[Controller]:
    device = Controller()
    yield device
    device.unplug()


class Received:
    """Drain an Intake until the sentinel arrives; keep every event."""

    def __init__(self, intake: Intake) -> None:
        self.intake = intake
        self.events: list[ControlEvent] = []

    def until_sentinel(self) -> list[ControlEvent]:
        start = len(self.events)

        def seen() -> bool:
            self.events.extend(self.intake.drain())
            return ControlChange(16, 119, 127) in self.events[start:]

        wait_for(seen, "the sentinel message")
        return [e for e in self.events[start:] if e != ControlChange(16, 119, 127)]

    def connected(self, device: Controller) -> None:
        """Ping until a message gets through: a new JACK connection takes a cycle or two."""

        def through() -> bool:
            device.send(SENTINEL)
            time.sleep(0.02)
            return ControlChange(16, 119, 127) in self.intake.drain()

        wait_for(through, "the connection to the controller")
        time.sleep(0.05)
        self.intake.drain()  # late pings


def open_input(intake: Callable[[list[int]], None], wanted: str = "nanokontrol2") -> MidiInput:
    midi_in = MidiInput(wanted, intake, api="jack", client_name="symphony")
    midi_in.open()
    return midi_in


def test_missing_device_lists_the_ports_that_are_there(controller: Controller) -> None:
    midi_in = MidiInput("launch control", lambda data: None, api="jack")
    try:
        with pytest.raises(SymphonyError) as info:
            midi_in.open()
    finally:
        midi_in.close()
    text = str(info.value)
    assert "no MIDI input port matching 'launch control'" in text
    assert f"{DEVICE}:{PORT}" in text


def test_cc_pairs_encoders_nrpn_and_notes_arrive_parsed(controller: Controller) -> None:
    config = ParserConfig(
        cc14=frozenset({(1, 1)}),
        relative={(1, 20): "twos_complement"},
        nrpn_channels=frozenset({2}),
    )
    intake = Intake(config)
    midi_in = open_input(intake)
    try:
        assert midi_in.connected_to == f"{DEVICE}:{PORT}"
        received = Received(intake)
        received.connected(controller)
        controller.send(
            [0xB0, 0, 10],
            [0xB0, 0, 64],
            [0xB0, 1, 100],  # 14-bit MSB
            [0xB0, 33, 3],  # and its LSB
            [0xB0, 20, 1],  # encoder +1
            [0xB0, 20, 126],  # encoder -2
            [0xB1, 99, 0],
            [0xB1, 98, 7],
            [0xB1, 6, 64],
            [0xB1, 38, 1],
            [0xB1, 96, 0],
            [0x90, 60, 100],
            [0x90, 60, 0],  # note-on velocity 0: a note-off
            SENTINEL,
        )
        events = received.until_sentinel()
    finally:
        midi_in.close()
    assert events == [
        ControlChange(1, 0, 10),
        ControlChange(1, 0, 64),
        ControlChange14(1, 1, 100 << 7),
        ControlChange14(1, 1, (100 << 7) | 3),
        RelativeChange(1, 20, 1),
        RelativeChange(1, 20, -2),
        NrpnChange(2, 7, 64 << 7),
        NrpnChange(2, 7, (64 << 7) | 1),
        NrpnStep(2, 7, 1),
        NoteOn(1, 60, 100),
        NoteOff(1, 60, 0),
    ]
    assert len(intake.held) == 0


# The flooding device runs in a process of its own, as a real one would: in this
# process its sends would compete for the GIL with python-rtmidi's input callback,
# and JACK drops what a late client does not read in its cycle.
FLOOD_SENDER = """
import sys, time, rtmidi
out = rtmidi.MidiOut(rtmidi.API_UNIX_JACK, name="floodbox")
out.open_virtual_port("floodbox out")
print("ready", flush=True)
sys.stdin.readline()
notes = 0
for i in range(10_000):
    out.send_message([0xF8] if i % 2 else [0xF0, 0x7E, 0x7F, 0x06, 0x01, 0xF7])
    if i % 500 == 0:
        note = 36 + i // 500
        out.send_message([0x90, note, 90])
        out.send_message([0xB0, 7, i % 128])
        out.send_message([0x90, note, 0] if notes % 2 else [0x80, note, 0])
        notes += 1
    if i % 10 == 9:
        time.sleep(0.002)  # a JACK MIDI port holds about 1 KB per period
out.send_message([0xFE])
for _ in range(3):
    out.send_message(SENTINEL)
print("sent", flush=True)
sys.stdin.readline()
""".replace("SENTINEL", repr(SENTINEL))


def test_a_flood_is_counted_and_leaves_no_stuck_note(server: str) -> None:
    """10,000 clock and SysEx messages with notes among them.

    On this shared machine the dummy driver xruns now and then and JACK drops
    the MIDI of a missed cycle, so exact totals of what was *sent* would make a
    flaky test. What arrives is recorded before symphony sees it (`tap`), and
    the counters and held notes must match that exactly.
    """
    sender = subprocess.Popen(
        [sys.executable, "-c", FLOOD_SENDER],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert sender.stdin is not None and sender.stdout is not None
    try:
        assert sender.stdout.readline().strip() == "ready"
        intake = Intake(max_events_per_block=64)
        tap: list[list[int]] = []

        def tapped(data: list[int]) -> None:
            tap.append(list(data))
            intake(data)

        midi_in = open_input(tapped, wanted="floodbox")
        try:
            sender.stdin.write("go\n")
            sender.stdin.flush()
            events = Received(intake).until_sentinel()
            assert sender.stdout.readline().strip() == "sent"
        finally:
            midi_in.close()
    finally:
        sender.kill()
        sender.wait()
    counts = intake.counts
    arrived = Counter(classify(m) for m in tap)
    assert arrived["clock"] + arrived["sysex"] >= 9_000  # the flood did arrive
    for kind in ("clock", "sysex", "active_sensing", "system", "invalid"):
        assert counts[kind] == arrived[kind]
    channel = [m for m in tap if classify(m) == "channel"]
    assert counts["channel"] == len(channel) and counts["dropped"] == 0
    note_ons = [m for m in channel if m[0] == 0x90 and m[2] > 0]
    assert sum(isinstance(e, NoteOn) for e in events) == len(note_ons) >= 18
    # Held now = exactly the notes whose note-off JACK did not deliver (normally none),
    # and the port hands those over for release, so nothing stays stuck.
    undelivered = HeldNotes()
    for event in MidiParser().parse_many(channel):
        undelivered.observe(event)
    assert intake.held.held() == undelivered.held()
    assert midi_in.take_held() == undelivered.held()


class LedReceiver:
    """A JACK MIDI input port in the test, standing for the controller's LED input."""

    def __init__(self, server: str) -> None:
        import jack

        self.client = jack.Client(f"{DEVICE}-leds", no_start_server=True, servername=server)
        self.port = self.client.midi_inports.register("leds in")
        self.received: list[list[int]] = []
        self._lock = threading.Lock()

        @self.client.set_process_callback
        def process(frames: int) -> None:
            for _offset, data in self.port.incoming_midi_events():
                with self._lock:
                    self.received.append(list(bytes(data)))

        self.client.activate()

    def messages(self) -> list[list[int]]:
        with self._lock:
            return list(self.received)

    def close(self) -> None:
        self.client.deactivate()
        self.client.close()


LED_PROFILE = """\
[controller]
name = "nanoKONTROL2"
port = "nanoKONTROL2"

[controls]
s1 = { kind = "button", message = "cc", number = 32, led = { message = "cc", number = 32 } }
s2 = { kind = "button", message = "cc", number = 33, led = { message = "cc", number = 33 } }
m1 = { kind = "button", message = "cc", number = 48, led = { message = "cc", number = 48 } }

[bindings]
s1 = { action = "scene:gathering" }
s2 = { action = "scene:rising" }
m1 = { action = "layer:drone" }
"""


def test_led_feedback_messages_go_out(server: str, tmp_path: Any) -> None:
    receiver = LedReceiver(server)
    out = MidiOutput("nanokontrol2-leds", api="jack")
    try:
        assert out.open() == f"{DEVICE}-leds:leds in"
        feedback = LedFeedback(parse_profile(LED_PROFILE, tmp_path / "p.toml"))
        assert out.send(feedback.update("gathering", {"drone"})) == 3
        wait_for(lambda: len(receiver.messages()) >= 3, "the first LED messages")
        out.send(feedback.update("rising", {"drone"}))
        wait_for(lambda: len(receiver.messages()) >= 5, "the LED changes")
        messages = receiver.messages()
    finally:
        out.close()
        receiver.close()
    assert sorted(messages[:3]) == [[0xB0, 32, 127], [0xB0, 33, 0], [0xB0, 48, 127]]
    assert messages[3:] == [[0xB0, 32, 0], [0xB0, 33, 127]]


def test_hot_plug_is_noticed_on_the_next_poll_and_reconnects_by_name(server: str) -> None:
    assert POLL_INTERVAL <= 0.5  # the next poll is well inside the 2 s promise
    device = Controller()
    intake = Intake()
    midi_in = open_input(intake)
    lost: list[list[tuple[int, int]]] = []
    watcher = HotPlugWatcher(midi_in, on_lost=lost.append)
    try:
        received = Received(intake)
        received.connected(device)
        device.send([0x90, 60, 80], [0x91, 62, 80], SENTINEL)
        received.until_sentinel()
        assert watcher.poll_once() is None

        device.unplug()
        assert watcher.poll_once() == "lost"
        assert lost == [[(1, 60), (2, 62)]]  # the held notes, for the caller to fade out
        assert watcher.poll_once() is None  # reported once

        device = Controller()  # plugged back in: a new client with the same name
        assert watcher.poll_once() == "returned"
        assert midi_in.connected_to == f"{DEVICE}:{PORT}"
        received.connected(device)
        device.send([0xB0, 7, 99], SENTINEL)
        assert received.until_sentinel() == [ControlChange(1, 7, 99)]
    finally:
        midi_in.close()
        device.unplug()


def test_hot_plug_watcher_thread_reports_loss_and_return(server: str) -> None:
    device = Controller()
    intake = Intake()
    midi_in = open_input(intake)
    lost, back = threading.Event(), threading.Event()
    held: list[list[tuple[int, int]]] = []

    def on_lost(notes: list[tuple[int, int]]) -> None:
        held.append(notes)
        lost.set()

    watcher = HotPlugWatcher(midi_in, on_lost=on_lost, on_return=back.set)
    watcher.start()
    try:
        received = Received(intake)
        received.connected(device)
        device.send([0x90, 64, 100], SENTINEL)
        received.until_sentinel()
        device.unplug()
        assert lost.wait(DEADLINE)
        assert held == [[(1, 64)]]
        device = Controller()
        assert back.wait(DEADLINE)
        assert watcher.losses == 1 and watcher.returns == 1
    finally:
        watcher.stop()
        midi_in.close()
        device.unplug()
