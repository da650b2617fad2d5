"""The `symphony` command: a thin layer over the package.

Every user mistake arrives here as a `SymphonyError` and leaves as one line
on stderr with exit status 2; a traceback is shown only with --debug.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

from symphony import __version__
from symphony.errors import SymphonyError
from symphony.performance.timecode import parse_time


def _time_arg(text: str) -> float:
    try:
        value = parse_time(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    if value <= 0:
        raise argparse.ArgumentTypeError("duration must be above zero")
    return value


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError("must not be negative")
    return value


_MAX_PARTICIPANTS = 256  # simulated people a command accepts (the design's largest room)


class _Parser(argparse.ArgumentParser):
    """argparse, answering a bad argument with one line (naming the option) and status 2.

    argparse's own answer is the whole usage block and then the error; in a
    terminal full of show output the line that matters is lost, so the usage
    is left to --help.
    """

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _participants_arg(text: str) -> int:
    value = _positive_int(text)
    if value > _MAX_PARTICIPANTS:
        raise argparse.ArgumentTypeError(f"at most {_MAX_PARTICIPANTS}, got {value}")
    return value


def _seconds_arg(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, got {text!r}") from None
    if not 0.0 <= value <= 3600.0:
        raise argparse.ArgumentTypeError(f"expected 0 to 3600 seconds, got {text!r}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="symphony",
        description="Neuro-Symphony: participants' biosignals drive a generative soundscape.",
    )
    parser.add_argument("--version", action="version", version=f"symphony {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks and debug logs")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    render = sub.add_parser("render", help="render a performance to an audio file")
    render.add_argument("performance", type=Path, help="performance file (.toml)")
    render.add_argument("-o", "--output", type=Path, required=True, help="OUT.wav or OUT.flac")
    render.add_argument("--duration", type=_time_arg, help="seconds or m:ss (default: file's)")
    render.add_argument("--seed", type=_positive_int, help="random seed (default: file's)")
    render.add_argument(
        "--participants",
        type=_participants_arg,
        help="N simulated participants (default: the file's sources, else its count)",
    )
    render.add_argument("--plot", type=Path, help="also draw the performance to a PNG")
    render.add_argument("--session", type=Path, help="re-render a live show from its session log")
    render.add_argument("--quiet", action="store_true", help="no progress bar")

    check = sub.add_parser("check", help="validate a performance file without rendering")
    check.add_argument("performance", type=Path)

    live = sub.add_parser("live", help="play a performance in real time")
    live.add_argument("performance", type=Path)
    live.add_argument(
        "--controller", type=Path, help="controller profile (hardware/controllers/NAME.toml)"
    )
    live.add_argument("--midi-api", choices=("jack", "alsa"), default="jack")
    live.add_argument("--audio", choices=("jack", "portaudio"), default="jack")
    live.add_argument("--device", help="PortAudio output device (case-insensitive substring)")
    live.add_argument("--buffer", type=_positive_int, help="audio block in frames")
    live.add_argument("--record", type=Path, help="session log (default: sessions/NAME-TIME)")
    live.add_argument("--duration", type=_time_arg, help="stop after this long")
    live.add_argument("--seed", type=_positive_int)
    live.add_argument(
        "--participants",
        type=_participants_arg,
        help="N simulated participants instead of sources",
    )
    live.add_argument("--no-console", action="store_true", help="status lines instead of a UI")

    play = sub.add_parser("play", help="the sanctuary player: unattended, by a daily programme")
    from symphony.sanctuary.args import add_arguments as play_arguments
    from symphony.sanctuary.args import add_calibrate_arguments

    play_arguments(play, _positive_int)

    calibrate = sub.add_parser(
        "calibrate-room", help="play the reference and take the room's SPL (hearing safety)"
    )
    add_calibrate_arguments(calibrate)

    monitor = sub.add_parser("monitor", help="show a sensor's live features and quality")
    monitor.add_argument(
        "source",
        help="a recording file or folder, PERFORMANCE.toml[:SOURCE], simulated[:N] or "
        "KIND:key=value,... (KIND: brainflow, lsl, osc, recording, simulated)",
    )
    monitor.add_argument("--json", action="store_true", help="one JSON object per feature update")
    monitor.add_argument(
        "--fast", action="store_true", help="read recordings (and the simulator) at full speed"
    )
    monitor.add_argument(
        "--collective",
        action="store_true",
        help="the room's collective state (the same Room as render and live) and its roster",
    )
    monitor.add_argument("--plot", type=Path, help="also draw the features over time to a PNG")
    monitor.add_argument("--duration", type=_time_arg, help="stop after this long (s or m:ss)")

    devices = sub.add_parser(
        "devices", help="list boards, LSL streams, MIDI and JACK ports now visible"
    )
    devices.add_argument(
        "--wait", type=_seconds_arg, default=1.0, help="seconds to look for LSL streams"
    )
    devices.add_argument(
        "performance", type=Path, nargs="?", help="also try this performance's [[sources]]"
    )

    learn = sub.add_parser("learn", help="move each control of a MIDI controller; write a profile")
    learn.add_argument("-o", "--output", type=Path, required=True, help="profile to write (.toml)")
    learn.add_argument("--port", help="controller port (case-insensitive substring)")
    learn.add_argument("--controls", help="control names to learn, comma-separated")
    learn.add_argument("--template", type=Path, help="a profile whose controls to learn again")
    learn.add_argument("--performance", type=Path, help="learn one control per parameter")
    learn.add_argument("--name", help="the controller's name in the profile")
    learn.add_argument("--midi-api", choices=("jack", "alsa"), default="jack")
    learn.add_argument(
        "--pause",
        type=_seconds_arg,
        default=1.0,
        help="accept by itself after this quiet (0: never)",
    )
    learn.add_argument("--force", action="store_true", help="replace an existing profile")

    patches = sub.add_parser("patches", help="list the parameters of the patches")
    patches.add_argument("folder", type=Path, nargs="?", help="patch folder (default: patches/)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.debug else logging.WARNING,
        format="symphony: %(levelname)s: %(message)s",
    )
    try:
        if args.command == "render":
            from symphony.commands.render import run_render

            return run_render(args)
        if args.command == "check":
            from symphony.commands.check import run_check

            return run_check(args)
        if args.command == "live":
            from symphony.commands.live import run_live

            return run_live(args)
        if args.command == "calibrate-room":
            from symphony.sanctuary.calibrate import run_calibrate

            return run_calibrate(args)
        if args.command == "play":
            from symphony.commands.play import run_play

            return run_play(args)
        if args.command == "monitor":
            from symphony.commands.monitor import run_monitor

            return run_monitor(args)
        if args.command == "devices":
            from symphony.commands.devices import run_devices

            return run_devices(args)
        if args.command == "learn":
            from symphony.commands.learn import run_learn

            return run_learn(args)
        if args.command == "patches":
            from symphony.commands.patches import run_patches

            return run_patches(args)
    except SymphonyError as exc:
        if args.debug:
            raise
        print(f"symphony: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("symphony: interrupted", file=sys.stderr)
        return 130
    return 2


if __name__ == "__main__":
    sys.exit(main())
