"""A MIDI flood against a busy Python process: rtmidi callback vs queued reading.

Why: on JACK, python-rtmidi calls a Python callback from the JACK client's
process thread, which must take the GIL first. When the receiving process is
busy (the live MIDI process routes, queues and sends LEDs), that thread
waits, the client misses JACK cycles and the MIDI events of a missed cycle
are gone: a lost note-off is a stuck note. `MidiInput(queued=True)` leaves
the JACK thread in C++ (rtmidi's own queue) and drains it from a Python
thread. Both modes run here in the same run, on the same server, under the
same load: one Python thread spinning in the receiver (docs/architecture.md, fact 2).

A separate process floods: per burst, 40 x (SysEx 28 bytes, clock, active
sensing, CC), then a pause; a note-on first and its note-off in the middle.

Usage: python benchmarks/midi_flood.py [--bursts 60] [--rounds 3]
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import sys
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from symphony.midi.messages import FloodGuard
from symphony.midi.ports import MidiInput
from tests.jack_server import jack_server

SYSEX = [0xF0, 0x42, 0x40, 0x00, 0x01, 0x13, 0x00, *range(20), 0xF7]
PORT = "Flood MIDI 1"


def _flood(bursts: int, go: Any, done: Any) -> None:
    import rtmidi

    out = rtmidi.MidiOut(rtmidi.API_UNIX_JACK, name="flood")
    out.open_virtual_port(PORT)
    go.wait()
    out.send_message([0x90, 36, 127])
    for burst in range(bursts):
        for i in range(40):
            for message in (SYSEX, [0xF8], [0xFE], [0xB0, 0, (burst + i) % 128]):
                out.send_message(message)
        if burst == bursts // 2:
            time.sleep(0.1)  # room in the sender's own ring buffer for the note-off
            out.send_message([0x80, 36, 0])
        time.sleep(0.005)
    time.sleep(1.0)
    done.set()
    time.sleep(1.0)
    out.close_port()


def run(queued: bool, bursts: int) -> tuple[int, int, bool]:
    """(channel messages counted, system messages counted, note-off arrived)."""
    ctx = mp.get_context("spawn")
    go, done = ctx.Event(), ctx.Event()
    sender = ctx.Process(target=_flood, args=(bursts, go, done), daemon=True)
    sender.start()
    guard = FloodGuard(max_events_per_block=1 << 30)
    notes: list[list[int]] = []

    def on_message(data: list[int]) -> None:
        if guard.admit(data) and data[0] & 0xE0 == 0x80:
            notes.append(list(data))

    midi = MidiInput("Flood", on_message, client_name="receiver", queued=queued)
    deadline = time.monotonic() + 20
    while True:
        try:
            midi.open()
            break
        except Exception:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)
    busy = threading.Event()

    def spin() -> None:  # the rest of a busy process: pure Python holding the GIL
        x = 0
        while not busy.is_set():
            x = (x * 31 + 7) % 1000003

    spinner = threading.Thread(target=spin, daemon=True)
    spinner.start()
    go.set()
    done.wait(120)
    busy.set()
    spinner.join()
    midi.close()
    sender.join(10)
    c = guard.counts
    note_off = any(n[0] & 0xF0 == 0x80 or n[2] == 0 for n in notes)
    return c["channel"], c["sysex"] + c["clock"] + c["active_sensing"], note_off


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bursts", type=int, default=60)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    sent_channel, sent_system = args.bursts * 40 + 2, args.bursts * 40 * 3
    print(f"sent per round: {sent_channel} channel, {sent_system} system messages")
    print(f"{'reader':<10} {'round':>5} {'channel':>9} {'system':>9} {'note-off':>9}")
    with jack_server(period=256):
        for round_ in range(args.rounds):
            for queued in (False, True):
                channel, system, note_off = run(queued, args.bursts)
                name = "queued" if queued else "callback"
                yes = "arrived" if note_off else "LOST"
                print(f"{name:<10} {round_ + 1:>5} {channel:>9} {system:>9} {yes:>9}")


if __name__ == "__main__":
    main()
