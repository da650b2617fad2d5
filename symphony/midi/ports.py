"""Open MIDI ports by name, and survive a controller pulled mid-show.

Ports are chosen by case-insensitive substring of their names, as audio
devices are, so a profile saying ``port = "nanoKONTROL2"`` finds
``nanoKONTROL2:nanoKONTROL2 MIDI 1`` on JACK and ``nanoKONTROL2 MIDI 1 20:0``
on ALSA. A missing device is a `SymphonyError` that lists what is there.

The input callback runs in python-rtmidi's thread (on JACK, the client's
process thread). It does the least possible: note the held notes from the
status byte and hand the raw bytes to the caller's callback, which should
only enqueue. Where this object lives is bound by docs/architecture.md, fact 3:
in the engine process or in a process that does nothing else, never in the busy
control process.

`HotPlugWatcher` polls the port names at 4 Hz in a thread of its own, so a
vanished controller is noticed within a quarter of a second (the issue asks
for 2 s); the held notes are handed to the caller to release with a fade,
and the ports are reopened by name when the device comes back.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from typing import Any, Literal

from symphony.errors import SymphonyError

Api = Literal["jack", "alsa"]
MidiCallback = Callable[[list[int]], None]
POLL_INTERVAL = 0.25  # seconds; 4 Hz keeps detection far inside the 2 s promise


def _rtmidi() -> Any:
    import rtmidi

    return rtmidi


def _api_id(api: Api) -> int:
    rtmidi = _rtmidi()
    return int(rtmidi.API_UNIX_JACK if api == "jack" else rtmidi.API_LINUX_ALSA)


def find_port(names: Sequence[str], wanted: str, direction: str, own_client: str) -> int:
    """Index of the first port whose name contains `wanted` (any case).

    Our own client's ports are never matched, so an input can never be wired
    to symphony's own LED output. A miss lists every port that is there.
    """
    needle = wanted.lower()
    for index, name in enumerate(names):
        if name.split(":", 1)[0] == own_client:
            continue
        if needle in name.lower():
            return index
    listing = ", ".join(n for n in names if n.split(":", 1)[0] != own_client)
    raise SymphonyError(
        f"no MIDI {direction} port matching '{wanted}'",
        where="midi",
        expected=f"one of: {listing}" if listing else "a connected controller (no ports found)",
    )


def _open_client(kind: str, api: Api, client_name: str, queue_size: int = 1024) -> Any:
    rtmidi = _rtmidi()
    try:
        if kind == "input":
            return rtmidi.MidiIn(_api_id(api), name=client_name, queue_size_limit=queue_size)
        return rtmidi.MidiOut(_api_id(api), name=client_name)
    except Exception as exc:  # rtmidi raises SystemError & co. when the API cannot start
        hint = " (is the JACK server running?)" if api == "jack" else ""
        raise SymphonyError(f"cannot start the MIDI {api} API{hint}: {exc}", where="midi") from None


class _HeldTracker:
    """Held notes from raw bytes, cheap enough for the MIDI thread."""

    def __init__(self) -> None:
        self._held: dict[tuple[int, int], None] = {}

    def see(self, data: list[int]) -> None:
        if len(data) < 3:
            return
        kind, key = data[0] & 0xF0, ((data[0] & 0x0F) + 1, data[1])
        if kind == 0x90 and data[2] > 0:
            self._held[key] = None
        elif kind in (0x80, 0x90):
            self._held.pop(key, None)

    def take(self) -> list[tuple[int, int]]:
        """The held (channel, note) pairs, forgotten as they are handed over."""
        held = sorted(list(self._held))
        self._held.clear()
        return held


QUEUE_SIZE = 16384  # messages rtmidi may hold for a queued reader (a flood's burst)
QUEUE_POLL = 0.001  # seconds a queued reader sleeps when rtmidi's queue is empty
# JACK puts a new connection into its graph at a later cycle, and a loaded
# server (late clients) can keep the old graph for several; rtmidi meanwhile
# writes what we send into the still unconnected port, and it is lost. So an
# output waits this long after connecting before it returns (show start and
# hot-plug return only, never on the MIDI hot path).
CONNECT_SETTLE = 0.2  # seconds


class MidiInput:
    """One input port opened by name substring; reopenable after a hot-plug.

    `queued=False` hands each message to `callback` from rtmidi's own thread,
    which on JACK is the client's process thread: it must take the GIL, so a
    busy Python process makes the client miss JACK cycles and the events of a
    missed cycle are lost (a flood through the live MIDI process lost
    note-offs that way here). `queued=True` leaves the JACK thread in C++
    (rtmidi's ring of `QUEUE_SIZE` messages) and a reader thread of ours
    drains it every `QUEUE_POLL` seconds: at most a millisecond more, never a
    stalled JACK graph or a lost note-off.
    """

    def __init__(
        self,
        wanted: str,
        callback: MidiCallback,
        api: Api = "jack",
        client_name: str = "symphony",
        port_name: str = "midi_in",
        ignore_system: bool = False,
        queued: bool = False,
    ) -> None:
        self.wanted = wanted
        self.callback = callback
        # True drops SysEx, clock and active sensing in rtmidi's C++ layer, before
        # Python sees them; False lets the FloodGuard count them.
        self.ignore_system = ignore_system
        self.api: Api = api
        self.client_name = client_name
        self.port_name = port_name
        self.connected_to: str | None = None
        self.queued = queued
        self._midi: Any = None
        self._held = _HeldTracker()
        self._lock = threading.Lock()
        self._reader: threading.Thread | None = None
        self._reading = threading.Event()

    def open(self) -> str:
        """Open (or reopen) the port; returns the full name it connected to."""
        with self._lock:
            if self._midi is None:
                size = QUEUE_SIZE if self.queued else 1024
                self._midi = _open_client("input", self.api, self.client_name, size)
            names = list(self._midi.get_ports())
            index = find_port(names, self.wanted, "input", self.client_name)
            if self._midi.is_port_open():
                self._midi.close_port()  # also drops the callback in python-rtmidi
            drop = self.ignore_system
            self._midi.ignore_types(sysex=drop, timing=drop, active_sense=drop)
            self._midi.open_port(index, self.port_name)
            if self.queued:
                self._start_reader()
            else:
                self._midi.set_callback(self._on_message)
            self.connected_to = names[index]
            return names[index]

    def _start_reader(self) -> None:
        if self._reader is not None:
            return
        self._reading.set()
        self._reader = threading.Thread(target=self._read, name="midi-in", daemon=True)
        self._reader.start()

    def _read(self) -> None:
        """Drain rtmidi's queue (messages in arrival order), then nap a millisecond."""
        while self._reading.is_set():
            batch = []
            with self._lock:
                if self._midi is not None:
                    get = self._midi.get_message
                    for _ in range(QUEUE_SIZE):
                        message = get()
                        if message is None:
                            break
                        batch.append(message)
            for message in batch:
                self._on_message(message)
            if not batch:
                time.sleep(QUEUE_POLL)

    def _on_message(self, message: tuple[list[int], float], _data: object = None) -> None:
        data = message[0]
        self._held.see(data)
        self.callback(data)

    def port_names(self) -> list[str]:
        """Every source port (others' ports only) visible to this API now."""
        with self._lock:
            if self._midi is None:
                return []
            return [n for n in self._midi.get_ports() if n.split(":", 1)[0] != self.client_name]

    def take_held(self) -> list[tuple[int, int]]:
        return self._held.take()

    def close(self) -> None:
        self._reading.clear()
        if self._reader is not None:
            self._reader.join()
            self._reader = None
        with self._lock:
            if self._midi is not None:
                if self._midi.is_port_open():
                    self._midi.close_port()
                self._midi.delete()
                self._midi = None
            self.connected_to = None


class MidiOutput:
    """One output port (LED feedback) opened by name substring."""

    def __init__(
        self,
        wanted: str,
        api: Api = "jack",
        client_name: str = "symphony",
        port_name: str = "midi_out",
    ) -> None:
        self.wanted = wanted
        self.api: Api = api
        self.client_name = client_name
        self.port_name = port_name
        self.connected_to: str | None = None
        self._midi: Any = None
        self._lock = threading.Lock()

    def open(self) -> str:
        with self._lock:
            if self._midi is None:
                self._midi = _open_client("output", self.api, self.client_name)
            names = list(self._midi.get_ports())
            index = find_port(names, self.wanted, "output", self.client_name)
            if self._midi.is_port_open():
                self._midi.close_port()
            self._midi.open_port(index, self.port_name)
            time.sleep(CONNECT_SETTLE)
            self.connected_to = names[index]
            return names[index]

    def send(self, messages: Sequence[Sequence[int]]) -> int:
        """Send raw messages; returns how many went out (0 while unplugged)."""
        with self._lock:
            if self._midi is None or self.connected_to is None:
                return 0
            for message in messages:
                self._midi.send_message(list(message))
            return len(messages)

    def mark_lost(self) -> None:
        with self._lock:
            self.connected_to = None

    def close(self) -> None:
        with self._lock:
            if self._midi is not None:
                if self._midi.is_port_open():
                    self._midi.close_port()
                self._midi.delete()
                self._midi = None
            self.connected_to = None


PlugEvent = Literal["lost", "returned"]


class PlugState:
    """Pure: turn successive "is the port there?" observations into events."""

    def __init__(self, present: bool = True) -> None:
        self.present = present

    def observe(self, present: bool) -> PlugEvent | None:
        if present == self.present:
            return None
        self.present = present
        return "returned" if present else "lost"


def port_present(names: Sequence[str], wanted: str) -> bool:
    needle = wanted.lower()
    return any(needle in n.lower() for n in names)


class HotPlugWatcher:
    """Notice a vanished controller and reconnect to it by name when it returns.

    `on_lost(held)` gets the (channel, note) pairs that were down, for the
    caller to release with a short fade; `on_return()` runs after the ports
    are reopened (refresh LEDs there). Callbacks run in the watcher thread.
    `poll_once` does one step, for callers that bring their own loop.
    """

    def __init__(
        self,
        midi_in: MidiInput,
        on_lost: Callable[[list[tuple[int, int]]], None],
        on_return: Callable[[], None] | None = None,
        midi_out: MidiOutput | None = None,
        interval: float = POLL_INTERVAL,
    ) -> None:
        self.midi_in = midi_in
        self.midi_out = midi_out
        self.on_lost = on_lost
        self.on_return = on_return
        self.interval = interval
        self.state = PlugState(present=midi_in.connected_to is not None)
        self.losses = 0
        self.returns = 0
        self.last_error: str | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def poll_once(self) -> PlugEvent | None:
        present = port_present(self.midi_in.port_names(), self.midi_in.wanted)
        event = self.state.observe(present)
        if event == "lost":
            self.losses += 1
            self.midi_in.connected_to = None
            if self.midi_out is not None:
                self.midi_out.mark_lost()
            self.on_lost(self.midi_in.take_held())
        elif event == "returned":
            try:
                self.midi_in.open()
                if self.midi_out is not None:
                    self.midi_out.open()
            except SymphonyError as exc:
                # The name came back but not yet all its ports: try next poll.
                self.last_error = str(exc)
                self.state.present = False
                return None
            self.returns += 1
            if self.on_return is not None:
                self.on_return()
        return event

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.poll_once()

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="midi-hotplug", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
