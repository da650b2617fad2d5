"""The default MIDI mapping: what `symphony live` plays without a controller profile.

A show without `--controller` still opens a MIDI input (on JACK the port
`symphony-midi:midi_in`, for any keyboard, sequencer or test client to
connect to), and notes on one channel fire the performance's one-shot
events, note-on velocity shaping them:

- with a ``[midi]`` table, exactly its bindings: ``[midi.notes]`` maps a
  note number to ``LAYER.EVENT`` on ``[midi] channel`` (default 1);
- without one, the performance's trigger families (e.g. ``heartbeat.beat``)
  in file order on notes 60, 61, ... of channel 1.

The mapping is written as an ordinary `ControllerProfile` (one pad per note,
bound to ``oneshot:LAYER.EVENT``), so the same router and the same hot path
serve it as a real controller: rtmidi callback, parse, route, engine queue,
applied at the engine's next block.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from symphony.mapping.layout import ControlLayout
from symphony.midi.profiles import Binding, Control, ControllerMeta, ControllerProfile, ProfileSpec
from symphony.performance.schema import PerformanceSpec
from symphony.performance.toml_lines import TomlLines

FIRST_NOTE = 60  # middle C: where a keyboard player looks first
DEFAULT_CHANNEL = 1
PORT_NAME = "midi_in"


def note_bindings(spec: PerformanceSpec, layout: ControlLayout) -> tuple[int, dict[int, str]]:
    """(channel, note number -> LAYER.EVENT) for this performance."""
    if spec.midi is not None:
        return spec.midi.channel, {int(note): event for note, event in spec.midi.notes.items()}
    families = list(layout.voices)[: 128 - FIRST_NOTE]
    return DEFAULT_CHANNEL, {FIRST_NOTE + i: event for i, event in enumerate(families)}


def default_profile(channel: int, notes: Mapping[int, str], where: Path) -> ControllerProfile:
    """A profile with one pad per bound note; `where` names it in later errors."""
    controls = {
        f"note_{n}": Control(kind="pad", message="note", channel=channel, number=n) for n in notes
    }
    bindings = {f"note_{n}": Binding(action=f"oneshot:{event}") for n, event in notes.items()}
    spec = ProfileSpec(
        controller=ControllerMeta(
            name="default mapping",
            port=f"symphony-midi:{PORT_NAME}",
            doc="notes fire the performance's one-shot events",
        ),
        controls=controls,
        bindings=bindings,
    )
    return ControllerProfile(spec, where, TomlLines(""))


def describe(channel: int, notes: Mapping[int, str]) -> str:
    """One line for the show's start: which notes do what."""
    if not notes:
        return "default MIDI mapping: this performance has no one-shot events to play"
    pairs = ", ".join(f"note {n} -> {event}" for n, event in sorted(notes.items()))
    return f"default MIDI mapping, channel {channel}: {pairs}"


class VirtualMidiInput:
    """An input port of our own that others connect to (no device to find by name).

    On JACK it is `CLIENT:midi_in`; the callback runs in the JACK process
    thread of this client and must only enqueue (see `symphony.midi.ports`).
    """

    def __init__(
        self,
        callback: Callable[[list[int]], None],
        api: str = "jack",
        client_name: str = "symphony-midi",
        port_name: str = PORT_NAME,
    ) -> None:
        self.callback = callback
        self.api = api
        self.client_name = client_name
        self.port_name = port_name
        self.connected_to: str | None = None
        self._midi: Any = None

    def open(self) -> str:
        import rtmidi

        from symphony.errors import SymphonyError

        api_id = rtmidi.API_UNIX_JACK if self.api == "jack" else rtmidi.API_LINUX_ALSA
        try:
            self._midi = rtmidi.MidiIn(api_id, name=self.client_name)
            self._midi.ignore_types(sysex=False, timing=False, active_sense=False)
            self._midi.open_virtual_port(self.port_name)
        except Exception as exc:  # rtmidi raises SystemError & co. when the API cannot start
            self.close()
            hint = " (is the JACK server running?)" if self.api == "jack" else ""
            raise SymphonyError(
                f"cannot open a MIDI {self.api} input{hint}: {exc}", where="midi"
            ) from None
        self._midi.set_callback(self._on_message)
        self.connected_to = f"{self.client_name}:{self.port_name}"
        return self.connected_to

    def _on_message(self, message: tuple[list[int], float], _data: object = None) -> None:
        self.callback(message[0])

    def close(self) -> None:
        if self._midi is not None:
            with contextlib.suppress(Exception):
                self._midi.close_port()
            self._midi.delete()
            self._midi = None
        self.connected_to = None
