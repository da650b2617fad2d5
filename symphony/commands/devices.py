"""`symphony devices`: what can be connected right now, before a show.

Lists BrainFlow boards (the synthetic board always works), LSL streams on the
network, how to send OSC, MIDI ports and JACK audio ports. Every probe is
guarded: a missing JACK server, no MIDI backend or an empty network shows as
"none", never as a crash, because this is the first thing someone runs when
something does not work.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable

from symphony.inputs.profiles import load_profile, profile_names

_BOARDS = (
    "SYNTHETIC_BOARD",
    "PLAYBACK_FILE_BOARD",
    "CYTON_BOARD",
    "CYTON_DAISY_BOARD",
    "GANGLION_BOARD",
    "MUSE_2_BOARD",
    "MUSE_S_BOARD",
)


def brainflow_lines() -> list[str]:
    from brainflow.board_shim import BoardIds, BoardShim

    BoardShim.disable_board_logger()
    lines = []
    for name in _BOARDS:
        if name == "PLAYBACK_FILE_BOARD":
            note = "replays a BrainFlow file (params.file, params.master_board)"
            lines.append(f"{name:<22}          {note}")
            continue
        rate = BoardShim.get_sampling_rate(BoardIds[name].value)
        note = "always available" if name == "SYNTHETIC_BOARD" else "needs the device"
        lines.append(f"{name:<22} {rate:>4} Hz  {note}")
    lines.append(f"({len(BoardIds)} board ids known to BrainFlow; use any BoardIds name)")
    return lines


def lsl_lines(wait: float) -> list[str]:
    import pylsl

    streams = pylsl.resolve_streams(wait_time=wait)
    return [
        f"{s.name():<20} type {s.type():<8} {s.channel_count():>3} ch "
        f"{s.nominal_srate():g} Hz  source_id '{s.source_id()}'  on {s.hostname()}"
        for s in streams
    ]


def osc_lines() -> list[str]:
    return [
        "listens where a performance says (default 127.0.0.1:5000); send:",
        "  Mind Monitor / Muse: /muse/eeg, /muse/ppg, /muse/elements/...",
        "  OpenBCI GUI networking widget (OSC): /openbci/time-series-raw/ch<N>",
        "  anything else: /symphony/<participant>/<signal> f f f ...",
        "  (signal: ppg ecg resp eda eeg; see hardware/sensors/README.md)",
    ]


def jack_running() -> bool:
    """Whether a JACK server answers, without starting one."""
    try:
        import jack

        jack.set_error_function(lambda _message: None)  # "server not running" is an answer
        jack.set_info_function(lambda _message: None)
        client = jack.Client("symphony-probe", no_start_server=True)
    except Exception:
        return False
    client.close()
    return True


def midi_lines(jack_up: bool) -> list[str]:
    import mido

    api = "UNIX_JACK" if jack_up or os.environ.get("JACK_DEFAULT_SERVER") else "LINUX_ALSA"
    backend = mido.Backend(f"mido.backends.rtmidi/{api}")
    inputs = [f"in  {name}" for name in backend.get_input_names()]
    outputs = [f"out {name}" for name in backend.get_output_names()]
    return [f"(rtmidi {api})", *inputs, *outputs]


def jack_lines() -> list[str]:
    import jack

    client = jack.Client("symphony-devices", no_start_server=True)
    try:
        ports = client.get_ports(is_audio=True)
        return [
            f"{'in ' if p.is_input else 'out'} {p.name}{'  (physical)' if p.is_physical else ''}"
            for p in ports
        ]
    finally:
        client.close()


def profile_lines() -> list[str]:
    lines = []
    for name in profile_names():
        profile = load_profile(name)
        kinds = ", ".join(f"{s.kind} {s.rate:g} Hz" for s in profile.signals)
        via = "/".join(profile.sensor.transports)
        lines.append(f"{name:<18} {profile.sensor.name}: {kinds} (via {via})")
    return lines


def _section(title: str, probe: Callable[[], list[str]]) -> None:
    print(f"{title}:")
    try:
        lines = probe()
    except Exception as exc:  # a probe failing is information, not a crash
        lines = [f"unavailable ({type(exc).__name__}: {exc})"]
    for line in lines or ["none"]:
        print(f"  {line}")
    print()


def run_devices(args: argparse.Namespace) -> int:
    wait = float(getattr(args, "wait", 1.0))
    jack_up = jack_running()
    _section("BrainFlow boards", brainflow_lines)
    _section(f"LSL streams (looked for {wait:g} s)", lambda: lsl_lines(wait))
    _section("OSC", osc_lines)
    _section("MIDI ports", lambda: midi_lines(jack_up))
    _section(
        "JACK audio ports",
        jack_lines if jack_up else (lambda: ["no JACK server running"]),
    )
    _section("Sensor profiles (hardware/sensors)", profile_lines)
    return 0
