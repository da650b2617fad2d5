"""What an OSC message means: pure parsing of Muse, OpenBCI GUI and symphony paths.

No sockets here, so every path and every malformed message can be tested as
a plain function call; `osc_source.py` wraps this in a UDP server.

Paths understood (the port's `participant` is used unless the path names one):

Mind Monitor / Muse
    /muse/eeg f f f f [f f]       one EEG frame: TP9, AF7, AF8, TP10 (AUX ignored), uV
    /muse/ppg f f f               one PPG frame: ambient, infrared, red; infrared is used
    /muse/elements/<band>_absolute|_relative f [f f f]   band power -> hint "<band>_..."
    /muse/elements/horseshoe f f f f   contact per electrode (1 good, 2 ok, 4 bad)
                                       -> hints contact_TP9 ... = 1.0, 0.5, 0.0
    /muse/elements/touching_forehead i   -> hint headset_on = 0 or 1
    /muse/elements/blink i, /muse/elements/jaw_clench i   -> hints
    other /muse/... paths (acc, gyro, batt, drlref, ...) are accepted and ignored
OpenBCI GUI (networking widget, OSC)
    /openbci/time-series-raw/ch<N> f ...       samples of EEG channel N (0-based)
    /openbci/time-series-filtered/ch<N> f ...  the same, used only when asked for
    /openbci/average-band-power/<band> f       -> hint "<band>"
    other /openbci/... paths (fft, band-power, accelerometer, ...) are ignored
symphony generic schema
    /symphony/<participant>/<signal> f ...   <signal> one of ppg, ecg, resp, eda, eeg.
        For eeg the arguments are one frame (one value per channel); for the
        others they are consecutive samples, oldest first. Sample rates come
        from the source's `rates` (defaults: eeg 256, ppg 64, ecg 130,
        resp 25, eda 16 Hz). Ints are accepted as numbers.
    /symphony/<participant>/hint/<name> f    a quality hint, e.g. headset_on 1
    /symphony/<device>/mood f f              a mood participant: valence, arousal, each -1..1
                                             (clamped); each device is one participant
    /symphony/<participant>/consent i i      sound 0|1, record 0|1: a change of consent,
                                             withdrawal included, applied at the next
                                             control step
    /symphony/<device>/leave                 a mood device takes its mood out of the room
    These three become room messages (`collective/intake.py`), an `OscRoom`.
Anything else, wrong argument types or counts, NaN or infinity: an `OscProblem`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from symphony.collective.intake import (
    ConsentChange,
    IntakeError,
    Leave,
    Message,
    check_id,
    consent_flag,
    mood,
)
from symphony.inputs.recording import SIGNAL_KINDS

MUSE_EEG = ("TP9", "AF7", "AF8", "TP10")
_HORSESHOE = {1: 1.0, 2: 0.5}  # anything else (4 = no contact) is 0.0
_MUSE_IGNORED = ("/muse/acc", "/muse/gyro", "/muse/batt", "/muse/drlref", "/muse/elements/")
_MUSE_BAND = re.compile(
    r"^/muse/elements/((?:delta|theta|alpha|beta|gamma)_(?:absolute|relative))$"
)
_OPENBCI_SERIES = re.compile(r"^/openbci/time-series-(raw|filtered)/ch(\d+)$")
_SYMPHONY = re.compile(r"^/symphony/([^/]+)/([^/]+)(?:/([^/]+))?$")


@dataclass(frozen=True)
class OscSamples:
    """Samples of one signal: a frame across channels, or a run of one channel.

    `channel` None with `frame` True: one value per channel (Muse EEG);
    `channel` None otherwise: consecutive samples of a single-channel signal;
    `channel` N: consecutive samples of channel N of a multi-channel signal.
    """

    participant: str | None
    kind: str
    values: tuple[float, ...]
    channel: int | None = None
    frame: bool = False
    rate: float | None = None  # fixed by the device (Muse), else the source's setting


@dataclass(frozen=True)
class OscHints:
    participant: str | None
    hints: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class OscProblem:
    reason: str


@dataclass(frozen=True)
class OscIgnored:
    """A known path this tool has no use for (accelerometer, battery, ...)."""


@dataclass(frozen=True)
class OscRoom:
    """A mood, a consent change or a leave: for the room, not a signal."""

    message: Message


OscMeaning = OscSamples | OscHints | OscProblem | OscIgnored | OscRoom
ROOM_PATHS = ("mood", "consent", "leave")


def numbers(args: Sequence[Any]) -> tuple[float, ...] | OscProblem:
    """Arguments as finite floats, or the problem with them."""
    out = []
    for i, value in enumerate(args):
        if isinstance(value, bool) or not isinstance(value, int | float):
            return OscProblem(f"argument {i} is {type(value).__name__}, expected a number")
        if not math.isfinite(value):
            return OscProblem(f"argument {i} is {value}, expected a finite number")
        out.append(float(value))
    return tuple(out)


def parse_message(address: str, args: Sequence[Any], *, openbci_series: str = "raw") -> OscMeaning:
    """What one OSC message means (see module docstring)."""
    if address.startswith("/muse/"):
        return _muse(address, args)
    if address.startswith("/openbci/"):
        return _openbci(address, args, openbci_series)
    match = _SYMPHONY.match(address)
    if match:
        return _symphony(match.group(1), match.group(2), match.group(3), args)
    return OscProblem("unknown OSC path")


def _counted(args: Sequence[Any], low: int, high: int) -> tuple[float, ...] | OscProblem:
    values = numbers(args)
    if isinstance(values, OscProblem):
        return values
    if not low <= len(values) <= high:
        expected = str(low) if low == high else f"{low} to {high}"
        return OscProblem(f"{len(values)} arguments, expected {expected}")
    return values


def _muse(address: str, args: Sequence[Any]) -> OscMeaning:
    if address == "/muse/eeg":
        values = _counted(args, 4, 6)
        return (
            values
            if isinstance(values, OscProblem)
            else OscSamples(None, "eeg", values[:4], frame=True, rate=256.0)
        )
    if address == "/muse/ppg":
        values = _counted(args, 3, 3)
        return (
            values
            if isinstance(values, OscProblem)
            else OscSamples(None, "ppg", values[1:2], rate=64.0)
        )
    band = _MUSE_BAND.match(address)
    if band:
        values = _counted(args, 1, 4)
        if isinstance(values, OscProblem):
            return values
        return OscHints(None, {band.group(1): sum(values) / len(values)})
    if address == "/muse/elements/horseshoe":
        values = _counted(args, 4, 4)
        if isinstance(values, OscProblem):
            return values
        pairs = zip(MUSE_EEG, values, strict=True)
        contact = {f"contact_{ch}": _HORSESHOE.get(round(v), 0.0) for ch, v in pairs}
        return OscHints(None, contact)
    for name, hint in (
        ("touching_forehead", "headset_on"),
        ("blink", "blink"),
        ("jaw_clench", "jaw_clench"),
    ):
        if address == f"/muse/elements/{name}":
            values = _counted(args, 1, 1)
            return values if isinstance(values, OscProblem) else OscHints(None, {hint: values[0]})
    if address.startswith(_MUSE_IGNORED):
        return OscIgnored()
    return OscProblem("unknown OSC path")


def _openbci(address: str, args: Sequence[Any], series: str) -> OscMeaning:
    match = _OPENBCI_SERIES.match(address)
    if match:
        if match.group(1) != series:
            return OscIgnored()
        values = _counted(args, 1, 4096)
        if isinstance(values, OscProblem):
            return values
        return OscSamples(None, "eeg", values, channel=int(match.group(2)))
    if address.startswith("/openbci/average-band-power/"):
        values = _counted(args, 1, 1)
        band = address.rsplit("/", 1)[-1]
        return values if isinstance(values, OscProblem) else OscHints(None, {band: values[0]})
    return OscIgnored()


def _symphony(participant: str, signal: str, extra: str | None, args: Sequence[Any]) -> OscMeaning:
    if signal == "hint" and extra:
        values = _counted(args, 1, 1)
        return (
            values if isinstance(values, OscProblem) else OscHints(participant, {extra: values[0]})
        )
    if signal in ROOM_PATHS and extra is None:
        return _room(participant, signal, args)
    if extra is not None or signal not in SIGNAL_KINDS:
        return OscProblem(f"unknown signal '{signal}', expected one of {', '.join(SIGNAL_KINDS)}")
    values = _counted(args, 1, 4096)
    if isinstance(values, OscProblem):
        return values
    return OscSamples(participant, signal, values, frame=signal == "eeg")


def _room(who: str, what: str, args: Sequence[Any]) -> OscRoom | OscProblem:
    """`/symphony/<id>/mood f f`, `/consent i i`, `/leave`: validated as the intake does."""
    expected = {"mood": 2, "consent": 2, "leave": 0}[what]
    if len(args) != expected:
        return OscProblem(f"{len(args)} arguments, expected {expected}")
    try:
        if what == "mood":
            return OscRoom(mood(who, args[0], args[1]))
        if what == "leave":
            return OscRoom(Leave(check_id(who, "device")))
        sound, record = consent_flag(args[0], "sound"), consent_flag(args[1], "record")
        return OscRoom(ConsentChange(check_id(who), sound=sound, record=record))
    except IntakeError as exc:
        return OscProblem(str(exc))
