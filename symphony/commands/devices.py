"""`symphony devices`: what can be connected right now, before a show.

Lists BrainFlow boards (the synthetic board always works), LSL streams on the
network, how to send OSC, MIDI ports, audio output devices (PortAudio, through
sounddevice: the names `--audio portaudio --device NAME` matches, by
case-insensitive substring) and JACK audio ports; given a
performance, opens its `[[sources]]` for a few seconds and says which are
connected and what arrived from whom. Every probe is
guarded: a missing JACK server, no MIDI backend or an empty network shows as
"none", never as a crash, because this is the first thing someone runs when
something does not work.
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable
from pathlib import Path

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


def audio_lines() -> list[str]:
    """PortAudio's output devices, as `live --audio portaudio --device` finds them."""
    from symphony.engine.audio_devices import output_devices
    from symphony.engine.backends import jack_server_running

    jack_server_running()  # quiets libjack while PortAudio looks for a JACK server
    return [d.line() for d in output_devices()]


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


def source_lines(performance: Path, wait: float) -> list[str]:
    """Open a performance's `[[sources]]` for a moment: who is there, what arrives."""
    from symphony.performance.loader import parse_performance
    from symphony.performance.sources import check_sources, open_sources

    spec, lines = parse_performance(performance)
    check_sources(spec, performance, lines)
    if not spec.sources:
        return [f"no [[sources]]: {spec.participants.count} simulated participants"]
    began = time.monotonic()
    sources, problems = open_sources(spec, performance, lambda: time.monotonic() - began)
    arrived: dict[str, dict[str, int]] = {}
    try:
        while time.monotonic() - began < wait:
            for source in sources:
                for chunk in source.poll():
                    seen = arrived.setdefault(source.name, {})
                    key = f"{chunk.participant} {chunk.signal.kind}"
                    seen[key] = seen.get(key, 0) + chunk.signal.n_samples
            time.sleep(0.1)
        out = []
        for source in sources:
            status = source.status()
            got = arrived.get(source.name, {})
            what = ", ".join(f"{k} {n} samples" for k, n in sorted(got.items())) or "no data"
            state = "connected" if status.connected else "not connected"
            out.append(f"{source.name:<16} {state}; {what}")
            if status.error:
                out.append(f"{'':<16} last problem: {status.error}")
        return [*out, *problems]
    finally:
        for source in sources:
            source.close()


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
    performance = getattr(args, "performance", None)
    if performance is not None:  # a mistyped or broken file: one line, before any listing
        from symphony.performance.loader import parse_performance
        from symphony.performance.sources import check_sources

        spec, lines = parse_performance(performance)
        check_sources(spec, performance, lines)
    jack_up = jack_running()
    _section("BrainFlow boards", brainflow_lines)
    _section(f"LSL streams (looked for {wait:g} s)", lambda: lsl_lines(wait))
    _section("OSC", osc_lines)
    _section("MIDI ports", lambda: midi_lines(jack_up))
    _section("Audio output devices (PortAudio; --device matches a part of the name)", audio_lines)
    _section(
        "JACK audio ports",
        jack_lines if jack_up else (lambda: ["no JACK server running"]),
    )
    _section("Sensor profiles (hardware/sensors)", profile_lines)
    if performance is not None:
        seconds = max(wait, 3.0)
        _section(
            f"Sources of {performance} (listened for {seconds:g} s)",
            lambda: source_lines(performance, seconds),
        )
    return 0
