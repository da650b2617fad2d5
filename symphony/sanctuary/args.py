"""The command line of `symphony play`, kept light: the CLI builds it for every command.

Nothing here imports the engine; `commands/play.py` does the work.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path
from typing import Any

_CLOCK = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2}))?$")


def parse_time_of_day(value: Any) -> float:
    """'HH:MM' or 'HH:MM:SS' (24-hour clock) to seconds after midnight."""
    if isinstance(value, bool) or not isinstance(value, str):
        raise ValueError(f"a time of day is written 'HH:MM' (24-hour clock), not {value!r}")
    match = _CLOCK.match(value.strip())
    if match is None:
        raise ValueError(f"a time of day is written 'HH:MM' (24-hour clock), not {value!r}")
    hours, minutes, seconds = (int(g) if g else 0 for g in match.groups())
    if hours > 23 or minutes > 59 or seconds > 59:
        raise ValueError(f"'{value}' is not a time of day (00:00 to 23:59:59)")
    return float(hours * 3600 + minutes * 60 + seconds)


def host_port(text: str) -> tuple[str, int]:
    """'HOST:PORT' for --http and --audience."""
    host, _, port = text.rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise argparse.ArgumentTypeError(f"expected HOST:PORT (e.g. 127.0.0.1:8765), not {text!r}")
    return host.strip("[]"), int(port)


def time_of_day(text: str) -> float:
    try:
        return parse_time_of_day(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def add_arguments(play: argparse.ArgumentParser, positive_int: Any) -> None:
    play.add_argument("performance", type=Path)
    play.add_argument("--audio", choices=("jack", "portaudio"), default="jack")
    play.add_argument("--device", help="PortAudio output device (case-insensitive substring)")
    play.add_argument("--buffer", type=positive_int, help="audio block in frames")
    play.add_argument("--connect", action="append", default=[], help="JACK port for output N")
    play.add_argument("--http", type=host_port, default=("127.0.0.1", 8765), help="operator")
    play.add_argument("--audience", type=host_port, help="the visitors' page (HOST:PORT)")
    play.add_argument(
        "--allow",
        action="append",
        default=[],
        metavar="CIDR",
        help="addresses allowed to use --http (default: loopback only); the control token "
        "comes from $SYMPHONY_CONTROL_TOKEN",
    )
    play.add_argument("--controller", type=Path, help="controller profile (optional)")
    play.add_argument("--midi-api", choices=("jack", "alsa"), default="jack")
    play.add_argument("--log", type=Path, default=Path("logs/symphony-play.log"))
    play.add_argument("--participants", type=positive_int, help="N simulated people (rehearsal)")
    play.add_argument(
        "--day-speed", type=float, default=1.0, help="preview: the day runs this many times faster"
    )
    play.add_argument("--day-start", type=time_of_day, help="preview: the day starts at HH:MM")


def add_calibrate_arguments(cal: argparse.ArgumentParser) -> None:
    cal.add_argument("performance", type=Path, nargs="?", help="take reference_lufs and channels")
    cal.add_argument("--audio", choices=("jack", "portaudio"), default="jack")
    cal.add_argument("--device", help="PortAudio output device (case-insensitive substring)")
    cal.add_argument("--connect", action="append", default=[], help="JACK port for output N")
    cal.add_argument("--spl", type=float, help="the meter's dB(A) reading (default: asked)")
    cal.add_argument("--seconds", type=float, default=20.0, help="play at least this long")
